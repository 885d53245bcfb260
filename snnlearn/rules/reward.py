"""Reward-modulated STDP: a Hebbian eligibility that a global, delayed reward turns into weight change.

Every rule here reads one network-wide modulator, the dopamine concentration ``DA`` of a
controller group named ``dopamine`` (one neuron, created by the first rule that needs it):

    dDA/dt = -DA / tau_d        (reward events add to DA inside the simulation)

The task feeds it with Brian2 code (a ``Synapses`` pathway ``DA_post += amount`` from a spiking
controller, see :mod:`snnlearn.tasks.reward`), never with Python between time steps, so the
rules run unchanged on the standalone device. The synapses read it through a linked variable.

STDP itself is the pair rule of :mod:`snnlearn.rules.stdp` in trace form: a presynaptic trace
``apre`` (``tau_plus``) and a postsynaptic trace ``apost`` (``tau_minus``); a pair with
``dt = t_post - t_pre`` contributes ``STDP(dt) = a_plus exp(-dt/tau_plus)`` for dt > 0 and
``-a_minus exp(dt/tau_minus)`` for dt < 0. What differs is where that term goes.

``da_stdp`` (Izhikevich 2007, dopamine-modulated STDP)
    STDP writes into an eligibility trace ``c`` instead of the weight; dopamine turns it into
    weight change::

        dc/dt = -c / tau_c + STDP(dt) delta(t - t_pre/post)
        ds/dt = c (d_tonic + DA)

    As in the paper's code the weight moves in steps every ``update_period`` (10 ms):
    ``s <- clip(s + (d_tonic + DA) c, 0, w_max)``, so ``DA`` is measured per update period
    (code: ``DA *= 0.995`` per ms, i.e. tau_d = 0.2 s; ``sd *= 0.99`` per 10 ms, i.e.
    tau_c = 1 s; the STDP trace is *set* to 0.1 at a spike, nearest-spike pairing, with
    A- = 1.5 A+; tonic dopamine 0.002; weights in [0, 4]). ``c`` is decayed analytically
    (``c exp(-(t - lastupdate)/tau_c)``), so the regular update costs one pass over the
    synapses every 10 ms and nothing at other time steps. NEST's ``stdp_dopamine_synapse``
    integrates ``dw/dt = c (n - b)`` exactly between events instead; with ``interaction =
    "all_to_all"``, ``tau_n = tau_d``, ``A_pm = kappa a_pm`` (``kappa = amount tau_d /
    update_period``) and ``b = 0`` the two agree to update_period / (2 tau): 2.5% of the weight
    change at 10 ms and tau_d = 200 ms (``tests/test_crosscheck_nest.py``, tolerance 5%).

``mstdp`` (Florian 2007, modulated STDP)
    The reward multiplies the STDP term itself: ``dw/dt = gamma r(t) zeta(t)`` with
    ``zeta`` the spike-triggered STDP term, ``r = DA``: at a postsynaptic spike
    ``w += gamma DA a_plus apre``, at a presynaptic spike ``w -= gamma DA a_minus apost``.
    Only pairs whose spikes fall while the modulator is non-zero count.

``mstdpet`` (Florian 2007, modulated STDP with an eligibility trace)
    ``dz/dt = -z / tau_z + zeta(t)`` (tau_z = 25 ms) and ``dw/dt = gamma r(t) z(t) / tau_z``,
    integrated every ``update_period``. Dividing by tau_z makes gamma comparable with
    ``mstdp``: for a constant modulator both change a weight by ``gamma r STDP(dt)`` per pair
    (Florian's discrete-time form with step delta_t has ``gamma_Florian = gamma delta_t / tau_z``).

The reward baseline (Fremaux, Sprekeler & Gerstner 2010) is :class:`RewardBaseline`: the
modulator a task delivers is ``R - b`` with ``b`` a running average of the reward, kept per
stimulus (``per_stimulus``, their critic), over all trials (``global``: not enough when
several stimuli are rewarded at different rates) or absent (``none``). With an uncentred
reward the mean reward times the mean eligibility, the unsupervised STDP drift, adds to the
learning signal and grows with the number of stimuli.

=================  ==========  ==========  ==========  =================================================
parameter          da_stdp     mstdp       mstdpet     meaning
=================  ==========  ==========  ==========  =================================================
tau_plus           20 ms       20 ms       20 ms       decay of the presynaptic trace
tau_minus          20 ms       20 ms       20 ms       decay of the postsynaptic trace
a_plus             0.1         1.0         1.0         STDP term of a pre-then-post pair at dt -> 0+
a_minus            0.15        1.0         1.0         STDP term of a post-then-pre pair at dt -> 0-
interaction        nearest     all_to_all  all_to_all  ``all_to_all`` or ``nearest``
w_max              4.0         1.0         1.0         upper weight bound (lower bound 0)
tau_d              200 ms      200 ms      200 ms      decay of the shared dopamine concentration
tau_c / tau_z      1 s         -           25 ms       decay of the eligibility trace
d_tonic            0.002       -           -           tonic dopamine added at each weight update
gamma              -           0.01        0.01        learning rate
update_period      10 ms       -           1 ms        time between weight updates
=================  ==========  ==========  ==========  =================================================

References: Izhikevich (2007) Cereb Cortex 17:2443 (and its code ``daspnet.m``);
Florian (2007) Neural Comput 19:1468; Fremaux, Sprekeler & Gerstner (2010) J Neurosci 30:13326.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from brian2 import NeuronGroup, linked_var, ms, second

from ..errors import ConfigError
from ..params import Params, param
from .base import INTERACTIONS, Rule, lines, trace_update

#: Name of the shared controller group that holds the dopamine concentration ``DA``.
DOPAMINE = "dopamine"


def dopamine_group(built: Any, tau_d, field: str = "rule.tau_d") -> NeuronGroup:
    """The network's dopamine controller (one neuron, ``dDA/dt = -DA/tau_d``), made at first use.

    Every reward-modulated synapse of a network reads the same group, so all must agree on
    ``tau_d`` (``field`` names the parameter in the error otherwise).
    """
    group = built.groups.get(DOPAMINE)
    if group is None:
        dt = built.spec.dt
        group = NeuronGroup(
            1, "dDA/dt = -DA / tau_d : 1", method="exact", name=DOPAMINE, dt=dt, namespace={"tau_d": tau_d}
        )
        built.groups[DOPAMINE] = group
        built.add(group)
        return group
    if "DA" not in group.variables or group.namespace.get("tau_d") is None:
        raise ConfigError(f"groups.{DOPAMINE}", "this name is used by the shared dopamine signal", "rename the group")
    if group.namespace["tau_d"] != tau_d:
        raise ConfigError(
            field,
            f"{tau_d} differs from the {group.namespace['tau_d']} of another reward-modulated synapse",
            "all synapses share one dopamine signal: give them one tau_d",
        )
    return group


@dataclass(frozen=True)
class RewardModulatedRule(Rule):
    """Shared part: STDP traces, the linked dopamine ``DA``, an optional eligibility trace and
    regular weight update. Without an eligibility the modulated STDP term goes into the weight."""

    tau_plus: object = param(20 * ms, "decay of the presynaptic trace", positive=True)
    tau_minus: object = param(20 * ms, "decay of the postsynaptic trace", positive=True)
    tau_d: object = param(200 * ms, "decay of the shared dopamine concentration", positive=True)

    #: Name of the eligibility variable ('' for none) and of its time constant.
    eligibility: ClassVar[str] = ""
    eligibility_tau: ClassVar[str] = ""

    def model(self) -> str:
        e, tau = self.eligibility, self.eligibility_tau
        return lines(
            "dapre/dt = -apre / tau_plus : 1 (event-driven)",
            "dapost/dt = -apost / tau_minus : 1 (event-driven)",
            f"d{e}/dt = -{e} / {tau} : 1 (event-driven)" if e else "",
            "DA : 1 (linked)",
        )

    def on_pre(self) -> str:
        return lines(self.apply("-", "a_minus * apost"), trace_update("apre", self.interaction))  # type: ignore[attr-defined]

    def on_post(self) -> str:
        return lines(self.apply("+", "a_plus * apre"), trace_update("apost", self.interaction))  # type: ignore[attr-defined]

    def apply(self, sign: str, term: str) -> str:
        """The statement that applies one STDP term at a spike: to the eligibility, or else
        (no eligibility) to the weight, times the modulator."""
        if self.eligibility:
            return f"{self.eligibility} = {self.eligibility} {sign} {term}"
        return f"w = clip(w {sign} gamma * DA * {term}, 0, w_max)"

    def current_eligibility(self) -> str:
        """The eligibility at time t, decayed analytically since the synapse's last spike."""
        return f"{self.eligibility} * exp(-(t - lastupdate) / {self.eligibility_tau})"

    def update(self) -> str:
        """The regular weight update ('' for none)."""
        return ""

    def reward_gain(self) -> float | None:
        """Weight change per unit of dopamine delivered at once and unit of eligibility then,
        ``dw = gain * amount * e(t_R)``, for a synapse whose eligibility only decays afterwards
        (no new pairings, no bound reached): the sum over the regular updates of the decaying
        dopamine times the decaying eligibility. None for a rule without an eligibility trace
        (its change comes from pairings while the dopamine lasts)."""
        return None

    def attach(self, synapses: Any, built: Any) -> None:
        synapses.DA = linked_var(dopamine_group(built, self.tau_d, f"synapses.{synapses.name}.rule.tau_d"), "DA")
        if self.update():
            synapses.run_regularly(
                self.update(),
                dt=self.update_period,  # type: ignore[attr-defined]
                when="start",
                name=f"{synapses.name}_reward_update",
            )


