"""Surrogate-gradient learners of the recurrent spiking network: BPTT and truncated BPTT.

Both send the readout error back through time by :func:`.network.backward` (Werbos 1990; the
surrogate-gradient form of Neftci, Mostafa & Zenke 2019 and Bellec et al. 2018). BPTT keeps the
spikes and pseudo-derivatives of every step of the trial, so its memory grows linearly with the
trial's length ``T``. Truncated BPTT runs the trial in chunks of ``truncation`` steps and sends
errors back only within a chunk (the state, not the gradient, crosses chunk boundaries): its
memory is bounded by the chunk, but no error reaches further back than ``truncation`` steps.

:class:`SpikingLearner` is the base of every learner of this network (:mod:`.eprop`,
:mod:`.reward` too): the learner interface of :mod:`snnlearn.ratenet.learner`, a batch
``x`` (T, batch, n_in) of input spikes with its labels in, updates of ``W_in``, ``W_rec``,
``W_out`` and ``b_out`` out.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..ratenet.learner import Learner
from ..ratenet.losses import Loss, make_loss
from ..registry import Properties, register
from .network import Params, SpikingArchitecture, State, backward, readout_loss, simulate

Array = np.ndarray


class SpikingLearner(Learner):
    """A learner of :class:`~.network.SpikingArchitecture` networks (NumPy simulation)."""

    network_type = SpikingArchitecture

    def objective_gradient(
        self, arch: SpikingArchitecture, params: Mapping[str, Array], x: Array, y: Array, loss: Loss | None = None
    ) -> Params:
        """BPTT's gradient of the surrogate model (softmax cross-entropy by default)."""
        return surrogate_gradient(arch, params, x, y, loss or make_loss("softmax_cross_entropy"))


def surrogate_gradient(
    arch: SpikingArchitecture, params: Mapping[str, Array], x: Array, labels: Array, loss: Loss
) -> Params:
    """The exact gradient of the surrogate model: one forward pass kept whole, one backward pass."""
    trace = simulate(arch, params, x)
    _, g = readout_loss(arch, trace.y, labels, loss)
    return backward(arch, params, trace, g)


class SurrogateBPTT(SpikingLearner):
    """Backprop through time of the surrogate model: the whole trial stored, errors sent back."""

    name = "surrogate_bptt"
    properties = Properties(
        "spiking",
        differentiable_activation=True,
        hard_threshold=True,
        local=False,
        weight_transport=True,
        stores_activations=True,
        scalar_reward=False,
    )

    def update(
        self,
        arch: SpikingArchitecture,
        params: Mapping[str, Array],
        x: Array,
        y: Array,
        loss: Loss,
        rng: np.random.Generator,
    ) -> Params:
        return surrogate_gradient(arch, params, x, y, loss)


class TruncatedBPTT(SpikingLearner):
    """BPTT within chunks of ``truncation`` steps; the state carries over, the error does not."""

    name = "truncated_bptt"
    properties = Properties(
        "spiking",
        differentiable_activation=True,
        hard_threshold=True,
        local=False,
        weight_transport=True,
        stores_activations=True,
        scalar_reward=False,
    )

    def __init__(self, truncation: int = 100) -> None:
        self.truncation = int(truncation)

    def update(
        self,
        arch: SpikingArchitecture,
        params: Mapping[str, Array],
        x: Array,
        y: Array,
        loss: Loss,
        rng: np.random.Generator,
    ) -> Params:
        steps, batch = np.shape(x)[:2]
        grads = {k: np.zeros_like(v) for k, v in params.items()}
        state = State.zeros(arch, batch)
        for start in range(0, steps, self.truncation):
            trace = simulate(arch, params, x[start : start + self.truncation], state)
            _, g = readout_loss(arch, trace.y, y, loss, start, steps)
            if g.any():  # a chunk without loss gets no error: errors do not cross chunks
                for k, v in backward(arch, params, trace, g).items():
                    grads[k] += v
            state = trace.final
        return grads


for _learner in (SurrogateBPTT, TruncatedBPTT):
    register(_learner.name, _learner.properties, (_learner.__doc__ or "").split("\n")[0], _learner)
