"""The STDP rule of Diehl & Cook (2015), as in their published code: a presynaptic trace and
two postsynaptic traces, depression at presynaptic spikes, potentiation at postsynaptic spikes.

Each synapse keeps a presynaptic trace ``pre`` (``tau_pre``) and two postsynaptic traces
``post1`` (``tau_post1``) and ``post2`` (``tau_post2``); each is *set* to 1 at a spike of its
neuron (nearest-spike interaction) and decays exponentially:

- at a presynaptic spike: ``pre = 1``; ``w = clip(w - nu_pre * post1, 0, w_max)``
  (depression by the last postsynaptic spike);
- at a postsynaptic spike: ``w = clip(w + nu_post * pre * post2, 0, w_max)`` with ``post2``
  read *before* this spike sets it to 1; then ``post1 = post2 = 1``.

This is the nearest-spike minimal triplet rule of Pfister & Gerstner (2006): potentiation is a
pre-post pair term times the slow trace of earlier postsynaptic spikes. The presynaptic term
*depresses* (``w - nu_pre * post1``), as in the original code and in Pfister & Gerstner; two
public Brian2 ports flipped its sign (``w + nu_pre * post1``), turning depression into a second
potentiation. ``nu_pre`` is small, so learning is driven by potentiation, and the competition
between neurons comes from weight normalisation (``normalize = { total = 78.0 }``) and the
adaptive threshold (``adaptive_lif``); see :mod:`snnlearn.rules.homeostasis`.

An optional per-neuron learning-rate schedule (``memory_spikes`` = n* > 0, not in the paper) lets
a short run learn what the paper's long one does: both rates are multiplied by
``max(1, n* / (1 + spikes_learned))``, with ``spikes_learned`` the postsynaptic neuron's spikes so far while
learning. With n* = (sum of weights) / (``nu_post`` x mean sum of presynaptic traces), the
number of postsynaptic spikes the paper's constant rate averages over, a neuron's weights are
the running mean of its inputs at its first n* spikes (as in online k-means, MacQueen 1967) and
follow the paper's constant rate afterwards; a neuron of the paper's MNIST run fires thousands
of spikes, far more than n*, so there the schedule changes only its first steps.

==============  =========  ===========================================================
parameter       default    meaning
==============  =========  ===========================================================
tau_pre         20 ms      decay of the presynaptic trace
tau_post1       20 ms      decay of the postsynaptic trace read by depression
tau_post2       40 ms      decay of the postsynaptic trace read by potentiation
nu_pre          0.0001     depression rate (per presynaptic spike)
nu_post         0.01       potentiation rate (per postsynaptic spike)
w_max           1.0        upper weight bound
memory_spikes   0          n* of the rate schedule (0: constant rates, as the paper)
post_traces     synapse    where ``post1``, ``post2`` live: ``synapse`` or ``neuron``
==============  =========  ===========================================================

Where the postsynaptic traces live. ``post1`` and ``post2`` depend on the postsynaptic neuron's
spikes alone, so every synapse of a neuron holds the same two numbers. With ``post_traces =
"synapse"`` (as the paper's code) each synapse keeps them event-driven: every synaptic event
evaluates their decay, two ``exp`` per presynaptic spike and synapse. With ``post_traces =
"neuron"`` (:meth:`neuron_traces`, what the Diehl & Cook model file uses) the network keeps them
once per neuron, multiplied by ``exp(-dt/tau)`` at the start of every step and set to 1 in the
neuron's reset, which runs after the synapses: a presynaptic spike reads ``post1`` and a
postsynaptic spike reads ``post2`` from before a spike of the same step, as the event-driven
form does. The neuron form also keeps no presynaptic trace: a nearest-spike trace is
``exp(-(t - t_last)/tau_pre)`` of its last spike's arrival ``t_last``, so each synapse stores
that time (``t_arrival``, set at each arrival; :data:`NO_ARRIVAL` before the first) and a
postsynaptic spike evaluates the exponential. A presynaptic event then writes one time instead
of decaying and storing a trace and its update time: half the per-synapse memory traffic of the
loop that dominates a training step. The two forms compute the same trace values up to rounding
(``exp(-k dt/tau)`` against ``k`` products of ``exp(-dt/tau)``, one ``exp`` of a sum against a
product of two); ``tests/test_neuron_traces.py`` checks that they give the same spikes and
weights to 1e-12. The ``neuron`` form needs the builder of model files,
which adds the traces to the postsynaptic group; :func:`snnlearn.plastic_synapses` keeps the
``synapse`` form.

References: Diehl & Cook (2015) Front Comput Neurosci 9:99 (code: github.com/peter-u-diehl/
stdp-mnist, ``Diehl&Cook_spiking_MNIST.py``); Pfister & Gerstner (2006) J Neurosci 26:9673;
MacQueen (1967) Proc 5th Berkeley Symp 1:281.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from brian2 import ms, second

from ..params import param
from .base import NeuronTrace, Rule, lines

#: ``t_arrival`` before any presynaptic spike has arrived: exp(-1e6 s / tau_pre) is exactly 0
NO_ARRIVAL = -1e6 * second


@dataclass(frozen=True)
class DiehlCookSTDP(Rule):
    """Diehl & Cook (2015) STDP: presynaptic depression, triplet-like postsynaptic potentiation."""

    name: ClassVar[str] = "diehl_cook"
    reference: ClassVar[str] = "Diehl & Cook (2015) Front Comput Neurosci 9:99"
    tau_pre: object = param(20 * ms, "decay of the presynaptic trace", positive=True)
    tau_post1: object = param(20 * ms, "decay of the postsynaptic trace read by depression", positive=True)
    tau_post2: object = param(40 * ms, "decay of the postsynaptic trace read by potentiation", positive=True)
    nu_pre: float = param(0.0001, "depression rate", nonnegative=True)
    nu_post: float = param(0.01, "potentiation rate", nonnegative=True)
    w_max: float = param(1.0, "upper weight bound", positive=True)
    memory_spikes: float = param(0.0, "n* of the per-neuron rate schedule (0: constant rates)", nonnegative=True)
    post_traces: str = param(
        "synapse",
        "where post1 and post2 live: on each synapse, event-driven, or once per postsynaptic neuron (same values)",
        choices=("synapse", "neuron"),
    )

    @property
    def learned_state(self) -> tuple[str, ...]:  # type: ignore[override]
        """``("spikes_learned",)`` with the rate schedule (its spike count changes only while learning), else none."""
        return ("spikes_learned",) if self.memory_spikes > 0 else ()

    def _rate(self) -> str:
        return " * clip(memory_spikes / (1 + spikes_learned), 1, memory_spikes)" if self.memory_spikes > 0 else ""

    @property
    def _on_neuron(self) -> bool:
        return self.post_traces == "neuron"

    def _post(self, trace: str) -> str:
        """How the synapse's statements name a postsynaptic trace."""
        return f"{trace}_post" if self._on_neuron else trace

    def neuron_traces(self) -> tuple[NeuronTrace, ...]:
        """``post1`` and ``post2`` on the postsynaptic neuron when ``post_traces = "neuron"``."""
        if not self._on_neuron:
            return ()
        return (NeuronTrace("post1", self.tau_post1, "post1 = 1"), NeuronTrace("post2", self.tau_post2, "post2 = 1"))

    def _pre_trace(self) -> str:
        """How ``on_post`` reads the presynaptic trace."""
        return "exp((t_arrival - t) / tau_pre)" if self._on_neuron else "pre"

    def initial_values(self) -> dict[str, Any]:
        """``t_arrival`` long before the run (no spike has arrived: a trace of 0) in the neuron form."""
        return {"t_arrival": NO_ARRIVAL} if self._on_neuron else {}

    def model(self) -> str:
        return lines(
            "t_arrival : second  # arrival time of the last presynaptic spike"
            if self._on_neuron
            else "dpre/dt = -pre / tau_pre : 1 (event-driven)",
            "" if self._on_neuron else "dpost1/dt = -post1 / tau_post1 : 1 (event-driven)",
            "" if self._on_neuron else "dpost2/dt = -post2 / tau_post2 : 1 (event-driven)",
            "spikes_learned : 1  # postsynaptic spikes learned from" if self.memory_spikes > 0 else "",
        )

    def on_pre(self) -> str:
        arrival = "t_arrival = t" if self._on_neuron else "pre = 1"
        return lines(arrival, f"w = clip(w - nu_pre * {self._post('post1')}{self._rate()}, 0, w_max)")

    def on_post(self) -> str:
        return lines(
            f"w = clip(w + nu_post * {self._pre_trace()} * {self._post('post2')}{self._rate()}, 0, w_max)",
            "" if self._on_neuron else "post1 = 1",
            "" if self._on_neuron else "post2 = 1",
            "spikes_learned += 1" if self.memory_spikes > 0 else "",
        )
