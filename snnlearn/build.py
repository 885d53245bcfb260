"""From a checked :class:`~snnlearn.spec.ModelSpec` to a ``brian2.Network``.

Every Brian2 object gets the spec's name, the model's time step and an explicit namespace (its
parameters, plus anything the experiment adds, such as a ``TimedArray`` of stimuli), so that a
network behaves the same whatever Python code builds or runs it. A synapse's Brian2 model is
composed here: ``w : 1`` + the rule's traces; ``on_pre`` = the synaptic effect + the rule's
presynaptic statements; ``on_post`` = the rule's postsynaptic statements.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from brian2 import (
    Equations,
    Network,
    NeuronGroup,
    PoissonGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    Synapses,
    ms,
    second,
)

from .errors import ConfigError
from .rules.base import NeuronTrace, lines
from .spec import GroupSpec, ModelSpec, SynapseSpec


@dataclass
class BuiltNetwork:
    """A network and its parts, by the names used in the model file."""

    spec: ModelSpec
    network: Network
    groups: dict[str, Any] = field(default_factory=dict)
    synapses: dict[str, Synapses] = field(default_factory=dict)
    spikes: dict[str, SpikeMonitor] = field(default_factory=dict)

    def add(self, *objects: Any) -> None:
        """Add experiment-made objects (controllers, monitors) to the network."""
        self.network.add(*objects)


def gated(statements: str, learned: tuple[str, ...] = ()) -> str:
    """Make the spike-triggered weight change of ``statements`` conditional on ``plastic``.

    ``plastic`` (a shared synapse variable, 1 by default) switches learning off for testing
    without a second compiled program: the change is computed and then scaled by ``plastic``.
    ``learned`` names further variables that change only while learning (a rule's
    ``learned_state``, e.g. a count of the spikes it has learned from).
    """
    changed = [var for var in ("w", *learned) if re.search(rf"\b{var}\s*(\+|-)?=", statements or "")]
    if not changed:
        return statements
    return lines(
        *(f"{var}_before = {var}" for var in changed),
        statements,
        *(f"{var} = {var}_before + plastic * ({var} - {var}_before)" for var in changed),
    )


def synapse_equations(syn: SynapseSpec) -> dict[str, str]:
    """The composed Brian2 ``model``, ``on_pre`` and ``on_post`` of one synapse spec."""
    rule = syn.rule
    learns = rule is not None or syn.normalize is not None
    return {
        "model": lines("w : 1", "plastic : 1 (shared)" if learns else "", rule.model() if rule else ""),
        "on_pre": lines(syn.effect, gated(rule.on_pre(), rule.learned_state) if rule else ""),
        "on_post": gated(rule.on_post(), rule.learned_state) if rule else "",
    }


def normalization_variable(synapse_name: str) -> str:
    """Name of the postsynaptic variable that holds a normalised synapse's incoming weight sum."""
    return f"wsum_{synapse_name}"


def _attach_normalization(syn: Synapses, post, spec: SynapseSpec) -> None:
    """Rescale each neuron's incoming weights to ``total`` every ``period``, inside the simulation.

    Three regular operations at the start of a period: zero the sums, add every weight into its
    postsynaptic neuron's sum, rescale. They run only once per period (a ``(summed)`` variable
    would cost every time step) and need no Python between steps, so standalone runs them too.
    """
    norm, wsum = spec.normalize, normalization_variable(spec.name)
    assert norm is not None
    kwargs = {"dt": norm.period, "when": "start"}
    post.run_regularly(f"{wsum} = 0", order=-3, name=f"{spec.name}_norm_reset", **kwargs)
    syn.run_regularly(f"{wsum}_post += w", order=-2, name=f"{spec.name}_norm_sum", **kwargs)
    scale = f"plastic * int({wsum}_post > 0) * ({norm.total!r} / {wsum}_post - 1)"
    syn.run_regularly(f"w = w * (1 + {scale})", order=-1, name=f"{spec.name}_norm_scale", **kwargs)


