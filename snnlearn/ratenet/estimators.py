"""Gradient estimators: the true gradient, and estimates of it from scalar rewards.

Every estimator answers the same question: given a network (an
:class:`~.network.Architecture` and its parameters), a batch of inputs ``x`` with regression
targets, return an estimate of the gradient of the batch's mean cost
``L = mean_b c_b``, ``c_b = 1/2 |y_b - t_b|^2`` (the reward of a trial is ``-c_b``).
:meth:`GradientEstimator.samples` returns ``n`` independent single-sample estimates stacked
along a leading axis, computed as one batched NumPy computation;
:meth:`GradientEstimator.estimate` averages ``n_samples`` of them.

- the exact gradient is the ``backprop`` learner (:class:`~.learners.Backprop`); no variance.
- :class:`WeightPerturbation`: add ``sigma u`` (``u`` standard Gaussian) to every parameter;
  ``g = (L(theta + sigma u) - L(theta)) / sigma * u``. One perturbation is shared by the
  batch (it lives in the synapses) and the reward is the batch's mean cost. For small
  ``sigma`` ``g = (grad . u) u``, whose covariance has trace ``(P + 1) |grad|^2`` with ``P``
  the number of parameters.
- :class:`NodePerturbation`: add ``sigma u`` to the summed input ``z`` of every unit, afresh
  in every trial; ``dc_b/dz = (c_b(z + sigma u) - c_b(z)) / sigma * u``, turned into weight
  gradients by the presynaptic activities (Werfel, Xie & Seung 2005; Fiete & Seung 2006).
  Both perturbation methods compare the perturbed reward with that of a clean pass.
- :class:`Reinforce` (Williams 1992): the units themselves are stochastic and every unit's
  update is ``(c - b) d ln p(s | z) / dz`` times its presynaptic activity, with ``s`` the
  sampled activity. Hidden units are ``gaussian`` (activity ``f(z) + sigma xi``) or
  ``bernoulli`` (logistic: activity 1 with probability ``sigmoid(z)``); output units are
  Gaussian. ``b`` is the reward baseline: none, or a running average of the cost over past
  trials (reinforcement comparison), which leaves the estimate unbiased because it does not
  depend on the current trial's noise.

A stochastic network does not minimise the deterministic cost but its expectation ``J``;
:meth:`GradientEstimator.objective_gradient` is the exact gradient of what each estimator
estimates (for REINFORCE, of ``J``, known in closed form for at most one hidden layer).

Every estimator is a :class:`~.learner.Learner` (its update is :meth:`GradientEstimator.estimate`,
for the squared-error loss of :data:`~.losses.REGRESSION_LOSS`), registered with its declared
properties and built by name with :func:`~.learner.make_learner`; :data:`ESTIMATORS` names the
reward-based estimators with the exact gradient first, the set the variance experiments compare.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, one_of
from ..registry import Properties, register
from .activations import Activation
from .learner import Learner
from .losses import REGRESSION_LOSS, Loss, trial_costs
from .network import (
    Architecture,
    ForwardCache,
    Params,
    backward,
    bias_name,
    forward,
    weight_gradients,
    weight_name,
)

Array = np.ndarray


def true_gradient(
    arch: Architecture,
    params: Mapping[str, Array],
    x: Array,
    targets: Array,
) -> Params:
    """The exact gradient of the batch's mean cost, by backprop."""
    cache = forward(arch, params, x)
    _, dout = REGRESSION_LOSS.evaluate(cache.output, targets)
    return backward(arch, params, cache, dout)


def n_parameters(arch: Architecture) -> int:
    """The number of scalar parameters of the network: every weight and bias entry."""
    return sum(int(np.prod(shape)) for shape in arch.param_shapes().values())


def n_units(arch: Architecture) -> int:
    """Units with a summed input (every layer but the input)."""
    return sum(arch.sizes[1:])


def flatten(grads: Mapping[str, Array], names: Sequence[str], lead: int = 0) -> Array:
    """Concatenate parameter arrays into vectors, keeping ``lead`` leading axes."""
    return np.concatenate([np.reshape(grads[n], grads[n].shape[:lead] + (-1,)) for n in names], axis=-1)


