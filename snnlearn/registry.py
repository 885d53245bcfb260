"""The learner registry: every learning rule of the project, with the properties it declares.

A learner is registered once, under one name, with a :class:`Properties` record that says what it
needs from the network and the world (a derivative of the activation, the forward weights on the
way back, the activations stored for a backward pass, a scalar reward...). ``snnlearn compare``
takes its property columns from these declarations, and the conformance test
(``tests/test_learner_conformance.py``) checks every registered learner against them.

Rate learners (:mod:`snnlearn.ratenet`) also register a factory, which builds the learner from
its options. Spiking learners that run as Brian2 rules inside their experiments are declared
here only; the gradient-trained recurrent spiking networks (:mod:`snnlearn.recurrent_snn`), which
run in NumPy through the same learner interface as the rate networks, register a factory too.
Registering a learner is one call to :func:`register`; :mod:`snnlearn.catalogue` imports every
module that registers, so that the registry is complete.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields

from .errors import ConfigError, one_of

KINDS = ("rate", "spiking")


@dataclass(frozen=True)
class Properties:
    """What a learner needs and uses: the declarations ``compare`` and the conformance test read.

    Attributes
    ----------
    kind
        ``"rate"`` (a NumPy rate network) or ``"spiking"`` (a Brian2 network).
    differentiable_activation
        The update uses the derivative ``f'(z)`` of a hidden unit's activation (so a hard
        threshold, whose derivative is 0, needs a surrogate). A linear readout's derivative of 1
        does not count.
    hard_threshold
        It works with hard-threshold hidden units (units that fire or not) as it is.
    local
        Each synapse's update uses only quantities available at that synapse (its pre- and
        postsynaptic activity, plus at most a signal broadcast to every synapse).
    weight_transport
        Errors travel back through the forward weights (their transpose), which a synapse
        cannot know.
    stores_activations
        The activations of the forward pass are kept for a separate backward pass.
    scalar_reward
        It learns from one scalar reward (or cost) per trial, not from a vector of errors.
    """

    kind: str
    differentiable_activation: bool
    hard_threshold: bool
    local: bool
    weight_transport: bool
    stores_activations: bool
    scalar_reward: bool

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError("kind", f"unknown learner kind {self.kind!r}", one_of(KINDS))

    def as_dict(self) -> dict[str, object]:
        """The properties as a dict, by field name (for JSON and the comparison table)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


#: Column titles of the properties, in table order (``compare`` prints them).
PROPERTY_TITLES: dict[str, str] = {
    "kind": "spiking or rate",
    "differentiable_activation": "needs a differentiable activation",
    "hard_threshold": "works with a hard spike threshold",
    "local": "uses only local information",
    "weight_transport": "needs weight transport",
    "stores_activations": "stores activations for a backward pass",
    "scalar_reward": "learns from a scalar reward",
}


@dataclass(frozen=True)
class Registration:
    """One registered learner: its name, properties, a one-line summary and, for rate learners,
    the factory ``factory(rng=None, **options)`` that builds it."""

    name: str
    properties: Properties
    summary: str
    factory: Callable[..., object] | None = None

    @property
    def options(self) -> tuple[str, ...]:
        """The options the factory takes (its keyword parameters, ``rng`` aside)."""
        if self.factory is None:
            return ()
        signature = inspect.signature(self.factory)
        return tuple(
            name
            for name, p in signature.parameters.items()
            if name != "rng" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        )

    def defaults(self) -> dict[str, object]:
        """The factory's default option values."""
        if self.factory is None:
            return {}
        signature = inspect.signature(self.factory)
        return {name: signature.parameters[name].default for name in self.options}


#: name -> registration, filled by :func:`register` when the learner modules are imported.
REGISTRY: dict[str, Registration] = {}


def register(name: str, properties: Properties, summary: str, factory: Callable[..., object] | None = None) -> None:
    """Add a learner to :data:`REGISTRY`; a second learner under the same name is an error.

    A rate learner must come with a factory; a spiking learner has one only when it runs in the
    NumPy simulation of :mod:`snnlearn.recurrent_snn` (a Brian2 rule is built by its experiment).
    """
    if name in REGISTRY:
        raise ValueError(f"learner {name!r} is registered twice")
    if factory is None and properties.kind == "rate":
        raise ValueError(f"learner {name!r}: rate learners have a factory")
    REGISTRY[name] = Registration(name, properties, summary, factory)


def registered(kind: str | None = None) -> dict[str, Registration]:
    """The registered learners (of one ``kind`` if given), in registration order."""
    return {name: r for name, r in REGISTRY.items() if kind is None or r.properties.kind == kind}


def buildable() -> dict[str, Registration]:
    """The registered learners that have a factory (rate learners and NumPy spiking ones)."""
    return {name: r for name, r in REGISTRY.items() if r.factory is not None}


def registration(name: str, kind: str | None = None) -> Registration:
    """The registration of ``name``; an unknown name is a ConfigError listing the known ones."""
    known = registered(kind)
    if name not in known:
        raise ConfigError("learner", f"unknown learner {name!r}", one_of(known))
    return known[name]
