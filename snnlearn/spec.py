"""Model files: TOML read, every field checked, quantities turned into Brian2 units.

A model file declares groups (Poisson inputs, spike-generator inputs, neurons) and synapses
(pre, post, connection rule, synaptic effect, optional plasticity rule), with the paper it comes
from. :func:`parse_model` returns a :class:`ModelSpec` or raises ``ConfigError`` naming the field
(``groups.out.params.tau_m``), the problem and what is allowed; nothing is built before that.
See ``models/song2000.toml`` for an annotated example.
"""

from __future__ import annotations

import keyword
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brian2 import Hz, ms, second
from brian2.units.fundamentalunits import Quantity

from .errors import ConfigError, one_of, warn
from .neurons import NeuronModel, make_neuron
from .params import Params, coerce, param, parse_quantity
from .rules import Rule, make_rule

TOP_KEYS = ("name", "reference", "description", "simulation", "groups", "synapses")
GROUP_KINDS = ("neurons", "poisson", "spikes")
GROUP_KEYS = {
    "neurons": ("kind", "n", "neuron", "params", "init"),
    "poisson": ("kind", "n", "rate"),
    "spikes": ("kind", "n"),
}
SYNAPSE_KEYS = ("pre", "post", "connect", "effect", "w_init", "delay", "params", "rule", "normalize")
CONNECT_NAMES = ("all", "one_to_one", "all_but_self")
MAX_N = 10_000_000
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_EFFECT_TARGET = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)_post\s*(?:[-+*/]?=)")
_RESERVED = {"t", "dt", "i", "j", "N", "lastspike", "not_refractory", "xi", "rand", "randn"}


@dataclass(frozen=True)
class GroupSpec:
    """A checked group of a model file (:func:`parse_group`).

    ``kind`` is ``neurons`` (with its ``neuron`` model and initial values ``init``, quantities
    by variable name), ``poisson`` (``n`` Poisson inputs at ``rate``) or ``spikes`` (``n``
    inputs that fire at given times).
    """

    name: str
    kind: str
    n: int
    neuron: NeuronModel | None = None
    rate: Quantity | None = None
    init: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SynapseSpec:
    """Checked synapses of a model file (:func:`parse_synapse`), between the groups named ``pre`` and ``post``.

    ``connect`` holds the keyword arguments of ``Synapses.connect`` (``{}`` for all to all);
    ``effect`` is the statement that acts on the target at a presynaptic spike (``g_e_post +=
    w``; empty for synapses that only measure plasticity); ``w_init`` a number or a Brian2
    expression; ``params`` extra names of the synapses' namespace; ``rule`` the plasticity
    rule (None: static weights); ``normalize`` the synaptic scaling, if any.
    """

    name: str
    pre: str
    post: str
    connect: dict[str, Any]
    effect: str
    w_init: Any = 0.0
    delay: Quantity | tuple[Quantity, Quantity] | None = None  # one delay, or uniform (low, high)
    params: dict[str, Any] = field(default_factory=dict)
    rule: Rule | None = None
    normalize: Normalization | None = None


@dataclass(frozen=True)
class Normalization(Params):
    """Synaptic scaling: every ``period``, each postsynaptic neuron's incoming weights are
    rescaled to sum to ``total`` (Diehl & Cook 2015 normalise to 78 before every example)."""

    total: float = param(78.0, "sum of each neuron's incoming weights", positive=True)
    period: object = param(500 * ms, "time between normalisations", positive=True)


@dataclass(frozen=True)
class ModelSpec:
    """A checked model file."""

    name: str
    reference: str
    description: str
    dt: Quantity
    groups: dict[str, GroupSpec]
    synapses: dict[str, SynapseSpec]
    raw: dict[str, Any]
    source: Path | None = None

    def summary(self) -> str:
        """What the model builds, one line per group and synapse (``snnlearn check``)."""
        out = [f"model {self.name}: {self.reference}", f"  dt = {self.dt}"]
        for g in self.groups.values():
            what = g.neuron.name if g.neuron else (f"rate {g.rate}" if g.kind == "poisson" else "spike times")
            out.append(f"  group {g.name}: {g.n} x {g.kind} ({what})")
        for s in self.synapses.values():
            rule = f", rule {s.rule.name}" if s.rule else ", static"
            if s.normalize:
                rule += f", incoming sums normalised to {s.normalize.total:g} every {s.normalize.period}"
            connect = ", ".join(f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v:g}" for k, v in s.connect.items())
            out.append(
                f"  synapses {s.name}: {s.pre} -> {s.post}, connect {connect or 'all'}, effect '{s.effect}'{rule}"
            )
        return "\n".join(out)