def _check_plain(arch: Architecture, what: str) -> None:
    if arch.skip != "none" or arch.output_activation != "linear":
        raise ConfigError(
            "architecture",
            f"{what} needs a plain network with linear outputs, "
            f"got skip {arch.skip!r}, outputs {arch.output_activation!r}",
            "use skip 'none' and output_activation 'linear'",
        )


class GradientEstimator(Learner):
    """Estimates the gradient of the batch's mean cost; ``n_samples`` estimates are averaged."""

    name: str = ""

    def __init__(self, n_samples: int = 1) -> None:
        if n_samples < 1:
            raise ConfigError("n_samples", f"got {n_samples}", "expected at least 1")
        self.n_samples = int(n_samples)

    @abstractmethod
    def samples(
        self,
        arch: Architecture,
        params: Mapping[str, Array],
        x: Array,
        targets: Array,
        n: int,
        rng: np.random.Generator,
        loss: Loss | None = None,
    ) -> Params:
        """``n`` independent single-sample estimates, each array with a leading axis ``n``
        (``loss``, if given, must be the regression loss these estimators are defined for)."""

    def estimate(
        self, arch: Architecture, params: Mapping[str, Array], x: Array, targets: Array, rng: np.random.Generator
    ) -> Params:
        """The mean of ``n_samples`` single-sample estimates (what a learner applies)."""
        stacked = self.samples(arch, params, x, targets, self.n_samples, rng)
        return {name: g.mean(axis=0) for name, g in stacked.items()}

    def update(
        self, arch: Architecture, params: Mapping[str, Array], x: Array, y: Array, loss: Loss, rng: np.random.Generator
    ) -> Params:
        """:meth:`estimate`: the cost of a trial is the squared error to the targets ``y``."""
        _check_loss(loss, self.name)
        return self.estimate(arch, params, x, y, rng)

    def objective_gradient(
        self, arch: Architecture, params: Mapping[str, Array], x: Array, targets: Array, loss: Loss | None = None
    ) -> Params:
        """The exact gradient of the quantity this estimator is unbiased for."""
        _check_loss(loss or REGRESSION_LOSS, self.name)
        return true_gradient(arch, params, x, targets)


def _check_loss(loss: Loss, name: str) -> None:
    if loss.name != REGRESSION_LOSS.name:
        raise ConfigError(
            "loss",
            f"{name} estimates the gradient of the squared error to real-valued targets, got {loss.name!r}",
            f"use {REGRESSION_LOSS.name}",
        )


class Perturbation(GradientEstimator):
    """An estimator that measures the cost change caused by small Gaussian perturbations of size sigma."""

    def __init__(self, n_samples: int = 1, sigma: float = 1e-5) -> None:
        super().__init__(n_samples)
        if sigma <= 0:
            raise ConfigError("sigma", f"got {sigma}", "expected a positive perturbation size")
        self.sigma = float(sigma)


class WeightPerturbation(Perturbation):
    """Perturb every parameter at once; the change of the batch's cost weights the perturbation."""

    name = "weight_perturbation"
    #: the change of one scalar cost, with the perturbation each synapse made: no derivative,
    #: no backward pass
    properties = Properties(
        "rate",
        differentiable_activation=False,
        hard_threshold=True,
        local=True,
        weight_transport=False,
        stores_activations=False,
        scalar_reward=True,
    )

    def samples(self, arch, params, x, targets, n, rng, loss=None) -> Params:
        clean = trial_costs(forward(arch, params, x).output, targets).mean()
        noise = {name: rng.standard_normal((n, *p.shape)) for name, p in params.items()}
        stacked = {}
        for name, p in params.items():
            perturbed = p + self.sigma * noise[name]
            # Biases (n, out) broadcast over the batch as (n, 1, out).
            stacked[name] = perturbed[:, None, :] if p.ndim == 1 else perturbed
        costs = trial_costs(forward(arch, stacked, x).output, targets).mean(axis=-1)  # (n,)
        scale = (costs - clean) / self.sigma
        return {name: scale.reshape((n,) + (1,) * params[name].ndim) * u for name, u in noise.items()}

    def dimension(self, arch: Architecture) -> int:
        return n_parameters(arch)


