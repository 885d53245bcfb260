"""e-prop: eligibility traces computed forward in time, times an online learning signal.

Bellec et al. (2020) "A solution to the learning dilemma for recurrent networks of spiking
neurons", Nat Commun 11:3625. The gradient of the loss is written as a sum over time of a
learning signal ``L_{j,t}`` (the readout error sent to neuron ``j`` through feedback weights
``B``) times an eligibility trace ``e_{ji,t}`` of the synapse ``i -> j`` that depends only on
the activity of ``i`` and ``j``. For the network of :mod:`.network`, with presynaptic input
``s_t`` (the input spikes ``x_t`` or the previous recurrent spikes ``z_{t-1}``):

    zbar_t  = alpha zbar_{t-1} + s_t                       (filtered presynaptic activity)
    eps_t   = rho eps_{t-1} + e_{t-1}                       (how W moved the adaptation, ALIF)
    e_t     = psi_t (zbar_t - beta eps_t)                  (the eligibility trace)
    F(e)_t  = kappa F(e)_{t-1} + e_t                        (filtered like the readout)
    dW     += (g_t B) * F(e)_t,   g_t = dL/dy_t            (learning signal times eligibility)

Nothing here looks back in time, so the memory does not grow with the trial's length.
``B = W_out`` is symmetric e-prop (weight transport of the readout weights only), a fixed random
``B`` is random e-prop. The readout learns by its own delta rule (error times filtered spikes).

Two forms give the same numbers: :class:`OnlineEprop` runs the traces above step by step (one
eligibility value per synapse and trial: memory independent of ``T``), and :func:`eprop_gradients`
is BPTT with the paths through the recurrent weights and the reset dropped, one backward pass
over the stored trial (about as fast as BPTT, many times faster than the trace form in NumPy).
The learners train with the fast form; ``online=True`` selects the trace form, which is what the
memory measurement runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from ..ratenet.learner import OnlineLearner
from ..ratenet.losses import Loss
from ..registry import Properties, register
from .bptt import SpikingLearner
from .network import Params, SpikingArchitecture, State, backward, neuron_step, readout_loss, simulate

Array = np.ndarray


def eprop_gradients(
    arch: SpikingArchitecture,
    params: Mapping[str, Array],
    x: Array,
    labels: Array,
    loss: Loss,
    feedback: Array | None = None,
) -> Params:
    """e-prop's update (fast form): the backward pass without the recurrent and reset paths."""
    trace = simulate(arch, params, x)
    _, g = readout_loss(arch, trace.y, labels, loss)
    return backward(arch, params, trace, g, feedback=feedback, recurrent=False, reset=False)


class OnlineEprop:
    """e-prop as traces updated step by step: the state of one batch of trials.

    Arrays per trial: the neuron state, ``zbar`` (batch, n_in + n), and per synapse the
    adaptation eligibility ``eps``, the last eligibility ``e`` and its filtered form ``fe``
    (batch, n, n_in + n); the readout's filtered spikes ``fz``; the accumulated updates.
    """

    def __init__(
        self, arch: SpikingArchitecture, params: Mapping[str, Array], batch: int, feedback: Array | None = None
    ) -> None:
        n, width = arch.n_rec, arch.n_in + arch.n_rec
        self.arch, self.params = arch, params
        self.feedback = params["W_out"] if feedback is None else feedback
        self.state = State.zeros(arch, batch)
        self.beta = arch.beta
        self.w_in_t, self.w_rec_t = params["W_in"].T, params["W_rec"].T
        self.zbar = np.zeros((batch, width))
        self.eps = np.zeros((batch, n, width))
        self.e = np.zeros((batch, n, width))
        self.fe = np.zeros((batch, n, width))
        self.fz = np.zeros((batch, n))
        self.f1 = 0.0
        self.grad_w = np.zeros((n, width))
        self.grad_out = np.zeros_like(params["W_out"])
        self.grad_b = np.zeros_like(params["b_out"])

    def step(self, x_t: Array, g_fn: Callable[[Array], Array] | None) -> Array:
        """Advance one step with input spikes ``x_t``; ``g_fn(y_t)`` gives ``dL/dy_t`` (``g_fn`` is
        None outside the decision window, where the loss does not look). Returns the readout ``y_t``."""
        arch, s = self.arch, self.state
        pre = np.concatenate([x_t, s.z], axis=1)  # s_t: input spikes and the previous recurrent spikes
        v, a, z, psi = neuron_step(arch, self.w_rec_t, x_t @ self.w_in_t, s, self.beta)
        y = arch.kappa * s.y + z @ self.params["W_out"].T + self.params["b_out"]
        self.state = State(v, a, z, y)
        self.zbar = arch.alpha * self.zbar + pre
        self.eps = arch.rho * self.eps + self.e
        self.e = psi[:, :, None] * (self.zbar[:, None, :] - self.beta[None, :, None] * self.eps)
        self.fe = arch.kappa * self.fe + self.e
        self.fz = arch.kappa * self.fz + z
        self.f1 = arch.kappa * self.f1 + 1.0
        g = None if g_fn is None else g_fn(y)
        if g is not None:
            signal = g @ self.feedback  # (batch, n): the learning signal, broadcast to each neuron's synapses
            self.grad_w += np.einsum("bj,bji->ji", signal, self.fe)
            self.grad_out += g.T @ self.fz
            self.grad_b += g.sum(axis=0) * self.f1
        return y

    def result(self) -> Params:
        """The updates accumulated so far, as a parameter dict (``W_in``, ``W_rec``, ``W_out``, ``b_out``).

        They are summed over the steps and trials seen (with the scaling that ``g_fn`` put into each
        step's ``dL/dy_t``); ``W_rec``'s diagonal is zero, since there are no self-connections. The
        arrays are copies: the traces may go on.
        """
        n_in = self.arch.n_in
        grad_rec = self.grad_w[:, n_in:].copy()
        np.fill_diagonal(grad_rec, 0.0)
        return {
            "W_in": self.grad_w[:, :n_in].copy(),
            "W_rec": grad_rec,
            "W_out": self.grad_out.copy(),
            "b_out": self.grad_b.copy(),
        }