@dataclass(frozen=True)
class DopamineSTDP(RewardModulatedRule):
    """Dopamine-modulated STDP with an eligibility trace (Izhikevich 2007)."""

    name: ClassVar[str] = "da_stdp"
    reference: ClassVar[str] = "Izhikevich (2007) Cereb Cortex 17:2443, Fig. 1 and its code daspnet.m"
    eligibility: ClassVar[str] = "c"
    eligibility_tau: ClassVar[str] = "tau_c"
    a_plus: float = param(0.1, "eligibility added by a pre-then-post pair at dt -> 0+", nonnegative=True)
    a_minus: float = param(0.15, "eligibility removed by a post-then-pre pair at dt -> 0-", nonnegative=True)
    tau_c: object = param(1 * second, "decay of the eligibility trace", positive=True)
    d_tonic: float = param(0.002, "tonic dopamine added at each weight update", nonnegative=True)
    update_period: object = param(10 * ms, "time between weight updates", positive=True)
    w_max: float = param(4.0, "upper weight bound", positive=True)
    interaction: str = param("nearest", "spike interaction", choices=INTERACTIONS)

    def update(self) -> str:
        return f"w = clip(w + (d_tonic + DA) * {self.current_eligibility()}, 0, w_max)"

    def reward_gain(self) -> float | None:
        period = float(self.update_period / second)
        return 1.0 / -math.expm1(-period * (1 / float(self.tau_d / second) + 1 / float(self.tau_c / second)))