class NodePerturbation(Perturbation):
    """Perturb the summed input of every unit in every trial; each trial's cost change weights
    its perturbation, and presynaptic activity turns it into weight updates."""

    name = "node_perturbation"
    #: each unit's own perturbation times the change of the scalar cost, times the presynaptic
    #: activity of the same trial: no derivative, no backward pass
    properties = Properties(
        "rate",
        differentiable_activation=False,
        hard_threshold=True,
        local=True,
        weight_transport=False,
        stores_activations=False,
        scalar_reward=True,
    )

    def samples(self, arch, params, x, targets, n, rng, loss=None) -> Params:
        clean = forward(arch, params, x)
        batch = len(x)
        noise = {layer: rng.standard_normal((n, batch, arch.sizes[layer])) for layer in range(1, arch.n_layers + 1)}
        perturbed = forward(arch, params, x, {layer: self.sigma * u for layer, u in noise.items()})
        change = trial_costs(perturbed.output, targets) - trial_costs(clean.output, targets)
        scale = (change / (self.sigma * batch))[..., None]  # (n, batch, 1)
        deltas = [None] + [scale * noise[layer] for layer in range(1, arch.n_layers + 1)]
        return weight_gradients(arch, clean, deltas)

    def dimension(self, arch: Architecture) -> int:
        return n_units(arch)


@dataclass(frozen=True)
class StochasticUnits:
    """Hidden units whose activity is drawn around ``f(z)``: the draw, ``d ln p / dz``, and the
    variance of the activity with its derivative (for the exact expected cost)."""

    name: str
    sample: Callable[[Activation, Array, tuple[int, ...], float, np.random.Generator], tuple[Array, Array]]
    variance: Callable[[Activation, Array, float], Array]
    variance_dz: Callable[[Activation, Array, float], Array]


def _gaussian_sample(
    act: Activation, z: Array, shape: tuple[int, ...], sigma: float, rng: np.random.Generator
) -> tuple[Array, Array]:
    xi = rng.standard_normal(shape)
    return act.f(z) + sigma * xi, xi * act.df(z) / sigma


def _bernoulli_sample(
    act: Activation, z: Array, shape: tuple[int, ...], sigma: float, rng: np.random.Generator
) -> tuple[Array, Array]:
    p = act.f(z)
    s = (rng.random(shape) < p).astype(float)
    return s, s - p


def _bernoulli_variance(act: Activation, z: Array, sigma: float) -> Array:
    p = act.f(z)
    return p * (1.0 - p)


def _bernoulli_variance_dz(act: Activation, z: Array, sigma: float) -> Array:
    p = act.f(z)
    return p * (1.0 - p) * (1.0 - 2.0 * p)


UNITS: dict[str, StochasticUnits] = {
    "gaussian": StochasticUnits(
        "gaussian",
        _gaussian_sample,
        lambda act, z, sigma: np.full_like(z, sigma**2),
        lambda act, z, sigma: np.zeros_like(z),
    ),
    "bernoulli": StochasticUnits("bernoulli", _bernoulli_sample, _bernoulli_variance, _bernoulli_variance_dz),
}

BASELINES = ("none", "running")


