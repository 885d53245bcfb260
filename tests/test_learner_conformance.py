"""Every registered learner through the same checks (as scikit-learn checks its estimators).

Rate learners: the update has the shapes of the weights; it is the same for the same seeds; a
small step along a deterministic update lowers the loss on average, and the mean of many
stochastic updates points along the gradient they estimate; the declared properties hold (no
weight transport: the hidden updates do not change when the weights above change behind a fixed
forward pass, or no backward pass runs at all; no activation derivative: the update does not
change when the hidden units' derivative does; no hard threshold: nothing reaches hard-threshold
hidden units); every option reaches its learner, directly and through the experiments' settings.
Spiking learners run as Brian2 rules: their declarations only. Spiking learners simulated in NumPy
(the recurrent spiking network of ``snnlearn.recurrent_snn``) go through a sequence-task variant:
shapes, determinism, descent on the smooth surrogate model or a mean along its gradient, and the
declared properties (weight transport: a change of the readout weights the forward pass cannot see
reaches the hidden updates; stored activations: memory grows with the trial's length; a scalar
reward: no backward pass; the pseudo-derivative: used only where declared).
"""

from __future__ import annotations

import dataclasses
import sys

import numpy as np
import pytest

from snnlearn import catalogue
from snnlearn.experiment import load_experiment
from snnlearn.ratenet import REGRESSION_LOSS, Architecture, BackwardLearner, GradientEstimator, make_learner, make_loss
from snnlearn.ratenet.activations import Activation
from snnlearn.ratenet.estimators import flatten
from snnlearn.ratenet.network import forward, init_params, layer_param_names
from snnlearn.ratenet.recurrent import RecurrentArchitecture, init_recurrent_params, recurrent_forward
from snnlearn.registry import Properties

RATE = list(catalogue.registered("rate"))
SPIKING = list(catalogue.registered("spiking"))
#: spiking learners simulated in NumPy (they have a factory)
SPIKING_NUMPY = [name for name, r in catalogue.registered("spiking").items() if r.factory is not None]


def problem(learner, seed: int = 0, activation: str = "sigmoid", batch: int = 4):
    """A tiny regression problem for the learner's kind of network: (arch, params, x, targets)."""
    rng = np.random.default_rng(seed)
    if learner.network_type is RecurrentArchitecture:
        arch = RecurrentArchitecture(3, 4, 2)
        params = init_recurrent_params(arch, rng)
        x = rng.normal(size=(5, batch, 3))
        return arch, params, x, rng.normal(size=(batch, 2))
    arch = Architecture((4, 5, 3), activation=activation)
    params = init_params(arch, rng, "lecun")
    return arch, params, rng.normal(size=(batch, 4)), rng.normal(size=(batch, 3))


def loss_of(arch, params, x, targets) -> float:
    output = (
        recurrent_forward(arch, params, x).outputs[-1]
        if isinstance(arch, RecurrentArchitecture)
        else forward(arch, params, x).output
    )
    return REGRESSION_LOSS.evaluate(output, targets)[0]


def build(name: str, seed: int = 1):
    return make_learner(name, rng=np.random.default_rng(seed))


def update(learner, arch, params, x, targets, seed: int = 2):
    return learner.update(arch, params, x, targets, REGRESSION_LOSS, np.random.default_rng(seed))


def stochastic(learner, arch) -> bool:
    return learner.dimension(arch) is not None


def hidden_names(arch) -> list[str]:
    return [n for layer in range(1, arch.n_layers) for n in layer_param_names(arch, layer)]


@pytest.mark.parametrize("name", RATE)
def test_update_has_the_shape_of_every_weight(name):
    learner = build(name)
    arch, params, x, targets = problem(learner)
    grads = update(learner, arch, params, x, targets)
    assert {k: v.shape for k, v in grads.items()} == {k: v.shape for k, v in params.items()}
    assert all(np.all(np.isfinite(g)) for g in grads.values())
    assert learner.name == name


@pytest.mark.parametrize("name", RATE)
def test_update_is_deterministic_given_the_seeds(name):
    arch, params, x, targets = problem(build(name))
    first = update(build(name), arch, params, x, targets)
    second = update(build(name), arch, params, x, targets)
    for key in first:
        np.testing.assert_array_equal(first[key], second[key], err_msg=key)


