"""A recurrent rate network trained by backprop through time (BPTT).

    z_t = b + x_t W_in^T + h_{t-1} W_rec^T,    h_t = f(z_t),    y_t = f_out(b_out + h_t W_out^T)

with ``h_0 = 0``. The forward pass keeps every ``x_t``, ``z_t`` and ``h_t``: BPTT needs the whole
history to send the error back in time (Werbos 1990), which is why its memory grows with the
sequence length ``T``. As in :mod:`.network`, the matrices that carry errors back (across
``W_out`` and across ``W_rec``) come from a pluggable ``feedback`` function.

:class:`BPTT` is the registered learner (``bptt``): a batch of sequences ``(T, batch, n_in)`` in,
the loss on the last step's output, the gradient of every parameter out, through the same
interface and training loop as the feed-forward learners.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..registry import Properties, register
from .activations import Activation, make_activation
from .learner import Learner
from .losses import REGRESSION_LOSS, Loss
from .network import Feedback, Params

Array = np.ndarray
RECURRENT_PARAMS = ("W_in", "W_rec", "b", "W_out", "b_out")


@dataclass(frozen=True)
class RecurrentArchitecture:
    """Sizes and activations of a one-layer recurrent network with a readout."""

    n_in: int
    n_hidden: int
    n_out: int
    activation: str = "tanh"
    output_activation: str = "linear"

    @cached_property
    def hidden_activation(self) -> Activation:
        """The activation ``f`` of the recurrent units (:attr:`activation`), made once."""
        return make_activation(self.activation)

    @cached_property
    def out_activation(self) -> Activation:
        """The activation ``f_out`` of the readout (:attr:`output_activation`), made once."""
        return make_activation(self.output_activation)


def init_recurrent_params(arch: RecurrentArchitecture, rng: np.random.Generator, gain: float = 0.9) -> Params:
    """LeCun-scaled input and readout weights; recurrent weights N(0, gain^2 / n_hidden)."""
    n, n_in, n_out = arch.n_hidden, arch.n_in, arch.n_out
    return {
        "W_in": rng.normal(0.0, 1.0 / np.sqrt(n_in), (n, n_in)),
        "W_rec": rng.normal(0.0, gain / np.sqrt(n), (n, n)),
        "b": np.zeros(n),
        "W_out": rng.normal(0.0, 1.0 / np.sqrt(n), (n_out, n)),
        "b_out": np.zeros(n_out),
    }


@dataclass
class RecurrentCache:
    """The history BPTT keeps: inputs ``x`` (T, batch, n_in), ``z`` (T, batch, n), ``h``
    (T+1, batch, n, with ``h[0] = 0``) and the readout ``z_out``/``outputs`` (T, batch, n_out)."""

    x: Array
    z: Array
    h: Array
    z_out: Array
    outputs: Array

    def nbytes(self) -> int:
        """The memory held by the stored history, in bytes (it grows with the sequence length T)."""
        return sum(a.nbytes for a in (self.x, self.z, self.h, self.z_out, self.outputs))


def recurrent_forward(
    arch: RecurrentArchitecture,
    params: Mapping[str, Array],
    xs: Array,
) -> RecurrentCache:
    """Run a batch of sequences ``xs`` (T, batch, n_in) and keep the whole history."""
    xs = np.asarray(xs, dtype=float)
    steps, batch = xs.shape[:2]
    z = np.empty((steps, batch, arch.n_hidden))
    h = np.zeros((steps + 1, batch, arch.n_hidden))
    f = arch.hidden_activation.f
    for t in range(steps):
        z[t] = params["b"] + xs[t] @ params["W_in"].T + h[t] @ params["W_rec"].T
        h[t + 1] = f(z[t])
    z_out = params["b_out"] + h[1:] @ params["W_out"].T
    return RecurrentCache(xs, z, h, z_out, arch.out_activation.f(z_out))


def recurrent_backward(
    arch: RecurrentArchitecture,
    params: Mapping[str, Array],
    cache: RecurrentCache,
    dloss_doutputs: Array,
    feedback: Feedback | None = None,
) -> Params:
    """BPTT: gradients of a loss whose derivative with respect to every ``y_t`` is given.

    ``dloss_doutputs`` has the shape of ``cache.outputs``; a loss on the last step only has
    zeros elsewhere. ``feedback(name, W)`` replaces ``W_out``/``W_rec`` on the way back.
    """

    def carrier(name: str) -> Array:
        return params[name] if feedback is None else feedback(name, params[name])

    back_out, back_rec = carrier("W_out"), carrier("W_rec")
    df = arch.hidden_activation.df
    d_out = dloss_doutputs * arch.out_activation.df(cache.z_out)
    grads = {name: np.zeros_like(params[name]) for name in RECURRENT_PARAMS}
    grads["W_out"] = np.einsum("tbo,tbn->on", d_out, cache.h[1:])
    grads["b_out"] = d_out.sum(axis=(0, 1))
    from_future = np.zeros_like(cache.h[0])
    for t in range(len(cache.z) - 1, -1, -1):
        delta = (d_out[t] @ back_out + from_future) * df(cache.z[t])
        grads["W_in"] += delta.T @ cache.x[t]
        grads["W_rec"] += delta.T @ cache.h[t]
        grads["b"] += delta.sum(axis=0)
        from_future = delta @ back_rec
    return grads


def last_step_gradient(dloss_dlast: Array, steps: int) -> Array:
    """``dL/dy_t`` for a loss on the last step only: zeros, then ``dloss_dlast`` at ``t = T``."""
    out = np.zeros((steps, *dloss_dlast.shape))
    out[-1] = dloss_dlast
    return out


def recurrent_output(arch: RecurrentArchitecture, params: Mapping[str, Array], xs: Array) -> Array:
    """The readout at the last step of each sequence of ``xs`` (T, batch, n_in)."""
    return recurrent_forward(arch, params, xs).outputs[-1]


class BPTT(Learner):
    """Backprop through time of the loss on the last step's readout (the exact gradient)."""

    name = "bptt"
    network_type = RecurrentArchitecture
    properties = Properties(
        "rate",
        differentiable_activation=True,
        hard_threshold=False,
        local=False,
        weight_transport=True,
        stores_activations=True,
        scalar_reward=False,
    )

    def update(
        self,
        arch: RecurrentArchitecture,
        params: Mapping[str, Array],
        x: Array,
        y: Array,
        loss: Loss,
        rng: np.random.Generator,
    ) -> Params:
        cache = recurrent_forward(arch, params, x)
        _, d_last = loss.evaluate(cache.outputs[-1], y)
        return recurrent_backward(arch, params, cache, last_step_gradient(d_last, len(x)))

    def objective_gradient(
        self, arch: RecurrentArchitecture, params: Mapping[str, Array], x: Array, y: Array, loss: Loss | None = None
    ) -> Params:
        return self.update(arch, params, x, y, loss or REGRESSION_LOSS, np.random.default_rng(0))


register(BPTT.name, BPTT.properties, "backprop through time, loss on the last step", BPTT)