def neuron_traces(spec: ModelSpec, group: str) -> list[NeuronTrace]:
    """The traces that plastic synapses onto ``group`` keep on its neurons (a rule's
    :meth:`~snnlearn.rules.base.Rule.neuron_traces`); two pathways that would put a trace of the
    same name on one group are a ConfigError naming the second."""
    traces: dict[str, NeuronTrace] = {}
    neuron = spec.groups[group].neuron
    for s in spec.synapses.values():
        if s.post != group or s.rule is None or not s.rule.neuron_traces():
            continue
        field_name = f"synapses.{s.name}.rule.post_traces"
        if neuron is None:
            raise ConfigError(field_name, f"the target {group} is not a group of neurons", "'synapse'")
        for trace in s.rule.neuron_traces():
            if trace.name in traces or trace.name in Equations(neuron.equations()).names:
                raise ConfigError(
                    field_name, f"{trace.name!r} is already a variable of {group}", "'synapse' for all but one pathway"
                )
            traces[trace.name] = trace
    return list(traces.values())


def _attach_neuron_traces(group: NeuronGroup, traces: Iterable[NeuronTrace], dt: Any) -> None:
    """Decay each neuron trace by its exact factor at the start of every step (the factor is a
    literal, so the step costs one product per neuron)."""
    for trace in traces:
        factor = float(np.exp(-float(dt / trace.tau)))
        group.run_regularly(
            f"{trace.name} = {trace.name} * {factor!r}", when="start", dt=dt, name=f"{group.name}_{trace.name}_decay"
        )


def _make_group(
    g: GroupSpec,
    dt,
    namespace: Mapping[str, Any],
    rate: Any | None,
    extra_equations: str = "",
    extra_reset: str = "",
):
    if g.kind == "poisson":
        return PoissonGroup(
            g.n, rates=rate if rate is not None else g.rate, name=g.name, dt=dt, namespace=dict(namespace)
        )
    if g.kind == "spikes":
        return SpikeGeneratorGroup(g.n, [], [] * ms, name=g.name, dt=dt)
    neuron = g.neuron
    assert neuron is not None, f"group {g.name} has neither a kind nor a neuron model"
    group = NeuronGroup(
        g.n,
        neuron.equations() + extra_equations,
        threshold=neuron.threshold,
        reset=lines(neuron.reset, extra_reset),
        refractory=neuron.refractory,
        method=neuron.method,
        name=g.name,
        dt=dt,
        namespace={**neuron.namespace(), **namespace},
    )
    for var, value in {**neuron.initial(), **g.init}.items():
        setattr(group, var, value)
    return group


def frozen_equations(syn: SynapseSpec) -> dict[str, str]:
    """The ``model`` and ``on_pre`` of a synapse without its rule and normalisation: a fixed weight
    and the synaptic effect only, for evaluating a trained network (no plasticity code runs)."""
    return {"model": "w : 1", "on_pre": syn.effect, "on_post": ""}


def block_connect(connect: Mapping[str, Any], n_pre: int, n_post: int, copies: int, field_name: str) -> dict:
    """The ``connect`` arguments of a synapse spec applied within each of ``copies`` independent
    copies of a network: presynaptic neuron ``i`` of copy ``i // n_pre`` reaches only neurons of
    the same copy (block-diagonal connectivity), in the order one copy creates them
    (presynaptic-major), as explicit index arrays, so that the number of synapses is known
    before a standalone program runs and per-synapse values can be set from Python.

    Defined for the deterministic rules (all to all, one to one, all but self); a rule with a
    condition or a random draw is a ConfigError naming ``field_name``.
    """
    if connect == {}:
        pre, post = np.repeat(np.arange(n_pre), n_post), np.tile(np.arange(n_post), n_pre)
    elif connect == {"j": "i"} and n_pre <= n_post:
        pre = post = np.arange(n_pre)
    elif connect == {"condition": "i != j"}:
        pre, post = np.repeat(np.arange(n_pre), n_post), np.tile(np.arange(n_post), n_pre)
        pre, post = pre[pre != post], post[pre != post]
    else:
        raise ConfigError(
            field_name, f"{dict(connect)!r} cannot be copied block by block", "all, one_to_one or all_but_self"
        )
    offsets = np.arange(copies)[:, None]
    return {"i": (pre + offsets * n_pre).ravel(), "j": (post + offsets * n_post).ravel()}