def _delay(raw: Any, where: str) -> Quantity | tuple[Quantity, Quantity]:
    """One delay (``"1 ms"``) or a uniform distribution per synapse (``{ uniform = ["0 ms", "10 ms"] }``)."""
    allowed = 'expected a delay like "1 ms" or a table { uniform = ["0 ms", "10 ms"] }'
    if isinstance(raw, dict):
        table = _table(raw, where, ("uniform",))
        bounds = table.get("uniform")
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise ConfigError(f"{where}.uniform", f"got {bounds!r}", "expected [low, high], two delays")
        low, high = (parse_quantity(b, 1 * ms, f"{where}.uniform") for b in bounds)
        if not 0 * ms <= low <= high:
            raise ConfigError(f"{where}.uniform", f"[{low}, {high}]", "expected 0 ms <= low <= high")
        return low, high
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise ConfigError(where, f"got {raw!r}", allowed)
    delay = parse_quantity(raw, 1 * ms, where)
    if delay < 0 * ms:
        raise ConfigError(where, f"{delay} is negative", "expected a delay >= 0 ms")
    return delay


def load_model_dict(path: str | Path, field_name: str = "model") -> dict[str, Any]:
    """Read a TOML model file; a missing or malformed file is a ConfigError."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(field_name, f"file {path} not found", "give the path of a .toml model file")
    try:
        return tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(field_name, f"{path} is not valid TOML ({exc})", "fix the file's syntax") from None


def _table(raw: Any, field_name: str, allowed: tuple[str, ...] | None = None) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise ConfigError(field_name, f"got {raw!r}", "expected a table")
    if allowed is not None:
        for key in raw:
            if key not in allowed:
                raise ConfigError(f"{field_name}.{key}", "unknown key", one_of(allowed))
    return dict(raw)


def _string(raw: Mapping, key: str, field_name: str, default: str | None = None) -> str:
    if key not in raw:
        if default is None:
            raise ConfigError(f"{field_name}.{key}", "missing", "expected a string")
        return default
    return coerce(raw[key], "", f"{field_name}.{key}")


def _identifier(name: str, field_name: str) -> str:
    if not _IDENTIFIER.match(name) or keyword.iskeyword(name) or name in _RESERVED:
        raise ConfigError(
            field_name,
            f"{name!r} is not a usable name",
            "expected letters, digits and _ starting with a letter (not a Brian2 name)",
        )
    return name


def _size(raw: Mapping, field_name: str) -> int:
    if "n" not in raw:
        raise ConfigError(f"{field_name}.n", "missing", "expected a positive integer")
    n = coerce(raw["n"], 0, f"{field_name}.n")
    if not 0 < n <= MAX_N:
        raise ConfigError(f"{field_name}.n", f"{n} is out of range", f"expected 1 <= n <= {MAX_N}")
    return n


def parse_group(name: str, raw: Any) -> GroupSpec:
    """Check one ``[groups.NAME]`` table of a model file and build its :class:`GroupSpec`.

    ``kind`` defaults to ``neurons`` when the table names a ``neuron``. A Poisson group takes a
    non-negative ``rate``; a ``spikes`` group (given spike times) only its size; a group of
    neurons a model of :data:`snnlearn.neurons.NEURONS` with its ``params`` and initial values
    (``init``, each a variable of that model, in its unit).

    Raises
    ------
    ConfigError
        Naming the field (``groups.NAME.params.tau_m``): a bad name, kind, size, key or value.
    """
    where = f"groups.{name}"
    _identifier(name, where)
    raw = _table(raw, where)
    kind = _string(raw, "kind", where, "neurons" if "neuron" in raw else "")
    if kind not in GROUP_KINDS:
        raise ConfigError(f"{where}.kind", f"unknown kind {kind!r}" if kind else "missing", one_of(GROUP_KINDS))
    _table(raw, where, GROUP_KEYS[kind])
    n = _size(raw, where)
    if kind == "poisson":
        rate = parse_quantity(raw.get("rate", "0 Hz"), 1 * Hz, f"{where}.rate")
        if rate < 0 * Hz:
            raise ConfigError(f"{where}.rate", f"{rate} is negative", "expected a rate >= 0 Hz")
        return GroupSpec(name, kind, n, rate=rate)
    if kind == "spikes":
        return GroupSpec(name, kind, n)
    neuron = make_neuron(
        _string(raw, "neuron", where), _table(raw.get("params", {}), f"{where}.params"), f"{where}.neuron"
    )
    init = _initial_values(neuron, _table(raw.get("init", {}), f"{where}.init"), f"{where}.init")
    return GroupSpec(name, kind, n, neuron=neuron, init=init)


def _initial_values(neuron: NeuronModel, raw: Mapping[str, Any], field_name: str) -> dict[str, Any]:
    """Initial values: known variables of the neuron model, with that variable's unit."""
    from brian2 import Equations

    variables = {name: eq.dim for name, eq in Equations(neuron.equations()).items()}
    out = {}
    for key, value in raw.items():
        if key not in variables:
            raise ConfigError(f"{field_name}.{key}", f"{neuron.name} has no variable {key!r}", one_of(variables))
        out[key] = parse_quantity(value, Quantity(1.0, dim=variables[key]), f"{field_name}.{key}")
    return out


