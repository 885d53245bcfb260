"""Typed parameter sets with units, parsed and checked from plain TOML values.

Every neuron model and plasticity rule is a frozen dataclass derived from :class:`Params`.
Its fields carry defaults (a Brian2 quantity, a float, an int, a bool or a string) and optional
constraints; :meth:`Params.from_mapping` turns a user's mapping (``{"tau_plus": "20 ms"}``) into
an instance, raising :class:`~snnlearn.errors.ConfigError` that names the field and what is
allowed. Quantities are written as strings with a unit (``"20 ms"``, ``"-70 mV"``, ``"10 Hz"``),
read by :func:`snnlearn.quantity.parse_quantity` (a parser: nothing is evaluated).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, Self

from brian2.units.fundamentalunits import DIMENSIONLESS, Quantity, get_dimensions

from .errors import ConfigError, one_of
from .quantity import parse_quantity, unit_text

__all__ = ["Params", "coerce", "param", "parse_quantity", "unit_text"]


def coerce(value: Any, default: Any, field: str) -> Any:
    """Check ``value`` against the type of ``default`` and convert it (quantities are parsed)."""
    if isinstance(default, Quantity):
        return parse_quantity(value, default, field)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(field, f"got {value!r}", "expected true or false")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(field, f"got {value!r}", "expected an integer")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(field, f"got {value!r}", "expected a number")
        if not math.isfinite(value):
            raise ConfigError(field, f"{value!r} is not finite", "expected a finite number")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(field, f"got {value!r}", "expected a string")
        return value
    if isinstance(default, tuple | list):
        if not isinstance(value, list | tuple):
            raise ConfigError(field, f"got {value!r}", "expected a list")
        return type(default)(value)
    return value


def param(
    default: Any,
    doc: str = "",
    *,
    positive: bool = False,
    nonnegative: bool = False,
    choices: tuple[str, ...] | None = None,
) -> Any:
    """Declare a parameter field: its default, a one-line meaning and its constraints."""
    meta = {"doc": doc, "positive": positive, "nonnegative": nonnegative, "choices": choices, "default": default}
    if isinstance(default, Quantity):  # unhashable, so dataclasses need a factory
        return dataclasses.field(default_factory=lambda: default, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@dataclasses.dataclass(frozen=True)
class Params:
    """Base class of every typed parameter set (neuron models, rules)."""

    @classmethod
    def field_names(cls) -> list[str]:
        """The names of the parameters, in declaration order."""
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None, field: str) -> Self:
        """Build an instance from user values, checking names, types, units and constraints."""
        values = dict(values or {})
        allowed = cls.field_names()
        for key in values:
            if key not in allowed:
                raise ConfigError(f"{field}.{key}", "unknown parameter", one_of(allowed))
        kwargs = {}
        for f in dataclasses.fields(cls):
            if f.name not in values:
                continue
            name = f"{field}.{f.name}"
            value = coerce(values[f.name], f.metadata.get("default", f.default), name)
            _check_constraints(value, f.metadata, name)
            kwargs[f.name] = value
        instance = cls(**kwargs)
        instance.check(field)
        return instance

    def check(self, field: str) -> None:
        """Cross-field checks of a subclass (raise ConfigError); the default accepts all."""

    def namespace(self) -> dict[str, Any]:
        """Parameters as a Brian2 namespace (names used in the equations)."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if not isinstance(getattr(self, f.name), str | bool)
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly values (quantities as strings with units)."""
        return {
            k: (
                str(v)
                if isinstance(v, Quantity) and get_dimensions(v) is not DIMENSIONLESS
                else float(v)
                if isinstance(v, Quantity)
                else v
            )
            for k, v in dataclasses.asdict(self).items()
        }

    @classmethod
    def describe(cls) -> list[tuple[str, str, str]]:
        """(name, default, meaning) for each parameter: the rows of a documentation table."""
        return [
            (f.name, str(f.metadata.get("default", f.default)), f.metadata.get("doc", ""))
            for f in dataclasses.fields(cls)
        ]


def _check_constraints(value: Any, meta: Mapping[str, Any], field: str) -> None:
    if meta.get("positive") and not float(value) > 0:
        raise ConfigError(field, f"{value} is not positive", "expected a value > 0")
    if meta.get("nonnegative") and not float(value) >= 0:
        raise ConfigError(field, f"{value} is negative", "expected a value >= 0")
    choices = meta.get("choices")
    if choices and value not in choices:
        raise ConfigError(field, f"unknown value {value!r}", one_of(choices))