@pytest.mark.parametrize("name", RATE)
def test_update_descends_or_its_mean_follows_the_gradient(name):
    learner = build(name)
    arch, params, x, targets = problem(learner)
    if stochastic(learner, arch):
        names = list(params)
        mean = flatten(learner.samples(arch, params, x, targets, 20_000, np.random.default_rng(3)), names, lead=1).mean(
            axis=0
        )
        true = flatten(learner.objective_gradient(arch, params, x, targets), names)
        assert mean @ true / (np.linalg.norm(mean) * np.linalg.norm(true)) > 0.9
        return
    changes = []
    for seed in range(8):
        arch, params, x, targets = problem(learner, seed)
        grads = update(build(name, seed), arch, params, x, targets)
        step = 1e-3 / max(np.linalg.norm(flatten(grads, list(grads))), 1e-12)
        moved = {k: p - step * grads.get(k, 0.0) for k, p in params.items()}
        changes.append(loss_of(arch, moved, x, targets) - loss_of(arch, params, x, targets))
    assert np.mean(changes) < 0 and sum(c < 0 for c in changes) >= 6


def test_every_declaration_is_well_formed():
    for name, entry in catalogue.registered().items():
        props = entry.properties
        assert isinstance(props, Properties) and entry.summary, name
        assert all(isinstance(v, bool) for k, v in props.as_dict().items() if k != "kind"), name
        if props.local:  # a local rule reads no weights of other synapses and keeps no history
            assert not props.weight_transport and not props.stores_activations, name
        if props.kind == "rate":  # f' of a hard threshold is 0: one or the other
            assert props.hard_threshold != props.differentiable_activation, name
        elif entry.factory is None:  # a Brian2 rule: no derivative of a spike
            assert props.hard_threshold and not props.differentiable_activation, name
        else:  # a NumPy spiking network: hard spikes, maybe a pseudo-derivative (a surrogate)
            assert props.hard_threshold, name
    assert {"stdp_diehl_cook", "rstdp", "rstdp_baseline"} <= set(SPIKING)
    numpy_spiking = {"surrogate_bptt", "truncated_bptt", "eprop", "eprop_random", "reward_node_perturbation"}
    assert numpy_spiking <= set(SPIKING_NUMPY)


@pytest.mark.parametrize("name", RATE)
def test_scalar_reward_is_declared_by_the_estimators(name):
    learner = build(name)
    assert learner.properties == catalogue.registration(name).properties
    assert learner.properties.scalar_reward == isinstance(learner, GradientEstimator)


class Counted:
    """Counts calls of the backward-pass functions in every loaded ``snnlearn.ratenet`` module."""

    NAMES = ("backward", "backward_errors", "recurrent_backward")

    def __init__(self, monkeypatch) -> None:
        self.calls = 0
        for module in [m for key, m in sys.modules.items() if key.startswith("snnlearn.ratenet")]:
            for fn in self.NAMES:
                if hasattr(module, fn):
                    monkeypatch.setattr(module, fn, self.wrap(getattr(module, fn)))

    def wrap(self, fn):
        def counted(*args, **kwargs):
            self.calls += 1
            return fn(*args, **kwargs)

        return counted


@pytest.mark.parametrize("name", RATE)
def test_weight_transport_and_stored_activations_are_as_declared(name, monkeypatch):
    learner = build(name)
    props = learner.properties
    arch, params, x, targets = problem(learner)
    if isinstance(learner, BackwardLearner):
        # the forward pass is fixed; only the weights above the hidden layer change behind it
        cache = forward(arch, params, x)
        _, dout = REGRESSION_LOSS.evaluate(cache.output, targets)
        other = dict(params)
        top = f"W{arch.n_layers}_{arch.n_layers - 1}"
        other[top] = params[top] * np.random.default_rng(5).uniform(0.2, 3.0, params[top].shape) * -1
        before = learner.gradients(arch, params, cache, dout)
        after = learner.gradients(arch, other, cache, dout)
        same = all(np.array_equal(before[n], after[n]) for n in hidden_names(arch))
        assert same == (not props.weight_transport), name
        if not props.stores_activations:  # nothing travels back: only the last layer learns
            assert all(not np.any(before[n]) for n in hidden_names(arch)), name
    else:
        counter = Counted(monkeypatch)
        update(learner, arch, params, x, targets)
        uses_backward = counter.calls > 0
        assert uses_backward == props.weight_transport == props.stores_activations, name


