"""Triplet STDP (Pfister & Gerstner 2006): pair terms plus triplet terms that make LTP grow
with the pairing frequency.

Each synapse keeps two presynaptic traces ``r1`` (time constant ``tau_plus``) and ``r2``
(``tau_x``), and two postsynaptic traces ``o1`` (``tau_minus``) and ``o2`` (``tau_y``):

- at a presynaptic spike: ``w -= o1 * (a2_minus + a3_minus * r2)``, then ``r1``, ``r2`` are
  bumped;
- at a postsynaptic spike: ``w += r1 * (a2_plus + a3_plus * o2)``, then ``o1``, ``o2`` are
  bumped.

The triplet traces are read *before* the spike's own bump (``r2(t-e)``, ``o2(t-e)`` in the
paper, Eqs. 3-4), so a post-pre-post triplet potentiates more than the pre-post pair alone,
which is how the rule reproduces the frequency dependence of Sjostrom, Turrigiano & Nelson
(2001) with the measured pair window (tau_plus, tau_minus of Bi & Poo); an additive pair rule
fitted to the same ten points with those time constants has about twice the residual and LTP
instead of LTD at -10 ms, 20 Hz, and needs tau_plus ~ 140 ms, tau_minus ~ 6 ms to get the signs
right (``triplet_frequency``, :mod:`snnlearn.rulefit`). With ``a3_plus = a3_minus = 0`` it is exactly the additive pair
rule (``stdp_additive``). ``interaction``: ``all_to_all`` adds 1 to a trace at a spike,
``nearest`` resets it to 1 (the paper's nearest-spike model, traces saturating at 1). Weights
are clipped to [0, w_max]; the paper's model is unbounded, so keep w_max far from the weights
when comparing with it.

Checked against NEST 3's ``stdp_triplet_synapse`` (all-to-all; ``Aplus = a2_plus``,
``Aplus_triplet = a3_plus``, ``Aminus = a2_minus``, ``Aminus_triplet = a3_minus``,
``tau_plus_triplet = tau_x``, the post neuron's ``tau_minus_triplet = tau_y``): the same weight
after every presynaptic spike to 1e-12 (``tests/test_crosscheck_nest.py``), except where a pre
and a post spike share a time step (a pair at dt = 0+ here, none in NEST). NEST has no
nearest-spike triplet rule.

``preset`` loads one of the paper's fitted parameter sets; any parameter given next to it
overrides the preset's value (``rule = { name = "triplet", preset =
"hippocampal_all_to_all_full", w_max = 3.0 }``). tau_plus = 16.8 ms and tau_minus = 33.7 ms
(Bi & Poo 2001) in all of them. Visual cortex (fitted to Sjostrom et al. 2001; Pfister &
Gerstner 2006, Table 3) and hippocampal culture (fitted to Wang et al. 2005 and Bi & Poo 1998;
Table 4):

======================================  ========  =======  ========  ========  ======  ======
preset                                  a2_plus   a3_plus  a2_minus  a3_minus  tau_x   tau_y
======================================  ========  =======  ========  ========  ======  ======
visual_cortex_all_to_all_full           5e-10     6.2e-3   7e-3      2.3e-4    101 ms  125 ms
visual_cortex_all_to_all_minimal        0         6.5e-3   7.1e-3    0         --      114 ms
visual_cortex_nearest_full              8.8e-11   5.3e-2   6.6e-3    3.1e-3    714 ms  40 ms
visual_cortex_nearest_minimal           0         5e-2     8e-3      0         --      40 ms
hippocampal_all_to_all_full             6.1e-3    6.7e-3   1.6e-3    1.4e-3    946 ms  27 ms
hippocampal_all_to_all_minimal          5.3e-3    8e-3     3.5e-3    0         --      40 ms
hippocampal_nearest_full                4.6e-3    9.1e-3   3e-3      7.5e-9    575 ms  47 ms
hippocampal_nearest_minimal             4.6e-3    9.1e-3   3e-3      0         --      48 ms
======================================  ========  =======  ========  ========  ======  ======

(--: unused, since a3_minus = 0; the rule keeps its default 101 ms.) A minimal model keeps
only the terms the data need: for visual cortex no pair potentiation and no triplet
depression, for hippocampus no triplet depression.

==============  ================================  ==========================================
parameter       default                           meaning
==============  ================================  ==========================================
preset          visual_cortex_all_to_all_minimal  fitted parameter set loaded first
tau_plus        16.8 ms                           decay of the pair presynaptic trace r1
tau_minus       33.7 ms                           decay of the pair postsynaptic trace o1
tau_x           101 ms                            decay of the triplet presynaptic trace r2
tau_y           114 ms                            decay of the triplet postsynaptic trace o2
a2_plus         0.0                               pair potentiation amplitude
a3_plus         0.0065                            triplet potentiation amplitude
a2_minus        0.0071                            pair depression amplitude
a3_minus        0.0                               triplet depression amplitude
w_max           1.0                               upper weight bound
interaction     all_to_all                        ``all_to_all`` or ``nearest``
==============  ================================  ==========================================

Reference: Pfister & Gerstner (2006) J Neurosci 26:9673-9682, Eqs. 1-4 and Tables 3-4.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from brian2 import ms

from ..errors import ConfigError, one_of
from ..params import param
from .base import INTERACTIONS, Rule, lines, trace_update


def _preset(
    a2_plus: float,
    a3_plus: float,
    a2_minus: float,
    a3_minus: float,
    tau_y: float,
    interaction: str,
    tau_x: float | None = None,
) -> dict[str, Any]:
    values = {
        "a2_plus": a2_plus,
        "a3_plus": a3_plus,
        "a2_minus": a2_minus,
        "a3_minus": a3_minus,
        "tau_y": tau_y * ms,
        "interaction": interaction,
    }
    return values if tau_x is None else {**values, "tau_x": tau_x * ms}


#: Pfister & Gerstner (2006), Table 3 (visual cortex) and Table 4 (hippocampal culture).
PRESETS: dict[str, dict[str, Any]] = {
    "visual_cortex_all_to_all_full": _preset(5e-10, 6.2e-3, 7e-3, 2.3e-4, 125, "all_to_all", 101),
    "visual_cortex_all_to_all_minimal": _preset(0.0, 6.5e-3, 7.1e-3, 0.0, 114, "all_to_all"),
    "visual_cortex_nearest_full": _preset(8.8e-11, 5.3e-2, 6.6e-3, 3.1e-3, 40, "nearest", 714),
    "visual_cortex_nearest_minimal": _preset(0.0, 5e-2, 8e-3, 0.0, 40, "nearest"),
    "hippocampal_all_to_all_full": _preset(6.1e-3, 6.7e-3, 1.6e-3, 1.4e-3, 27, "all_to_all", 946),
    "hippocampal_all_to_all_minimal": _preset(5.3e-3, 8e-3, 3.5e-3, 0.0, 40, "all_to_all"),
    "hippocampal_nearest_full": _preset(4.6e-3, 9.1e-3, 3e-3, 7.5e-9, 47, "nearest", 575),
    "hippocampal_nearest_minimal": _preset(4.6e-3, 9.1e-3, 3e-3, 0.0, 48, "nearest"),
}
DEFAULT_PRESET = "visual_cortex_all_to_all_minimal"


@dataclass(frozen=True)
class TripletSTDP(Rule):
    """Triplet STDP of Pfister & Gerstner (2006), with the paper's fitted parameter sets."""

    name: ClassVar[str] = "triplet"
    reference: ClassVar[str] = "Pfister & Gerstner (2006) J Neurosci 26:9673"
    preset: str = param(DEFAULT_PRESET, "fitted parameter set loaded first", choices=tuple(PRESETS))
    tau_plus: object = param(16.8 * ms, "decay of the pair presynaptic trace r1", positive=True)
    tau_minus: object = param(33.7 * ms, "decay of the pair postsynaptic trace o1", positive=True)
    tau_x: object = param(101 * ms, "decay of the triplet presynaptic trace r2", positive=True)
    tau_y: object = param(114 * ms, "decay of the triplet postsynaptic trace o2", positive=True)
    a2_plus: float = param(0.0, "pair potentiation amplitude", nonnegative=True)
    a3_plus: float = param(6.5e-3, "triplet potentiation amplitude", nonnegative=True)
    a2_minus: float = param(7.1e-3, "pair depression amplitude", nonnegative=True)
    a3_minus: float = param(0.0, "triplet depression amplitude", nonnegative=True)
    w_max: float = param(1.0, "upper weight bound", positive=True)
    interaction: str = param("all_to_all", "spike interaction", choices=INTERACTIONS)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None, field: str) -> Self:
        """As :meth:`Params.from_mapping`, with the preset's values under the given ones."""
        values = dict(values or {})
        preset = values.get("preset", DEFAULT_PRESET)
        if preset not in PRESETS:
            raise ConfigError(f"{field}.preset", f"unknown preset {preset!r}", one_of(PRESETS))
        return super().from_mapping({**PRESETS[preset], **values}, field)

    def model(self) -> str:
        return """
        dr1/dt = -r1 / tau_plus : 1 (event-driven)
        dr2/dt = -r2 / tau_x : 1 (event-driven)
        do1/dt = -o1 / tau_minus : 1 (event-driven)
        do2/dt = -o2 / tau_y : 1 (event-driven)
        """

    def on_pre(self) -> str:
        return lines(
            "w = clip(w - o1 * (a2_minus + a3_minus * r2), 0, w_max)",
            trace_update("r1", self.interaction),
            trace_update("r2", self.interaction),
        )

    def on_post(self) -> str:
        return lines(
            "w = clip(w + r1 * (a2_plus + a3_plus * o2), 0, w_max)",
            trace_update("o1", self.interaction),
            trace_update("o2", self.interaction),
        )
