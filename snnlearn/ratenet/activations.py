"""Activation functions and the derivative the backward pass uses for each.

An :class:`Activation` pairs a forward function with the derivative that is sent backwards.
For smooth functions that is the true derivative. For the hard step (the threshold of a spiking
neuron) the true derivative is zero almost everywhere, so backprop delivers no error to the
layers below it; the ``step_surrogate`` variant keeps the step in the forward pass but uses
SuperSpike's fast-sigmoid derivative ``1 / (1 + beta |z|)^2`` backwards
(Zenke & Ganguli 2018, Neural Computation 30:1514).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, one_of

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """A forward function ``f(z)`` and the derivative ``df(z)`` used by the backward pass.

    ``exact`` is False when ``df`` is not the derivative of ``f`` (a surrogate), so finite
    differences of ``f`` cannot check it.
    """

    name: str
    f: Callable[[Array], Array]
    df: Callable[[Array], Array]
    exact: bool = True


def _sigmoid(z: Array) -> Array:
    # Split by sign so that exp never overflows.
    out = np.empty_like(z, dtype=float)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def _sigmoid_df(z: Array) -> Array:
    s = _sigmoid(z)
    return s * (1.0 - s)


def _step(z: Array) -> Array:
    return (z > 0).astype(float)


def _zeros(z: Array) -> Array:
    return np.zeros_like(z, dtype=float)


def fast_sigmoid_derivative(beta: float) -> Callable[[Array], Array]:
    """SuperSpike's surrogate derivative ``1 / (1 + beta |z|)^2`` (peak 1 at the threshold)."""

    def df(z: Array) -> Array:
        return 1.0 / (1.0 + beta * np.abs(z)) ** 2

    return df


def make_activation(name: str, surrogate_beta: float = 5.0) -> Activation:
    """The activation called ``name`` (see :data:`ACTIVATION_NAMES`).

    ``surrogate_beta`` sets the steepness of the surrogate derivative of ``step_surrogate``.
    """
    if name == "step_surrogate":
        return Activation(name, _step, fast_sigmoid_derivative(surrogate_beta), exact=False)
    if name not in _FIXED:
        raise ConfigError("activation", f"unknown activation {name!r}", one_of(ACTIVATION_NAMES))
    return _FIXED[name]


_FIXED: dict[str, Activation] = {
    "linear": Activation("linear", lambda z: np.asarray(z, dtype=float), np.ones_like),
    "sigmoid": Activation("sigmoid", _sigmoid, _sigmoid_df),
    "tanh": Activation("tanh", np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "relu": Activation("relu", lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
    # The true derivative of a hard threshold: zero everywhere except at 0, where it is undefined.
    "step": Activation("step", _step, _zeros),
}

ACTIVATION_NAMES: tuple[str, ...] = (*_FIXED, "step_surrogate")
