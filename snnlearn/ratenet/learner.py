"""The one learner interface of the rate networks, and the factory that builds any learner by name.

Every learner answers the same call,

    update(arch, params, x, y, loss, rng) -> {parameter name: update}

from a network (its architecture and parameters), a batch (``x``: ``(batch, n_in)``, or
``(T, batch, n_in)`` for a sequence), its labels or targets ``y``, the loss and a random
generator. The update has the sign of a gradient (an optimiser subtracts it) and one array of
each updated parameter's shape. Backprop and its weight-transport-free relatives, the estimators
that learn from a scalar reward (node and weight perturbation, REINFORCE) and backprop through
time all plug into the same training loop (:func:`.train.fit`).

Learners that learn while a sequence runs, step by step, derive from :class:`OnlineLearner`:
they see one time step at a time (:meth:`OnlineLearner.step`) and their :meth:`~Learner.update`
of a whole sequence is the sum of the steps, so the same loop serves them too.

The variance measurements (:mod:`.variance`) need a learner's single-trial updates over many
draws and the gradient it is meant to follow: :meth:`Learner.samples` and
:meth:`Learner.objective_gradient` (for a deterministic learner: ``n`` copies of its update, and
the exact gradient of the loss).

:func:`make_learner` builds a registered rate learner from its options; an option the learner
does not take is an error, never silently dropped.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import ConfigError, one_of
from ..registry import Properties, buildable, registered
from .losses import REGRESSION_LOSS, Loss
from .network import Architecture, Params, backward, forward

Array = np.ndarray


class Learner(ABC):
    """Computes updates (in the sign convention of a gradient: the optimiser subtracts them)."""

    name: str = ""
    #: the declared properties (also in the registry)
    properties: Properties
    #: single-trial estimates averaged per update (1 for a deterministic learner)
    n_samples: int = 1
    #: the architecture class of the networks it trains (feed-forward by default)
    network_type: type = Architecture

    @abstractmethod
    def update(
        self, arch: Any, params: Mapping[str, Array], x: Array, y: Array, loss: Loss, rng: np.random.Generator
    ) -> Params:
        """One update per learned parameter, from a batch ``(x, y)`` and its loss."""

    def reset(self) -> None:
        """Forget what was carried across calls (a reward baseline); nothing by default."""
        return None

    def samples(
        self,
        arch: Any,
        params: Mapping[str, Array],
        x: Array,
        y: Array,
        n: int,
        rng: np.random.Generator,
        loss: Loss | None = None,
    ) -> Params:
        """``n`` independent single-sample updates stacked on a leading axis (regression loss
        by default); a deterministic learner repeats its one update."""
        one = self.update(arch, params, x, y, loss or REGRESSION_LOSS, rng)
        return {name: np.repeat(g[None], n, axis=0) for name, g in one.items()}

    def objective_gradient(
        self, arch: Any, params: Mapping[str, Array], x: Array, y: Array, loss: Loss | None = None
    ) -> Params:
        """The exact gradient of what the learner descends (regression loss by default)."""
        cache = forward(arch, params, x)
        _, dout = (loss or REGRESSION_LOSS).evaluate(cache.output, y)
        return backward(arch, params, cache, dout)

    def dimension(self, arch: Any) -> int | None:
        """How many independent noise sources one trial draws (None: no noise)."""
        return None


class OnlineLearner(Learner):
    """A learner that runs along a sequence one step at a time, keeping only a state of fixed size.

    :meth:`begin` starts a sequence of a batch, :meth:`step` takes the input and target of one
    time step, :meth:`end` returns the update accumulated over the sequence. ``update`` of a
    whole sequence ``x`` (``(T, batch, n_in)``, targets ``y`` with a leading ``T`` axis or None
    per step) runs the steps in order, so the training loop needs nothing else; a caller that
    applies updates during the sequence calls the three methods itself.
    """

    @abstractmethod
    def begin(self, arch: Any, params: Mapping[str, Array], batch: int) -> None:
        """Start a sequence of ``batch`` examples (resets traces and states)."""

    @abstractmethod
    def step(
        self,
        arch: Any,
        params: Mapping[str, Array],
        x_t: Array,
        y_t: Array | None,
        loss: Loss,
        rng: np.random.Generator,
    ) -> None:
        """Advance one time step with input ``x_t`` (batch, n_in) and target ``y_t`` (or None)."""

    @abstractmethod
    def end(self) -> Params:
        """The update accumulated since :meth:`begin`."""

    def update(
        self, arch: Any, params: Mapping[str, Array], x: Array, y: Array, loss: Loss, rng: np.random.Generator
    ) -> Params:
        self.begin(arch, params, np.shape(x)[1])
        for t in range(len(x)):
            self.step(arch, params, x[t], None if y is None else y[t], loss, rng)
        return self.end()


def make_learner(name: str, rng: np.random.Generator | None = None, **options: Any) -> Learner:
    """The registered learner ``name`` (a rate learner, or a spiking one simulated in NumPy), built
    with ``options``.

    ``rng`` draws anything random the learner fixes once (feedback matrices). An option the
    learner does not take is a ConfigError naming it: a setting that does not reach its learner
    is a bug, not a default.
    """
    known = buildable()
    if name not in known:
        raise ConfigError("learner", f"unknown learner {name!r}", one_of(known))
    entry = known[name]
    unknown = sorted(set(options) - set(entry.options))
    if unknown:
        raise ConfigError(
            f"{name}.{unknown[0]}",
            f"not an option of the learner {name!r}",
            one_of(entry.options) if entry.options else "it takes no options",
        )
    assert entry.factory is not None
    takes_rng = "rng" in inspect.signature(entry.factory).parameters
    learner = entry.factory(**options, **({"rng": rng} if takes_rng else {}))
    assert isinstance(learner, Learner)
    return learner


def rate_learners() -> list[str]:
    """The names of every registered rate learner, in registration order."""
    return list(registered("rate"))


def check_names(field: str, names: list[str], allowed: list[str] | None = None) -> None:
    """A ConfigError naming ``field`` if one of ``names`` is not a registered rate learner (or
    not in ``allowed``)."""
    known = rate_learners() if allowed is None else allowed
    for name in names:
        if name not in known:
            raise ConfigError(field, f"unknown learner {name!r}", one_of(known))
