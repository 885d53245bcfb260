"""``--set KEY=VALUE`` overrides by dotted name, applied to a model file or an experiment's parameters.

Values are read as TOML (``0.004``, ``true``, ``[10, 20]``, ``"20 Hz"``); a bare comma list
(``10,20,40``) is a list and anything else that is not valid TOML is a string (``20 Hz``).
Keys under ``groups``, ``synapses``, ``simulation``, ``name`` or ``reference`` change the model
file; any other key must name one of the experiment's parameters.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import ConfigError, one_of
from .params import coerce

MODEL_KEYS = ("name", "reference", "description", "simulation", "groups", "synapses")


def parse_value(text: str) -> Any:
    """Read one ``--set`` value as TOML, a comma list (of TOML values or words), or a string."""
    for candidate in (text, f"[{text}]" if "," in text else None):
        if candidate is None:
            continue
        try:
            return tomllib.loads(f"v = {candidate}")["v"]
        except tomllib.TOMLDecodeError:
            continue
    if "," in text:
        return [parse_value(part) for part in text.split(",")]
    return text.strip()


def parse_assignments(items: Sequence[str]) -> list[tuple[str, Any]]:
    """Split ``KEY=VALUE`` strings; a malformed item is a ConfigError naming it."""
    parsed = []
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or any(not part for part in key.split(".")):
            raise ConfigError("--set", f"cannot read {item!r}", "expected KEY=VALUE with a dotted KEY")
        parsed.append((key, parse_value(value)))
    return parsed


def is_model_key(key: str) -> bool:
    """True when a ``--set`` key changes the model file (its first part is one of :data:`MODEL_KEYS`)."""
    return key.split(".", 1)[0] in MODEL_KEYS


def apply_to_model(raw: Mapping[str, Any], key: str, value: Any) -> dict[str, Any]:
    """Set ``key`` in a copy of a raw model-file dict; the spec parser checks the result."""
    result = copy.deepcopy(dict(raw))
    node = result
    parts = key.split(".")
    for depth, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            where = ".".join(parts[: depth + 1])
            raise ConfigError(key, f"{where} is not a table", "set a key inside a table")
        node = child
    node[parts[-1]] = value
    return result


def apply_to_params(defaults: Mapping[str, Any], key: str, value: Any) -> dict[str, Any]:
    """Set ``key`` in a copy of an experiment's parameters, checked against the default's type."""
    result = copy.deepcopy(dict(defaults))
    node = result
    parts = key.split(".")
    for depth, part in enumerate(parts):
        if not isinstance(node, dict) or part not in node:
            here = ".".join(parts[:depth])
            names = list(node) if isinstance(node, dict) else []
            if depth == 0:
                names = names + [f"{k}.*" for k in MODEL_KEYS if k in ("groups", "synapses", "simulation")]
            raise ConfigError(key, f"unknown parameter{' in ' + here if here else ''}", one_of(names))
        if depth == len(parts) - 1:
            default = node[part]
            if isinstance(default, list | tuple) and not isinstance(value, list | tuple):
                value = [value]
            if isinstance(default, list | tuple) and default:
                value = [coerce(v, default[0], f"{key}[{i}]") for i, v in enumerate(value)]
            node[part] = coerce(value, default, key)
        else:
            node = node[part]
    return result