@pytest.mark.parametrize("name", [n for n in RATE if build(n).network_type is Architecture])
def test_activation_derivative_is_used_only_where_declared(name):
    learner = build(name)
    arch, params, x, targets = problem(learner)
    tampered = Architecture(arch.sizes, activation=arch.activation)
    act = arch.hidden_activation
    tampered.__dict__["hidden_activation"] = Activation(act.name, act.f, lambda z: 3.0 * act.df(z) + 0.5)
    plain, changed = update(learner, arch, params, x, targets), update(build(name), tampered, params, x, targets)
    same = all(np.array_equal(plain[n], changed[n]) for n in plain)
    assert same == (not learner.properties.differentiable_activation), name


@pytest.mark.parametrize(
    "name", [n for n in RATE if build(n).network_type is Architecture and "bernoulli" not in n]
)  # Bernoulli units are their own threshold
def test_hard_threshold_hidden_units(name):
    learner = build(name)
    arch, params, x, targets = problem(learner, activation="step")
    grads = update(learner, arch, params, x, targets)
    assert all(np.all(np.isfinite(g)) for g in grads.values())
    if not learner.properties.hard_threshold:  # f' = 0: no error reaches the hidden units
        assert all(not np.any(grads[n]) for n in hidden_names(arch)), name


def nondefault(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 2
    return value * 1.7


@pytest.mark.parametrize("name", RATE + SPIKING_NUMPY)
def test_every_option_reaches_its_learner(name):
    entry = catalogue.registration(name)
    for option, default in entry.defaults().items():
        if default is None:
            continue
        learner = make_learner(name, **{option: nondefault(default)})
        assert getattr(learner, option) == nondefault(default), (name, option)


class Recording(dict):
    """A settings mapping that records which keys are read."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)


def options_of(learner, name: str) -> dict:
    return {option: getattr(learner, option) for option in catalogue.registration(name).options}


@pytest.mark.parametrize("experiment", ["estimator_digits", "rl_variance"])
def test_every_setting_an_experiment_gives_a_learner_reaches_it(experiment):
    """A setting the experiment reads for a learner changes that learner when it changes (today's
    bug class: ``sigma`` read but dropped by the factory)."""
    module = load_experiment(experiment)
    for name in module.ESTIMATORS:  # the learners the experiment takes
        settings = Recording(module.PARAMS)
        base = options_of(make_learner(name, **module.learner_options(name, settings)), name)
        for key in settings.read:
            changed = dict(module.PARAMS, **{key: nondefault(module.PARAMS[key])})
            now = options_of(make_learner(name, **module.learner_options(name, changed)), name)
            assert now != base, (experiment, name, key)


def test_the_properties_dataclass_lists_every_column():
    assert [f.name for f in dataclasses.fields(Properties)] == list(catalogue.PROPERTY_TITLES)


# --- spiking learners simulated in NumPy: the sequence-task variant --------------------------------


def spiking_problem(seed: int = 0, spike: str = "hard", steps: int = 30, batch: int = 2, **changes):
    """A tiny recurrent LIF/ALIF network and a batch of input spikes: (arch, params, x, labels)."""
    from snnlearn.recurrent_snn import SpikingArchitecture
    from snnlearn.recurrent_snn import init_params as init_spiking

    rng = np.random.default_rng(seed)
    arch = SpikingArchitecture(
        **{
            "n_in": 6,
            "n_lif": 3,
            "n_alif": 3,
            "n_recall": 6,
            "spike": spike,
            "gamma": 1.0,
            "tau_a": 60.0,
            "beta_alif": 0.3,
            **changes,
        }
    )
    params = init_spiking(arch, rng, w_in=3.0, w_rec=2.0, w_out=0.3)
    return arch, params, (rng.random((steps, batch, 6)) < 0.3).astype(float), rng.integers(0, 2, batch)


CROSS_ENTROPY = make_loss("softmax_cross_entropy")


def spiking_update(name, arch, params, x, labels, seed: int = 2, **options):
    return build_with(name, **options).update(arch, params, x, labels, CROSS_ENTROPY, np.random.default_rng(seed))


def build_with(name, **options):
    return make_learner(name, rng=np.random.default_rng(1), **options)


@pytest.mark.parametrize("name", SPIKING_NUMPY)
def test_spiking_update_has_the_shapes_and_is_deterministic(name):
    arch, params, x, labels = spiking_problem()
    first, second = (spiking_update(name, arch, params, x, labels) for _ in range(2))
    assert {k: v.shape for k, v in first.items()} == {k: v.shape for k, v in params.items()}
    for key in first:
        assert np.all(np.isfinite(first[key])) and np.array_equal(first[key], second[key]), key
    assert not np.any(np.diag(first["W_rec"])), "no self-connections"


@pytest.mark.parametrize("name", SPIKING_NUMPY)
def test_spiking_update_descends_or_its_mean_follows_the_gradient(name):
    """On the smooth surrogate model (z = S(u)): a small step along a deterministic update lowers
    the loss on average; the mean of a stochastic learner's updates points along the gradient."""
    from snnlearn.recurrent_snn import loss_of as spiking_loss
    from snnlearn.recurrent_snn import surrogate_gradient

    learner = build_with(name)
    if learner.dimension(spiking_problem()[0]) is not None:
        arch, params, x, labels = spiking_problem(spike="soft", steps=20)
        rng = np.random.default_rng(3)
        small_noise = build_with(name, sigma=0.01, sigma_out=0.01, block=1)
        mean = np.mean(
            [
                flatten(small_noise.update(arch, params, x, labels, CROSS_ENTROPY, rng), list(params))
                for _ in range(1000)
            ],
            axis=0,
        )
        true = flatten(surrogate_gradient(arch, params, x, labels, CROSS_ENTROPY), list(params))
        assert mean @ true / (np.linalg.norm(mean) * np.linalg.norm(true)) > 0.7
        return
    changes = []
    for seed in range(8):
        arch, params, x, labels = spiking_problem(seed, spike="soft")
        grads = spiking_update(name, arch, params, x, labels)
        step = 1e-3 / max(np.linalg.norm(flatten(grads, list(grads))), 1e-12)
        moved = {k: p - step * grads[k] for k, p in params.items()}
        changes.append(
            spiking_loss(arch, moved, x, labels, CROSS_ENTROPY) - spiking_loss(arch, params, x, labels, CROSS_ENTROPY)
        )
    assert np.mean(changes) < 0 and sum(c < 0 for c in changes) >= 6


@pytest.mark.parametrize("name", SPIKING_NUMPY)
def test_spiking_weight_transport_scalar_reward_and_pseudo_derivative_are_as_declared(name, monkeypatch):
    from snnlearn.recurrent_snn import network, simulate

    props = catalogue.registration(name).properties
    arch, params, x, labels = spiking_problem(steps=50)
    params["W_in"][:2] = 0.01 * np.abs(params["W_in"][:2])  # neurons 0, 1: below threshold, never spike
    params["W_rec"][:2] = 0.0
    trace = simulate(arch, params, x)
    assert not trace.z[:, :, :2].any() and trace.psi[:, :, :2].max() > 0
    calls = []
    real_backward = network.backward
    for module in [m for key, m in sys.modules.items() if key.startswith("snnlearn.recurrent_snn")]:
        if hasattr(module, "backward"):
            monkeypatch.setattr(module, "backward", lambda *a, **k: calls.append(1) or real_backward(*a, **k))
    plain = spiking_update(name, arch, params, x, labels)
    assert (not calls) == props.scalar_reward, name  # a scalar reward: no error is sent back
    if not props.scalar_reward:  # W_out of silent neurons: invisible to the forward pass
        other = dict(params, W_out=params["W_out"].copy())
        other["W_out"][:, :2] *= -3.0
        moved = spiking_update(name, arch, other, x, labels)
        same = all(np.array_equal(plain[k], moved[k]) for k in ("W_in", "W_rec"))
        assert same == (not props.weight_transport), name
    steeper = spiking_update(name, arch.replace(gamma=2.5), params, x, labels)
    same = all(np.array_equal(plain[k], steeper[k]) for k in ("W_in", "W_rec"))
    assert same == (not props.differentiable_activation), name


@pytest.mark.parametrize("name", [n for n in SPIKING_NUMPY if not catalogue.registration(n).properties.scalar_reward])
def test_spiking_stored_activations_are_as_declared(name):
    """Memory grows with the trial's length (below any truncation) exactly for the learners that
    declare a stored forward pass."""
    from snnlearn.recurrent_snn import SpikingArchitecture
    from snnlearn.recurrent_snn.memory import memory_against_steps, slopes

    arch = SpikingArchitecture(n_in=6, n_lif=6, n_alif=6, n_recall=5)
    learner = build_with(name, online=True) if "online" in catalogue.registration(name).options else build_with(name)
    curve = memory_against_steps(arch, {name: learner}, [20, 40, 80], 4, CROSS_ENTROPY, np.random.default_rng(0))
    grows = slopes(curve[name])["loglog"] > 0.5
    assert grows == catalogue.registration(name).properties.stores_activations, name