class Eprop(SpikingLearner, OnlineLearner):
    """e-prop with symmetric feedback (``B = W_out``): eligibility traces times the readout error."""

    name = "eprop"
    #: the learning signal reads the readout weights (a weight transport of the last layer only)
    properties = Properties(
        "spiking",
        differentiable_activation=True,
        hard_threshold=True,
        local=False,
        weight_transport=True,
        stores_activations=False,
        scalar_reward=False,
    )

    def __init__(self, online: bool = False) -> None:
        self.online = online
        self._run: OnlineEprop | None = None
        self._labels: Array | None = None

    def feedback_matrix(self, arch: SpikingArchitecture, params: Mapping[str, Array]) -> Array | None:
        """The matrix that carries the readout error to the neurons (None: ``W_out`` itself)."""
        return None

    def update(
        self,
        arch: SpikingArchitecture,
        params: Mapping[str, Array],
        x: Array,
        y: Array,
        loss: Loss,
        rng: np.random.Generator,
    ) -> Params:
        if not self.online:
            return eprop_gradients(arch, params, x, y, loss, self.feedback_matrix(arch, params))
        steps = len(x)
        self.begin(arch, params, np.shape(x)[1])
        for t in range(steps):
            self.step(arch, params, x[t], y if t >= steps - arch.n_recall else None, loss, rng)
        return self.end()

    def begin(self, arch: SpikingArchitecture, params: Mapping[str, Array], batch: int) -> None:
        self._run = OnlineEprop(arch, params, batch, self.feedback_matrix(arch, params))

    def step(
        self,
        arch: SpikingArchitecture,
        params: Mapping[str, Array],
        x_t: Array,
        y_t: Array | None,
        loss: Loss,
        rng: np.random.Generator,
    ) -> None:
        """One step; ``y_t`` is the batch's labels inside the decision window, None before it."""
        assert self._run is not None, "begin() first"
        self._run.step(x_t, None if y_t is None else (lambda out: loss.evaluate(out, y_t)[1] / arch.n_recall))

    def end(self) -> Params:
        assert self._run is not None, "begin() first"
        grads, self._run = self._run.result(), None
        return grads


class RandomEprop(Eprop):
    """e-prop with fixed random feedback weights ``B`` (no weight transport at all)."""

    name = "eprop_random"
    properties = Properties(
        "spiking",
        differentiable_activation=True,
        hard_threshold=True,
        local=True,
        weight_transport=False,
        stores_activations=False,
        scalar_reward=False,
    )

    def __init__(self, rng: np.random.Generator | None = None, online: bool = False, scale: float = 1.0) -> None:
        super().__init__(online)
        self.scale = scale
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.matrix: Array | None = None

    def feedback_matrix(self, arch: SpikingArchitecture, params: Mapping[str, Array]) -> Array:
        shape = params["W_out"].shape
        if self.matrix is None or self.matrix.shape != shape:
            self.matrix = self.rng.normal(0.0, self.scale / np.sqrt(shape[1]), shape)
        return self.matrix


for _learner in (Eprop, RandomEprop):
    register(_learner.name, _learner.properties, (_learner.__doc__ or "").split("\n")[0], _learner)