@dataclass(frozen=True)
class MSTDP(RewardModulatedRule):
    """Reward-modulated STDP without eligibility: the reward multiplies the STDP term (Florian 2007)."""

    name: ClassVar[str] = "mstdp"
    reference: ClassVar[str] = "Florian (2007) Neural Comput 19:1468 (MSTDP)"
    a_plus: float = param(1.0, "STDP term of a pre-then-post pair at dt -> 0+", nonnegative=True)
    a_minus: float = param(1.0, "STDP term of a post-then-pre pair at dt -> 0-", nonnegative=True)
    gamma: float = param(0.01, "learning rate", nonnegative=True)
    w_max: float = param(1.0, "upper weight bound", positive=True)
    interaction: str = param("all_to_all", "spike interaction", choices=INTERACTIONS)


@dataclass(frozen=True)
class MSTDPET(MSTDP):
    """Reward-modulated STDP with an eligibility trace z (Florian 2007)."""

    name: ClassVar[str] = "mstdpet"
    reference: ClassVar[str] = "Florian (2007) Neural Comput 19:1468 (MSTDPET)"
    eligibility: ClassVar[str] = "z"
    eligibility_tau: ClassVar[str] = "tau_z"
    tau_z: object = param(25 * ms, "decay of the eligibility trace", positive=True)
    update_period: object = param(1 * ms, "time between weight updates", positive=True)

    def update(self) -> str:
        return f"w = clip(w + gamma * DA * {self.current_eligibility()} * update_period / tau_z, 0, w_max)"

    def reward_gain(self) -> float | None:
        period, tau_z = float(self.update_period / second), float(self.tau_z / second)
        return self.gamma * period / tau_z / -math.expm1(-period * (1 / float(self.tau_d / second) + 1 / tau_z))


