"""Learners: rules that turn a forward pass and the output error into parameter updates.

A :class:`Learner` sees the architecture, the parameters, the :class:`~.network.ForwardCache` of
a batch and ``dL/d output``, and returns a gradient-like update for each parameter (an optimiser
then applies it). Every learner plugs into the same networks and training loop, so switching the
learner is one option (:func:`make_learner`).

:class:`ChainLearner` sends the error down layer by layer; what distinguishes one chain rule
from another is only the matrix each error travels back through (:meth:`ChainLearner.feedback`).
:class:`Backprop` uses the forward weights themselves, which gives the exact gradient.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping

import numpy as np

from ..errors import ConfigError, one_of
from .network import Architecture, ForwardCache, Params, backward

Array = np.ndarray


class Learner(ABC):
    """Computes updates (in the sign convention of a gradient: the optimiser subtracts them)."""

    name: str = ""

    @abstractmethod
    def gradients(self, arch: Architecture, params: Mapping[str, Array], cache: ForwardCache,
                  dloss_doutput: Array) -> Params:
        """One update per parameter name, from a batch's forward cache and ``dL/d output``."""


class ChainLearner(Learner):
    """Errors travel down through a matrix per weight: ``e_k += delta_l @ feedback(W_{l,k})``."""

    @abstractmethod
    def feedback(self, name: str, weight: Array) -> Array:
        """The matrix (shape of ``weight``) that carries errors back across weight ``name``."""

    def gradients(self, arch: Architecture, params: Mapping[str, Array], cache: ForwardCache,
                  dloss_doutput: Array) -> Params:
        return backward(arch, params, cache, dloss_doutput, self.feedback)


class Backprop(ChainLearner):
    """The exact gradient: errors travel back through the transposed forward weights."""

    name = "backprop"

    def feedback(self, name: str, weight: Array) -> Array:
        return weight


#: name -> constructor ``(rng, **options) -> Learner``.
LEARNERS: dict[str, Callable[..., Learner]] = {
    "backprop": lambda rng=None, **options: Backprop(**options),
}


def make_learner(name: str, rng: np.random.Generator | None = None, **options) -> Learner:
    """The learner called ``name``; ``rng`` draws any fixed random matrices it needs."""
    if name not in LEARNERS:
        raise ConfigError("learner", f"unknown learner {name!r}", one_of(LEARNERS))
    return LEARNERS[name](rng=rng, **options)
