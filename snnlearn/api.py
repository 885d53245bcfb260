"""The Python API for Brian2 users: the library's rules and neuron models on their own groups.

Brian2 fixes a ``Synapses``' equations when it is created, so the rule's equations must be
known then: :func:`plastic_synapses` composes them (``w : 1`` + the rule's traces; the user's
synaptic effect + the rule's presynaptic statements; the rule's postsynaptic statements) the
same way the model-file builder does (:mod:`snnlearn.build`), from the same rule classes
(:data:`snnlearn.rules.RULES`). :func:`rule` gives the pieces for users who build ``Synapses``
themselves, and :func:`neuron_group` makes a ``NeuronGroup`` of one of :data:`snnlearn.neurons.NEURONS`.

Parameters are checked as in a model file: quantities as strings with a unit (``"20 ms"``) or
Brian2 quantities, plain numbers for dimensionless values; a bad one raises
:class:`~snnlearn.errors.ConfigError` naming it (``stdp_additive.tau_plus: ...``).

Examples
--------
>>> import brian2 as b2
>>> import snnlearn
>>> b2.prefs.codegen.target = "numpy"
>>> inputs = b2.PoissonGroup(20, rates=15 * b2.Hz)
>>> out = snnlearn.neuron_group("lif_conductance", 1)
>>> syn = snnlearn.plastic_synapses(inputs, out, "stdp_additive", on_pre="g_e_post += 0.05 * w",
...                                 tau_plus="16.8 ms", a_plus=0.01)
>>> syn.connect()
>>> syn.w = 0.5
>>> b2.run(100 * b2.ms)
>>> bool((syn.w[:] >= 0).all() and (syn.w[:] <= 1).all())
True
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from brian2 import NeuronGroup, Synapses, linked_var
from brian2.groups.group import Group
from brian2.units.fundamentalunits import DIMENSIONLESS, Quantity, get_dimensions

from .errors import ConfigError, one_of
from .neurons import NEURONS, NeuronModel
from .rules import RULES, Rule, make_rule
from .rules.base import lines
from .rules.reward import RewardModulatedRule

#: The name under which reward-modulated rules read the neuromodulator.
MODULATOR = "DA"
_BUILTIN_VARIABLES = ("N", "t", "dt", "t_in_timesteps", "i", "lastspike", "not_refractory")
_GROUP_VARIABLE = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)_(pre|post)\b")


@dataclass(frozen=True)
class RuleCode:
    """A rule's Brian2 code, ready for ``Synapses(source, target, model=..., on_pre=..., on_post=...)``.

    Attributes
    ----------
    name
        The rule's name (a key of :data:`snnlearn.rules.RULES`).
    model
        Synapse equations: ``w : 1`` and the rule's traces (reward rules: ``DA : 1 (linked)``,
        to be linked to the neuromodulator with ``syn.DA = linked_var(group, "DA")``).
    on_pre, on_post
        Statements at a presynaptic / postsynaptic spike (put the synaptic effect in front of
        ``on_pre``).
    namespace
        The rule's parameters under the names its statements use (pass as ``namespace=``).
    update
        Reward rules with an eligibility trace: the statement to run every ``update_period``
        (``syn.run_regularly(code.update, dt=code.update_period, when="start")``); else ``""``.
    update_period
        The period of ``update`` (a Brian2 quantity), or None.
    rule
        The checked parameter set (a :class:`snnlearn.rules.Rule`).
    """

    name: str
    model: str
    on_pre: str
    on_post: str
    namespace: dict[str, Any]
    update: str = ""
    update_period: Any = None
    rule: Rule | None = field(default=None, repr=False)

    @property
    def needs_modulator(self) -> bool:
        """True for the reward-modulated rules (they read a neuromodulator ``DA``)."""
        return isinstance(self.rule, RewardModulatedRule)


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """Dimensionless Brian2 quantities as floats (the rules' plain numbers)."""
    return {
        k: float(v) if isinstance(v, Quantity) and get_dimensions(v) is DIMENSIONLESS and v.ndim == 0 else v
        for k, v in values.items()
    }


def make(name: str | Rule, params: Mapping[str, Any] | None = None) -> Rule:
    """A checked rule instance from a name and parameters (or a rule instance, unchanged)."""
    if isinstance(name, Rule):
        if params:
            raise ConfigError("rule", "parameters given with a rule instance", "give the rule's name instead")
        return name
    if not isinstance(name, str) or name not in RULES:
        raise ConfigError("rule", f"unknown rule {name!r}", one_of(RULES))
    return make_rule({"name": name, **_plain(params or {})}, name)


def rule(name: str, **params: Any) -> RuleCode:
    """The Brian2 code of one of the library's plasticity rules, for ``Synapses`` built by hand.

    Parameters
    ----------
    name
        A rule of :data:`snnlearn.rules.RULES`: ``stdp_additive``, ``stdp_multiplicative``,
        ``triplet``, ``diehl_cook``, ``oja``, ``bcm``, ``da_stdp``, ``mstdp``, ``mstdpet``.
    **params
        The rule's parameters (``tau_plus="20 ms"``, ``a_plus=0.01``); others keep their defaults.

    Returns
    -------
    RuleCode
        ``model``, ``on_pre``, ``on_post``, ``namespace`` (and ``update`` for reward rules).

    Raises
    ------
    ConfigError
        An unknown rule, an unknown parameter or a bad value (wrong unit, out of range).

    Examples
    --------
    >>> code = snnlearn.rule("stdp_additive", tau_plus="16.8 ms")
    >>> print(code.on_post)
    w = clip(w + a_plus * apre, 0, w_max)
    apost += 1
    >>> code.namespace["tau_plus"]
    16.8 * msecond
    """
    return code_of(make(name, params))


def _check_variables(statements: str, source: Group, target: Group, field_name: str) -> None:
    """Every ``x_pre`` / ``x_post`` in ``statements`` must be a variable of the source / target."""
    for var, side in _GROUP_VARIABLE.findall(statements):
        group = source if side == "pre" else target
        if var not in group.variables:
            own = sorted(v for v in group.variables if not v.startswith("_") and v not in _BUILTIN_VARIABLES)
            raise ConfigError(
                field_name,
                f"the {'source' if side == 'pre' else 'target'} {group.name} has no variable {var!r}",
                one_of(own),
            )


def _modulator(dopamine: Any) -> Any:
    """``dopamine=`` as a Brian2 linked variable: a ``(group, "var")`` pair, a group with ``DA``,
    or ``linked_var(...)``."""
    if isinstance(dopamine, tuple) and len(dopamine) == 2 and isinstance(dopamine[0], Group):
        group, var = dopamine
        if not isinstance(var, str) or var not in group.variables:
            raise ConfigError("dopamine", f"{group.name} has no variable {var!r}", "give (group, variable name)")
        return linked_var(group, var)
    if isinstance(dopamine, Group):
        if MODULATOR not in dopamine.variables:
            raise ConfigError(
                "dopamine", f"{dopamine.name} has no variable {MODULATOR!r}", "give (group, variable name)"
            )
        return linked_var(dopamine, MODULATOR)
    if type(dopamine).__name__ == "LinkedVariable":
        return dopamine
    raise ConfigError(
        "dopamine",
        f"got {type(dopamine).__name__}",
        "give (group, variable name), a group with a DA variable, or linked_var(group, name)",
    )


def plastic_synapses(
    source: Group,
    target: Group,
    rule: str | Rule,
    *,
    on_pre: str = "v_post += w",
    dopamine: Any = None,
    name: str | None = None,
    dt: Any = None,
    namespace: Mapping[str, Any] | None = None,
    **params: Any,
) -> Synapses:
    """A ``brian2.Synapses`` from ``source`` to ``target`` that learns by one of the library's rules.

    Parameters
    ----------
    source, target
        The user's Brian2 groups (``NeuronGroup``, ``PoissonGroup``, ``SpikeGeneratorGroup``).
    rule
        A rule name (see :func:`rule`) or a rule instance.
    on_pre
        The synaptic effect on the target at a presynaptic spike, in Brian2 code
        (``"g_e_post += g_max * w"``); the rule's presynaptic statements follow it.
    dopamine
        Reward-modulated rules only (``da_stdp``, ``mstdp``, ``mstdpet``): the neuromodulator,
        a ``(group, "variable")`` pair, a group with a ``DA`` variable or ``linked_var(...)``.
    name, dt
        Passed to Brian2 (set ``syn.delay`` after ``syn.connect()``).
    namespace
        Extra names for ``on_pre`` (e.g. ``{"g_max": 0.015}``).
    **params
        The rule's parameters (``tau_plus="20 ms"``).

    Returns
    -------
    brian2.Synapses
        Not yet connected: call ``syn.connect(...)`` and set ``syn.w``. Weights are
        dimensionless and kept in ``[0, w_max]`` by the rule.

    Raises
    ------
    ConfigError
        An unknown rule or parameter, a bad value, a variable of ``on_pre`` that the groups do
        not have, or a missing (or unexpected) ``dopamine``.

    Examples
    --------
    >>> import brian2 as b2
    >>> b2.prefs.codegen.target = "numpy"
    >>> pre, post = b2.PoissonGroup(5, 10 * b2.Hz), snnlearn.neuron_group("lif_current", 2, name="out")
    >>> snnlearn.plastic_synapses(pre, post, "triplet", on_pre="g_post += w")
    Traceback (most recent call last):
    ...
    snnlearn.errors.ConfigError: on_pre: the target out has no variable 'g'; allowed: I_ext, I_syn, v
    """
    instance = make(rule, params)
    code = code_of(instance)
    if not isinstance(on_pre, str):
        raise ConfigError("on_pre", f"got {on_pre!r}", "expected Brian2 statements as a string")
    _check_variables(on_pre, source, target, "on_pre")
    if code.needs_modulator and dopamine is None:
        raise ConfigError(
            "dopamine", f"missing: {code.name} is modulated by a neuromodulator", "give dopamine=(group, variable name)"
        )
    if dopamine is not None and not code.needs_modulator:
        raise ConfigError("dopamine", f"{code.name} reads no neuromodulator", "leave dopamine out")
    modulator = _modulator(dopamine) if dopamine is not None else None
    extra = dict(namespace or {})
    clash = sorted(set(extra) & set(code.namespace))
    if clash:
        raise ConfigError(f"namespace.{clash[0]}", "is a parameter of the rule", f"pass it as {clash[0]}=... instead")
    kwargs = {"name": name} if name else {}
    if dt is not None:
        kwargs["dt"] = dt
    syn = Synapses(
        source,
        target,
        model=code.model,
        on_pre=lines(on_pre, code.on_pre),
        on_post=code.on_post or None,
        method="exact",
        namespace={**code.namespace, **extra},
        **kwargs,
    )
    for var, value in instance.initial_values().items():
        setattr(syn, var, value)
    if modulator is not None:
        setattr(syn, MODULATOR, modulator)
    if code.update:
        syn.run_regularly(code.update, dt=code.update_period, when="start", name=f"{syn.name}_reward_update")
    return syn


def code_of(instance: Rule) -> RuleCode:
    """The :class:`RuleCode` of a checked rule instance (its traces all on the synapse: code for
    ``Synapses`` built by hand cannot add variables to the user's groups)."""
    if instance.neuron_traces():
        raise ConfigError(
            "post_traces",
            "traces on the neuron need a network built from a model file (they are added to its target group)",
            "'synapse'",
        )
    update = instance.update() if isinstance(instance, RewardModulatedRule) else ""
    return RuleCode(
        name=instance.name,
        model=lines("w : 1", *instance.model().splitlines()),
        on_pre=lines(instance.on_pre()),
        on_post=lines(instance.on_post()),
        namespace=instance.namespace(),
        update=update,
        update_period=getattr(instance, "update_period", None) if update else None,
        rule=instance,
    )


def neuron_model(model: str, **params: Any) -> NeuronModel:
    """A checked neuron model of :data:`snnlearn.neurons.NEURONS` (its parameters and equations)."""
    if not isinstance(model, str) or model not in NEURONS:
        raise ConfigError("model", f"unknown neuron model {model!r}", one_of(NEURONS))
    return NEURONS[model].from_mapping(_plain(params), model)


def neuron_group(
    model: str,
    n: int,
    *,
    name: str | None = None,
    dt: Any = None,
    namespace: Mapping[str, Any] | None = None,
    **params: Any,
) -> NeuronGroup:
    """A ``brian2.NeuronGroup`` of ``n`` neurons of one of the library's models, at its initial values.

    Parameters
    ----------
    model
        ``lif_current``, ``lif_conductance``, ``adaptive_lif`` or ``izhikevich``.
    n
        Number of neurons (>= 1).
    name, dt
        Passed to Brian2.
    namespace
        Extra names for the equations.
    **params
        The model's parameters (``tau_m="10 ms"``, ``v_threshold=-50 * mV``).

    Returns
    -------
    brian2.NeuronGroup
        With the model's threshold, reset, refractory period and integration method; synapses
        act on its input variables (``g_e``/``g_i``, ``I_syn`` or ``v``).

    Raises
    ------
    ConfigError
        An unknown model or parameter, a bad value or a bad ``n``.

    Examples
    --------
    >>> group = snnlearn.neuron_group("izhikevich", 3, d="2 mV")
    >>> print(group.v[:])
    [-65. -65. -65.] mV
    """
    neuron = neuron_model(model, **params)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError("n", f"got {n!r}", "expected an integer >= 1")
    kwargs = {"name": name} if name else {}
    if dt is not None:
        kwargs["dt"] = dt
    group = NeuronGroup(
        n,
        neuron.equations(),
        threshold=neuron.threshold,
        reset=neuron.reset,
        refractory=neuron.refractory,
        method=neuron.method,
        namespace={**neuron.namespace(), **dict(namespace or {})},
        **kwargs,
    )
    for var, value in neuron.initial().items():
        setattr(group, var, value)
    return group


__all__ = ["RuleCode", "neuron_group", "neuron_model", "plastic_synapses", "rule"]