def _time_constants(spec_parts) -> list[tuple[str, Quantity]]:
    """(field, value) of every time constant (a parameter named tau*) of neurons and rules."""
    found = []
    for where, params in spec_parts:
        for name, value in params.namespace().items():
            if name.startswith("tau") and isinstance(value, Quantity):
                found.append((f"{where}.{name}", value))
    return found


def warn_about_time_step(spec: ModelSpec) -> None:
    """Warn (before any run) when dt exceeds a tenth of the smallest time constant.

    A model file that chooses such a step on purpose says why in ``simulation.dt_reason``
    (e.g. the paper's own step); the warning then gives that reason. Inside a command it is shown
    once however often the model is parsed (:func:`snnlearn.logs.once`).
    """
    parts: list[tuple[str, Any]] = [(f"groups.{g.name}.params", g.neuron) for g in spec.groups.values() if g.neuron]
    parts += [(f"synapses.{s.name}.rule", s.rule) for s in spec.synapses.values() if s.rule]
    constants = _time_constants(parts)
    if not constants:
        return
    field_name, smallest = min(constants, key=lambda item: float(item[1]))
    if spec.dt > smallest / 10:
        reason = spec.raw.get("simulation", {}).get("dt_reason")
        consequence = f"kept because {reason}" if reason else "the integration may be inaccurate"
        warn(
            f"model {spec.name}: simulation.dt = {spec.dt} is more than a tenth of {field_name} = {smallest}: "
            f"{consequence}"
        )


def _connect(raw: Any, field_name: str) -> dict[str, Any]:
    if isinstance(raw, str):
        if raw not in CONNECT_NAMES:
            raise ConfigError(
                field_name,
                f"unknown connection rule {raw!r}",
                one_of(CONNECT_NAMES) + ', or a table { p = 0.1, condition = "i != j" }',
            )
        return {"all": {}, "one_to_one": {"j": "i"}, "all_but_self": {"condition": "i != j"}}[raw]
    table = _table(raw, field_name, ("p", "condition", "j"))
    out: dict[str, Any] = {}
    if "p" in table:
        p = coerce(table["p"], 0.0, f"{field_name}.p")
        if not 0 <= p <= 1:
            raise ConfigError(f"{field_name}.p", f"{p} is not a probability", "expected 0 <= p <= 1")
        out["p"] = p
    if "condition" in table:
        out["condition"] = coerce(table["condition"], "", f"{field_name}.condition")
    if "j" in table:  # each presynaptic neuron's targets, e.g. "k for k in sample(N_post, size=100)"
        out["j"] = coerce(table["j"], "", f"{field_name}.j")
    return out


def _namespace(raw: Any, field_name: str) -> dict[str, Any]:
    out = {}
    for key, value in _table(raw, field_name).items():
        _identifier(key, f"{field_name}.{key}")
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ConfigError(f"{field_name}.{key}", f"got {value!r}", "expected a number or a quantity string")
        if isinstance(value, str):
            value = parse_quantity(value, None, f"{field_name}.{key}")  # any unit
        elif not math.isfinite(value):
            raise ConfigError(f"{field_name}.{key}", f"{value!r} is not finite", "expected a finite number")
        out[key] = value
    return out


