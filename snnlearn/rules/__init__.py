"""The plasticity-rule library: each rule defined once, selected in a model file by name.

``rule = { name = "stdp_additive", a_plus = 0.005 }`` in a ``[synapses.X]`` table picks a rule
and overrides its parameters; :func:`make_rule` checks them. ``RULES`` lists every rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError, one_of
from .base import Rule
from .diehl_cook import DiehlCookSTDP
from .hebbian import BCMRule, OjaRule
from .reward import MSTDP, MSTDPET, DopamineSTDP
from .stdp import AdditiveSTDP, MultiplicativeSTDP
from .triplet import TripletSTDP

RULES: dict[str, type[Rule]] = {
    r.name: r
    for r in (
        AdditiveSTDP,
        MultiplicativeSTDP,
        TripletSTDP,
        DiehlCookSTDP,
        OjaRule,
        BCMRule,
        DopamineSTDP,
        MSTDP,
        MSTDPET,
    )
}


def register(rule: type[Rule]) -> type[Rule]:
    """Add a rule class to :data:`RULES` (usable as a decorator)."""
    RULES[rule.name] = rule
    return rule


def make_rule(table: Mapping[str, Any], field: str) -> Rule:
    """Build a rule from a model file's ``rule`` table: ``name`` plus parameter overrides."""
    if not isinstance(table, Mapping):
        raise ConfigError(field, f"got {table!r}", 'expected a table like { name = "stdp_additive" }')
    params = dict(table)
    name = params.pop("name", None)
    if name is None:
        raise ConfigError(f"{field}.name", "missing", one_of(RULES))
    if name not in RULES:
        raise ConfigError(f"{field}.name", f"unknown rule {name!r}", one_of(RULES))
    return RULES[name].from_mapping(params, field)


__all__ = ["RULES", "Rule", "make_rule", "register"]
