"""Pair-based STDP in trace form: additive (hard bounds) and weight-dependent (soft bounds).

Each synapse keeps a presynaptic trace ``apre`` (time constant ``tau_plus``) and a
postsynaptic trace ``apost`` (``tau_minus``), both decaying exponentially and bumped at spikes:

- at a presynaptic spike: ``w -= a_minus * f_-(w) * apost`` (depression), then the pre trace
  is bumped;
- at a postsynaptic spike: ``w += a_plus * f_+(w) * apre`` (potentiation), then the post trace
  is bumped;

so that one isolated pair with ``dt = t_post - t_pre`` changes the weight by
``a_plus f_+(w) exp(-dt/tau_plus)`` for dt >= 0 and ``-a_minus f_-(w) exp(dt/tau_minus)`` for
dt < 0 (Bi & Poo 1998 measured tau_plus = 16.8 ms, tau_minus = 33.7 ms; Song, Miller & Abbott
2000 use 20 ms for both). A pre and a post spike in the same time step count as dt = 0+ (the
presynaptic pathway runs first). ``interaction`` chooses how spikes combine (Morrison,
Diesmann & Gerstner 2008): ``all_to_all`` adds 1 to a trace at each spike (every pair counts);
``nearest`` resets it to 1 (each spike pairs only with the nearest earlier spike of the other
neuron: the symmetric nearest-spike scheme).

Weight dependence (Gutig, Aharonov, Rotter & Sompolinsky 2003):
``f_+(w) = (1 - w/w_max)**mu``, ``f_-(w) = (w/w_max)**mu``.

- ``stdp_additive``: mu = 0 with hard bounds (clip to [0, w_max]); competition makes the weight
  distribution bimodal (Song et al. 2000).
- ``stdp_multiplicative``: 0 < mu <= 1, soft bounds: the steps shrink near a bound, so weights
  stay inside [0, w_max] (the clip only guards against steps larger than the distance to a
  bound) and the distribution is unimodal. mu = 1 is the fully multiplicative rule; van Rossum,
  Bi & Turrigiano (2000) make depression proportional to w (as here) and potentiation constant,
  which this family approaches for small w/w_max; intermediate mu interpolates between
  additive and multiplicative (Gutig et al. 2003).

==============  ==========  ==========================================================
parameter       default     meaning
==============  ==========  ==========================================================
tau_plus        20 ms       decay of the presynaptic trace (potentiation window)
tau_minus       20 ms       decay of the postsynaptic trace (depression window)
a_plus          0.005       weight change of a pre-then-post pair at dt -> 0+
a_minus         0.00525     weight change of a post-then-pre pair at dt -> 0- (A-/A+ = 1.05)
w_max           1.0         upper weight bound
interaction     all_to_all  ``all_to_all`` or ``nearest``
mu              1.0         (``stdp_multiplicative`` only) exponent of the weight dependence
==============  ==========  ==========================================================

Checked against NEST 3 (``tests/test_crosscheck_nest.py``): on the same spike trains, all-to-all
matches ``stdp_synapse`` and nearest matches ``stdp_nn_symm_synapse`` (``lambda = a_plus /
w_max``, ``alpha = a_minus / a_plus``, ``mu_plus = mu_minus = mu``) to about 1e-15 of w_max
after every presynaptic spike. The schemes differ in two places: a pre and a post spike in the
same time step are a pair at dt = 0+ here (potentiation by a_plus) and no pair in NEST; and
NEST's nearest-spike synapse pairs the postsynaptic spikes before the first presynaptic spike
with a presynaptic spike at t = 0, which this rule does not.

References: Bi & Poo (1998) J Neurosci 18:10464; Song, Miller & Abbott (2000) Nat Neurosci
3:919; van Rossum, Bi & Turrigiano (2000) J Neurosci 20:8812; Gutig et al. (2003) J Neurosci
23:3697; Morrison, Diesmann & Gerstner (2008) Biol Cybern 98:459.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from brian2 import ms

from ..errors import ConfigError
from ..params import param
from .base import INTERACTIONS, Rule, lines, trace_update


def scaled(amplitude: str, factor: str) -> str:
    """``amplitude * factor`` as Brian2 code, or just ``amplitude`` when there is no factor."""
    return f"{amplitude} * {factor}" if factor else amplitude


@dataclass(frozen=True)
class AdditiveSTDP(Rule):
    """Pair STDP, additive with hard bounds (Song, Miller & Abbott 2000)."""

    name: ClassVar[str] = "stdp_additive"
    reference: ClassVar[str] = "Song, Miller & Abbott (2000) Nat Neurosci 3:919; Bi & Poo (1998) J Neurosci 18:10464"
    tau_plus: object = param(20 * ms, "decay of the presynaptic trace", positive=True)
    tau_minus: object = param(20 * ms, "decay of the postsynaptic trace", positive=True)
    a_plus: float = param(0.005, "potentiation at dt -> 0+", nonnegative=True)
    a_minus: float = param(0.00525, "depression at dt -> 0-", nonnegative=True)
    w_max: float = param(1.0, "upper weight bound", positive=True)
    interaction: str = param("all_to_all", "spike interaction", choices=INTERACTIONS)

    def weight_dependence(self) -> tuple[str, str]:
        """(f_+, f_-) as Brian2 expressions; empty strings for none (additive)."""
        return "", ""

    def model(self) -> str:
        return """
        dapre/dt = -apre / tau_plus : 1 (event-driven)
        dapost/dt = -apost / tau_minus : 1 (event-driven)
        """

    def on_pre(self) -> str:
        depress = scaled("a_minus * apost", self.weight_dependence()[1])
        return lines(f"w = clip(w - {depress}, 0, w_max)", trace_update("apre", self.interaction))

    def on_post(self) -> str:
        potentiate = scaled("a_plus * apre", self.weight_dependence()[0])
        return lines(f"w = clip(w + {potentiate}, 0, w_max)", trace_update("apost", self.interaction))


@dataclass(frozen=True)
class MultiplicativeSTDP(AdditiveSTDP):
    """Pair STDP with soft bounds (Gutig et al. 2003; mu = 1: multiplicative)."""

    name: ClassVar[str] = "stdp_multiplicative"
    reference: ClassVar[str] = (
        "Gutig, Aharonov, Rotter & Sompolinsky (2003) J Neurosci 23:3697; "
        "van Rossum, Bi & Turrigiano (2000) J Neurosci 20:8812"
    )
    mu: float = param(1.0, "exponent of the weight dependence", nonnegative=True)

    def weight_dependence(self) -> tuple[str, str]:
        return "(1 - w / w_max)**mu", "(w / w_max)**mu"

    def check(self, field: str) -> None:
        if self.mu > 1:
            raise ConfigError(f"{field}.mu", f"{self.mu} is above 1", "expected 0 <= mu <= 1")