def parse_synapse(name: str, raw: Any, groups: Mapping[str, GroupSpec]) -> SynapseSpec:
    """Check one ``[synapses.NAME]`` table of a model file against the groups and build its :class:`SynapseSpec`.

    Parameters
    ----------
    name : str
        The synapses' name (a table key of the file).
    raw : object
        The table as read from TOML.
    groups : mapping of str to GroupSpec
        The model's checked groups, which ``pre`` and ``post`` must name.

    Returns
    -------
    SynapseSpec
        With its rule (:func:`snnlearn.rules.make_rule`), connection, effect, initial weight,
        delay, extra parameters and normalisation checked.

    Raises
    ------
    ConfigError
        Naming the field: an unknown group; synapses onto an input group; an ``effect`` that
        changes no input variable of the target's neuron model (synapses onto a ``spikes`` group
        instead need a rule and no effect: they only measure plasticity); a ``params`` name that is
        also a parameter of the rule; a numeric ``w_init`` outside the rule's weight bounds; a bad
        delay, connection or normalisation.
    """
    where = f"synapses.{name}"
    _identifier(name, where)
    raw = _table(raw, where, SYNAPSE_KEYS)
    ends = {}
    for end in ("pre", "post"):
        ref = _string(raw, end, where)
        if ref not in groups:
            raise ConfigError(f"{where}.{end}", f"no group named {ref!r}", one_of(groups))
        ends[end] = groups[ref]
    post = ends["post"]
    rule = make_rule(raw["rule"], f"{where}.rule") if "rule" in raw else None
    if post.kind == "spikes":
        # a spike-generator target: plasticity-only synapses driven by given pre and post spike
        # times (pairing protocols); there is no neuron to act on, so no effect
        if rule is None or "effect" in raw:
            raise ConfigError(
                f"{where}.{'rule' if rule is None else 'effect'}",
                f"synapses onto the spikes group {post.name!r} only measure plasticity",
                "give a rule and no effect",
            )
        effect = ""
    elif post.neuron is None:
        raise ConfigError(
            f"{where}.post",
            f"group {post.name!r} is a {post.kind} input and cannot receive synapses",
            "expected a group of neurons (or a spikes group, for plasticity only)",
        )
    else:
        effect = _string(raw, "effect", where)
        targets = _EFFECT_TARGET.findall(effect)
        if not targets:
            raise ConfigError(
                f"{where}.effect", f"{effect!r} changes no postsynaptic variable", 'expected e.g. "g_e_post += w"'
            )
        for target in targets:
            if target not in post.neuron.input_variables:
                raise ConfigError(
                    f"{where}.effect",
                    f"{target}_post is not an input of {post.neuron.name}",
                    one_of(f"{v}_post" for v in post.neuron.input_variables),
                )
    params = _namespace(raw.get("params", {}), f"{where}.params")
    if rule is not None:
        clash = set(params) & set(rule.field_names())
        if clash:
            raise ConfigError(
                f"{where}.params.{sorted(clash)[0]}", "is also a parameter of the rule", "give it one name"
            )
    w_init = raw.get("w_init", 0.0)
    if isinstance(w_init, bool) or not isinstance(w_init, int | float | str):
        raise ConfigError(f"{where}.w_init", f"got {w_init!r}", 'expected a number or an expression like "rand()"')
    if isinstance(w_init, int | float):
        low, high = rule.w_bounds() if rule else (-math.inf, math.inf)
        if not (math.isfinite(w_init) and low <= w_init <= high):
            raise ConfigError(
                f"{where}.w_init", f"{w_init} is outside the rule's bounds", f"expected {low} <= w <= {high}"
            )
    delay = _delay(raw["delay"], f"{where}.delay") if "delay" in raw else None
    normalize = (
        Normalization.from_mapping(_table(raw["normalize"], f"{where}.normalize"), f"{where}.normalize")
        if "normalize" in raw
        else None
    )
    return SynapseSpec(
        name,
        ends["pre"].name,
        post.name,
        _connect(raw.get("connect", "all"), f"{where}.connect"),
        effect,
        w_init,
        delay,
        params,
        rule,
        normalize,
    )


def parse_model(raw: Mapping[str, Any], source: str | Path | None = None) -> ModelSpec:
    """Check a model-file dict and build its :class:`ModelSpec`."""
    raw = _table(raw, "model", TOP_KEYS)
    name = _string(raw, "name", "model" if "name" not in raw else "")
    reference = _string(raw, "reference", "", "")
    description = _string(raw, "description", "", "")
    simulation = _table(raw.get("simulation", {}), "simulation", ("dt", "dt_reason"))
    dt = parse_quantity(simulation.get("dt", "0.1 ms"), 1 * ms, "simulation.dt")
    if not isinstance(simulation.get("dt_reason", ""), str):
        raise ConfigError("simulation.dt_reason", f"got {simulation['dt_reason']!r}", "expected a string")
    if not 0 * second < dt <= 10 * ms:
        raise ConfigError("simulation.dt", f"{dt} is out of range", "expected 0 ms < dt <= 10 ms")
    if "groups" not in raw:
        raise ConfigError("groups", "missing", "expected at least one [groups.NAME] table")
    groups = {g: parse_group(g, v) for g, v in _table(raw["groups"], "groups").items()}
    if not groups:
        raise ConfigError("groups", "empty", "expected at least one [groups.NAME] table")
    synapses = {s: parse_synapse(s, v, groups) for s, v in _table(raw.get("synapses", {}), "synapses").items()}
    for s in synapses:
        if s in groups:
            raise ConfigError(f"synapses.{s}", f"name {s!r} is also a group", "give groups and synapses distinct names")
    spec = ModelSpec(name, reference, description, dt, groups, synapses, dict(raw), Path(source) if source else None)
    warn_about_time_step(spec)
    return spec