def build_network(
    spec: ModelSpec,
    *,
    record_spikes: Iterable[str] | bool = True,
    rates: Mapping[str, Any] | None = None,
    namespace: Mapping[str, Any] | None = None,
    replace: Mapping[str, Any] | None = None,
    copies: int = 1,
    frozen: bool = False,
) -> BuiltNetwork:
    """Build every group and synapse of ``spec`` into a ``Network``.

    ``record_spikes``: group names to attach a ``SpikeMonitor`` to (True: all).
    ``rates``: per Poisson group, a rate expression replacing the file's constant
    (e.g. ``"stimulus(t, i)"`` with ``stimulus`` a ``TimedArray`` passed in ``namespace``).
    ``namespace``: extra names visible to every object's equations.
    ``replace``: Brian2 groups made by the caller that stand in for spec groups of the same name
    and ``copies`` times the size (e.g. an input group driven by a task's controller).
    ``copies``: that many independent copies of the network side by side (every group ``copies``
    times as large, neuron ``k`` of a group in copy ``k // n``, synapses only within a copy:
    :func:`block_connect`), so that one run simulates several independent networks.
    ``frozen``: no plasticity rule and no normalisation (:func:`frozen_equations`), for evaluation.
    """
    namespace = dict(namespace or {})
    rates = dict(rates or {})
    built = BuiltNetwork(spec, Network())
    for g in spec.groups.values():
        if replace and g.name in replace:
            built.groups[g.name] = replace[g.name]
            continue
        sums = "".join(
            f"\n{normalization_variable(s.name)} : 1"
            for s in spec.synapses.values()
            if s.normalize and s.post == g.name and not frozen
        )
        traces = [] if frozen else neuron_traces(spec, g.name)
        sums += "".join(f"\n{trace.name} : 1" for trace in traces)
        on_spike = lines(*(trace.on_spike for trace in traces))
        group = g if copies == 1 else dataclasses.replace(g, n=g.n * copies)
        built.groups[g.name] = _make_group(group, spec.dt, namespace, rates.get(g.name), sums, on_spike)
        _attach_neuron_traces(built.groups[g.name], traces, spec.dt)
    for s in spec.synapses.values():
        eqs = frozen_equations(s) if frozen else synapse_equations(s)
        connect = s.connect
        if copies > 1:
            n_pre, n_post = spec.groups[s.pre].n, spec.groups[s.post].n
            connect = block_connect(s.connect, n_pre, n_post, copies, f"synapses.{s.name}.connect")
        syn = Synapses(
            built.groups[s.pre],
            built.groups[s.post],
            model=eqs["model"],
            on_pre=eqs["on_pre"],
            on_post=eqs["on_post"] or None,
            name=s.name,
            dt=spec.dt,
            method="exact",
            namespace={**(s.rule.namespace() if s.rule and not frozen else {}), **s.params, **namespace},
        )
        syn.connect(**connect)
        syn.w = s.w_init
        if "plastic" in syn.variables:
            syn.plastic = 1
        for var, value in (s.rule.initial_values() if s.rule and not frozen else {}).items():
            setattr(syn, var, value)
        if isinstance(s.delay, tuple):  # uniform per synapse, drawn from the run's random stream
            low, high = (float(d / second) for d in s.delay)
            syn.delay = f"{low!r} * second + {high - low!r} * second * rand()"
        elif s.delay is not None:
            syn.delay = s.delay
        if s.normalize and not frozen:
            _attach_normalization(syn, built.groups[s.post], s)
        if s.rule and not frozen:
            s.rule.attach(syn, built)
        built.synapses[s.name] = syn
    wanted = list(spec.groups) if record_spikes is True else list(record_spikes or [])
    for name in wanted:
        built.spikes[name] = SpikeMonitor(built.groups[name], name=f"{name}_spikes")
    built.network.add(*built.groups.values(), *built.synapses.values(), *built.spikes.values())
    return built


_FIXED_TARGETS = re.compile(r"^\s*k\s+for\s+k\s+in\s+sample\(\s*N_post\s*,\s*size\s*=\s*(\d+)\s*\)\s*$")


def planned_synapse_count(spec: ModelSpec, name: str) -> int | None:
    """The number of synapses ``name`` will have, where its connection rule fixes it before the
    network runs (all to all, one to one, all but self, or a fixed number of targets per
    presynaptic neuron, ``j = "k for k in sample(N_post, size=K)"``); None where it depends on a
    random draw or a condition. A standalone monitor of every synapse needs it (the device knows
    the count only after the program has run)."""
    s = spec.synapses[name]
    n_pre, n_post = spec.groups[s.pre].n, spec.groups[s.post].n
    if s.connect == {}:
        return n_pre * n_post
    if s.connect == {"j": "i"}:  # Brian2 refuses n_pre > n_post
        return n_pre
    if s.connect == {"condition": "i != j"}:
        return n_pre * n_post - min(n_pre, n_post)
    fixed = _FIXED_TARGETS.match(s.connect.get("j", "")) if set(s.connect) == {"j"} else None
    return n_pre * int(fixed.group(1)) if fixed else None