BASELINES = ("none", "global", "per_stimulus")


@dataclass(frozen=True)
class RewardBaseline(Params):
    """The reward's expectation subtracted before it reaches the synapses (Fremaux et al. 2010).

    After each trial with stimulus ``s`` and reward ``R`` the task delivers the modulator
    ``M = R - b`` and then updates the average: ``b_s <- b_s + (R - b_s) / trials`` (per
    stimulus) or ``b <- b + (R - b) / trials`` (global). ``none`` delivers ``M = R``.
    The mode is a pair of shared controller variables (``use_stimulus_baseline``,
    ``use_global_baseline``), so one compiled network runs all three.
    """

    mode: str = param("per_stimulus", "which expectation is subtracted", choices=BASELINES)
    trials: float = param(10.0, "averaging time constant of the running mean, in trials", positive=True)

    def check(self, field: str) -> None:
        if self.trials < 1:
            raise ConfigError(f"{field}.trials", f"{self.trials} is below 1", "expected trials >= 1")

    def switches(self) -> dict[str, float]:
        """Values of the controller's two mode variables for this mode."""
        return {
            "use_stimulus_baseline": float(self.mode == "per_stimulus"),
            "use_global_baseline": float(self.mode == "global"),
        }

    @staticmethod
    def equations(n_stimuli: int) -> str:
        """Controller variables: one running mean per stimulus, a global one, the mode switches."""
        return lines(
            *(f"baseline_{s} : 1" for s in range(n_stimuli)),
            "baseline_all : 1",
            "use_stimulus_baseline : 1 (shared)",
            "use_global_baseline : 1 (shared)",
        )

    @staticmethod
    def variables(n_stimuli: int) -> list[str]:
        """The running means (what a chunked run carries from chunk to chunk)."""
        return [f"baseline_{s}" for s in range(n_stimuli)] + ["baseline_all"]

    def statements(self, n_stimuli: int, reward: str, stimulus: str, suffix: str = "") -> str:
        """Brian2 code that sets ``modulator`` to ``reward`` minus the expectation and updates it.

        ``stimulus`` is an expression of the trial's stimulus index; ``suffix`` (``_pre``) names
        the controller's variables from a synapse's point of view.
        """
        own = f"(0 {''.join(f' + baseline_{s}{suffix} * int({stimulus} == {s})' for s in range(n_stimuli))})"
        return lines(
            f"modulator = {reward} - use_stimulus_baseline{suffix} * {own} "
            f"- use_global_baseline{suffix} * baseline_all{suffix}",
            *(
                f"baseline_{s}{suffix} += int({stimulus} == {s}) * ({reward} - baseline_{s}{suffix}) / {self.trials!r}"
                for s in range(n_stimuli)
            ),
            f"baseline_all{suffix} += ({reward} - baseline_all{suffix}) / {self.trials!r}",
        )


__all__ = [
    "BASELINES",
    "DOPAMINE",
    "DopamineSTDP",
    "MSTDP",
    "MSTDPET",
    "RewardBaseline",
    "RewardModulatedRule",
    "dopamine_group",
]