class Reinforce(GradientEstimator):
    """Williams' REINFORCE with stochastic units, with or without a running reward baseline.

    ``sigma`` is the standard deviation of the Gaussian units (hidden and output); ``bernoulli``
    hidden units need the ``sigmoid`` activation (their firing probability). The running
    baseline is an exponential average of the cost with a time constant of ``baseline_trials``
    trials, started at the mean cost of the first call and updated after every call.
    """

    def __init__(
        self,
        n_samples: int = 1,
        units: str = "gaussian",
        sigma: float = 0.1,
        baseline: str = "none",
        baseline_trials: float = 10.0,
    ) -> None:
        super().__init__(n_samples)
        if units not in UNITS:
            raise ConfigError("units", f"unknown units {units!r}", one_of(UNITS))
        if baseline not in BASELINES:
            raise ConfigError("baseline", f"unknown baseline {baseline!r}", one_of(BASELINES))
        if sigma <= 0 or baseline_trials < 1:
            raise ConfigError(
                "sigma",
                f"got sigma {sigma}, baseline_trials {baseline_trials}",
                "expected sigma > 0 and baseline_trials >= 1",
            )
        self.units, self.sigma, self.baseline = UNITS[units], float(sigma), baseline
        self.baseline_trials = float(baseline_trials)
        self.name = f"reinforce_{units}" + ("_baseline" if baseline != "none" else "")
        self.properties = REINFORCE_PROPERTIES[units]
        self.baseline_value: float | None = None
        self.held: float | None = None

    def reset(self) -> None:
        self.baseline_value = None

    def hold_baseline(self, value: float | None) -> None:
        """Fix the baseline at ``value``, with no running update; ``None`` lets it run again."""
        self.held = value

    def _check(self, arch: Architecture) -> None:
        _check_plain(arch, "REINFORCE")
        if self.units.name == "bernoulli" and arch.n_layers > 1 and arch.activation != "sigmoid":
            raise ConfigError(
                "activation",
                f"Bernoulli-logistic units need 'sigmoid' hidden units, got {arch.activation!r}",
                "use activation 'sigmoid'",
            )

    def run(
        self, arch: Architecture, params: Mapping[str, Array], x: Array, n: int, rng: np.random.Generator
    ) -> tuple[list[Array], list[Array | None]]:
        """``n`` stochastic passes: the sampled activity of every layer (``[0]`` the input) and
        ``d ln p / dz`` of every unit, each ``(n, batch, units)``."""
        self._check(arch)
        h: list[Array] = [np.asarray(x, dtype=float)]
        eligibility: list[Array | None] = [None]
        gaussian_out = UNITS["gaussian"]
        for layer in range(1, arch.n_layers + 1):
            z = params[bias_name(layer)] + h[-1] @ params[weight_name(layer, layer - 1)].T
            units = gaussian_out if layer == arch.n_layers else self.units
            shape = (n, len(x), arch.sizes[layer])
            activity, elig = units.sample(arch.activation_of(layer), z, shape, self.sigma, rng)
            h.append(activity)
            eligibility.append(elig)
        return h, eligibility

    def samples(self, arch, params, x, targets, n, rng, loss=None) -> Params:
        h, eligibility = self.run(arch, params, x, n, rng)
        costs = trial_costs(h[-1], targets)  # (n, batch)
        advantage = costs - self._baseline(costs)
        scale = (advantage / len(x))[..., None]
        deltas = [None] + [scale * e for e in eligibility[1:]]
        return weight_gradients(arch, ForwardCache(h=h, z=[]), deltas)

    def _baseline(self, costs: Array) -> float:
        """The baseline for this call's trials (fixed before they are seen), then updated."""
        if self.baseline == "none":
            return 0.0
        if self.held is not None:
            return self.held
        if self.baseline_value is None:
            self.baseline_value = float(costs.mean())
        current = self.baseline_value
        keep = (1.0 - 1.0 / self.baseline_trials) ** costs.size
        self.baseline_value = keep * current + (1.0 - keep) * float(costs.mean())
        return current

    def objective_gradient(self, arch, params, x, targets, loss=None) -> Params:
        """Exact gradient of the expected cost ``J``. With hidden activities of mean ``m = f(z)``
        and variance ``v(z)`` and linear output weights ``V``, ``J`` is the cost of the
        mean-field network plus ``mean_b 1/2 sum_j v_bj |V_:j|^2`` (plus a constant)."""
        self._check(arch)
        grads = true_gradient(arch, params, x, targets)
        if arch.n_layers == 1:
            return grads
        if arch.n_layers > 2:
            raise ConfigError(
                "sizes",
                f"{arch.sizes}: the expected cost of a stochastic network "
                "is known in closed form for at most one hidden layer",
                "use (n_in, n_out) or (n_in, n_hidden, n_out)",
            )
        act = arch.activation_of(1)
        cache = forward(arch, params, x)
        out_weights = params[weight_name(2, 1)]
        column_norms = np.sum(out_weights**2, axis=0)  # |V_:j|^2
        variance = self.units.variance(act, cache.z[1], self.sigma)
        grads[weight_name(2, 1)] = grads[weight_name(2, 1)] + out_weights * variance.mean(axis=0)
        dz = 0.5 * column_norms * self.units.variance_dz(act, cache.z[1], self.sigma) / len(x)
        penalty = weight_gradients(arch, cache, [None, dz])
        for name, g in penalty.items():
            grads[name] = grads[name] + g
        return grads

    def dimension(self, arch: Architecture) -> int:
        return n_units(arch)


