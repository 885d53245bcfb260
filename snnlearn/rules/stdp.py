"""Pair-based STDP in trace form: additive (hard bounds) and weight-dependent (soft bounds).

Each synapse keeps a presynaptic trace ``apre`` (time constant ``tau_plus``) and a
postsynaptic trace ``apost`` (``tau_minus``), both decaying exponentially and bumped at spikes:

- at a presynaptic spike: ``w -= a_minus * f_-(w) * apost`` (depression), then the pre trace
  is bumped;
- at a postsynaptic spike: ``w += a_plus * f_+(w) * apre`` (potentiation), then the post trace
  is bumped;

so that one pair with ``dt = t_post - t_pre`` changes the weight by
``a_plus exp(-dt/tau_plus)`` for dt > 0 and ``-a_minus exp(dt/tau_minus)`` for dt < 0
(Bi & Poo 1998; Song, Miller & Abbott 2000). ``interaction`` chooses how spikes combine
(Morrison, Diesmann & Gerstner 2008): ``all_to_all`` adds 1 to a trace at each spike (every
pair counts); ``nearest`` resets it to 1 (only the nearest preceding spike counts).

Weight dependence (Gutig et al. 2003; van Rossum, Bi & Turrigiano 2000):
``f_+(w) = (1 - w/w_max)**mu``, ``f_-(w) = (w/w_max)**mu``. ``stdp_additive`` is mu = 0 with
hard bounds (clip to [0, w_max]), which makes the weight distribution bimodal (Song et al.
2000); ``stdp_multiplicative`` has mu > 0 (mu = 1: van Rossum's multiplicative rule), soft
bounds that keep weights inside [0, w_max] and a unimodal distribution.

==============  =========  ===========================================================
parameter       default    meaning
==============  =========  ===========================================================
tau_plus        20 ms      decay of the presynaptic trace (potentiation window)
tau_minus       20 ms      decay of the postsynaptic trace (depression window)
a_plus          0.005      weight change of a pre-then-post pair at dt -> 0+
a_minus         0.00525    weight change of a post-then-pre pair at dt -> 0- (A-/A+ = 1.05)
w_max           1.0        upper weight bound
interaction     all_to_all ``all_to_all`` or ``nearest``
mu              1.0        (multiplicative only) exponent of the weight dependence
==============  =========  ===========================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from brian2 import ms

from ..errors import ConfigError
from ..params import param
from .base import INTERACTIONS, Rule, lines, trace_update


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

    def exponent(self) -> str:
        """The weight-dependence exponent as a Brian2 expression (0: additive)."""
        return "0"

    def model(self) -> str:
        return """
        dapre/dt = -apre / tau_plus : 1 (event-driven)
        dapost/dt = -apost / tau_minus : 1 (event-driven)
        """

    def on_pre(self) -> str:
        depress = "a_minus * apost" if self.exponent() == "0" else f"a_minus * (w / w_max)**{self.exponent()} * apost"
        return lines(f"w = clip(w - {depress}, 0, w_max)", trace_update("apre", self.interaction))

    def on_post(self) -> str:
        potentiate = ("a_plus * apre" if self.exponent() == "0"
                      else f"a_plus * (1 - w / w_max)**{self.exponent()} * apre")
        return lines(f"w = clip(w + {potentiate}, 0, w_max)", trace_update("apost", self.interaction))


@dataclass(frozen=True)
class MultiplicativeSTDP(AdditiveSTDP):
    """Pair STDP with soft bounds (van Rossum et al. 2000, mu = 1; Gutig et al. 2003, 0 < mu < 1)."""

    name: ClassVar[str] = "stdp_multiplicative"
    reference: ClassVar[str] = ("van Rossum, Bi & Turrigiano (2000) J Neurosci 20:8812; "
                                "Gutig, Aharonov, Rotter & Sompolinsky (2003) J Neurosci 23:3697")
    mu: float = param(1.0, "exponent of the weight dependence", nonnegative=True)

    def exponent(self) -> str:
        return "mu"

    def check(self, field: str) -> None:
        if self.mu > 1:
            raise ConfigError(f"{field}.mu", f"{self.mu} is above 1", "expected 0 <= mu <= 1")