#: Gaussian units: ``d ln p / dz = xi f'(z) / sigma`` uses the activation's derivative, so a
#: hard threshold (``f' = 0``) gives no update; Bernoulli units use ``s - p``, no derivative.
REINFORCE_PROPERTIES = {
    "gaussian": Properties(
        "rate",
        differentiable_activation=True,
        hard_threshold=False,
        local=True,
        weight_transport=False,
        stores_activations=False,
        scalar_reward=True,
    ),
    "bernoulli": Properties(
        "rate",
        differentiable_activation=False,
        hard_threshold=True,
        local=True,
        weight_transport=False,
        stores_activations=False,
        scalar_reward=True,
    ),
}


def _reinforce(units: str, baseline: str) -> Callable[..., Reinforce]:
    """The factory of one REINFORCE variant (units and baseline fixed by its name)."""
    if baseline == "none":

        def make(n_samples: int = 1, sigma: float = 0.1) -> Reinforce:
            return Reinforce(n_samples, units, sigma, baseline)
    else:

        def make(
            n_samples: int = 1,
            sigma: float = 0.1,  # type: ignore[misc]
            baseline_trials: float = 10.0,
        ) -> Reinforce:
            return Reinforce(n_samples, units, sigma, baseline, baseline_trials)

    return make


register(
    "weight_perturbation",
    WeightPerturbation.properties,
    "perturb every weight at once; the change of the cost weights the perturbation",
    WeightPerturbation,
)
register(
    "node_perturbation",
    NodePerturbation.properties,
    "perturb every unit's summed input; the change of the cost weights the perturbation",
    NodePerturbation,
)
for _units in UNITS:
    for _suffix, _baseline in (("", "none"), ("_baseline", "running")):
        register(
            f"reinforce_{_units}{_suffix}",
            REINFORCE_PROPERTIES[_units],
            f"REINFORCE with {_units} units" + (", running reward baseline" if _suffix else ""),
            _reinforce(_units, _baseline),
        )

#: The exact gradient and the reward-based estimators, in the order the variance experiments
#: report them (``sigma`` is the perturbation size of node and weight perturbation and the unit
#: noise of REINFORCE).
ESTIMATORS: tuple[str, ...] = (
    "backprop",
    "weight_perturbation",
    "node_perturbation",
    *(f"reinforce_{units}{suffix}" for units in UNITS for suffix in ("", "_baseline")),
)


def needs_hidden_layer(name: str) -> bool:
    """Bernoulli units are hidden units: without a hidden layer they are Gaussian REINFORCE."""
    return "bernoulli" in name


__all__ = [
    "BASELINES",
    "ESTIMATORS",
    "REGRESSION_LOSS",
    "REINFORCE_PROPERTIES",
    "UNITS",
    "GradientEstimator",
    "NodePerturbation",
    "Reinforce",
    "StochasticUnits",
    "WeightPerturbation",
    "flatten",
    "n_parameters",
    "n_units",
    "needs_hidden_layer",
    "trial_costs",
    "true_gradient",
]
