"""What a plasticity rule is: parameters with units that yield Brian2 synapse statements.

A rule is written once and works on any ``Synapses`` of any model file. It yields

- ``model()``: extra synapse equations (traces, eligibility); the weight ``w : 1`` is declared
  by the builder, so a rule never repeats it;
- ``on_pre()`` / ``on_post()``: statements run at a presynaptic / postsynaptic spike;
- ``namespace()``: its parameters under the names the statements use.

The synaptic *effect* on the target neuron (``g_e_post += w``) belongs to the synapse in the
model file and is composed in front of ``on_pre`` by the builder: the rule never hard-codes it.
A rule that needs more (a shared dopamine signal, regular weight updates) adds Brian2 objects in
``attach()``; everything must be Brian2 code (``run_regularly``, synapse statements), never a
Python ``network_operation``, so that it also runs on the standalone device.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ..params import Params


@dataclass(frozen=True)
class Rule(Params):
    """Base class: subclasses declare parameters (with units) and the four statement blocks."""

    name: ClassVar[str] = ""
    #: The paper(s) the rule follows, shown by ``snnlearn rules``.
    reference: ClassVar[str] = ""
    #: Variables besides ``w`` that change only while learning (frozen with ``plastic = 0``).
    learned_state: ClassVar[tuple[str, ...]] = ()

    def model(self) -> str:
        """Extra Brian2 synapse equations of the rule: its traces and eligibility variables.

        They are appended to ``w : 1`` (and, in a model file's network, ``plastic : 1
        (shared)``), so a rule never declares the weight. Traces are usually ``(event-driven)``,
        so they cost nothing between spikes. Parameters are referred to by the names of
        :meth:`~snnlearn.params.Params.namespace`.

        Returns
        -------
        str
            Brian2 equations, one per line; empty (the default) when the rule needs none.
        """
        return ""

    def on_pre(self) -> str:
        """Brian2 statements run at each presynaptic spike (the rule's part of ``on_pre``).

        The synapse's effect on its target (``g_e_post += w``) is put in front of them by whoever
        builds the synapses, so these statements only describe learning. A model file's network
        also makes their change of ``w`` and of :attr:`learned_state` conditional on the
        ``plastic`` switch (:func:`snnlearn.build.gated`).

        Returns
        -------
        str
            Brian2 statements, one per line; empty (the default) for none.
        """
        return ""

    def on_post(self) -> str:
        """Brian2 statements run at each postsynaptic spike (the synapse's ``on_post``).

        As for :meth:`on_pre`, a model file's network gates their change of ``w`` and of
        :attr:`learned_state` by ``plastic``.

        Returns
        -------
        str
            Brian2 statements, one per line; empty (the default) for none.
        """
        return ""

    def neuron_traces(self) -> tuple[NeuronTrace, ...]:
        """Traces that depend on the postsynaptic neuron's spikes alone and live on that neuron.

        A trace of one neuron's spikes is the same number in every synapse of that neuron, so
        a network built from a model file keeps it once per neuron (in the postsynaptic group,
        decayed every step, updated at the neuron's spikes after the synapses have read it)
        instead of once per synapse, where each synaptic event would evaluate an ``exp``. The
        rule's statements then read it as ``<name>_post``. Default: none.

        Returns
        -------
        tuple of NeuronTrace
            The traces the builder adds to the postsynaptic group.
        """
        return ()

    def initial_values(self) -> dict[str, Any]:
        """Values the rule's synapse variables start from where Brian2's 0 is wrong (e.g. the
        arrival time of a spike that has not come yet), set by whoever builds the synapses.
        Default: none.

        Returns
        -------
        dict
            Variable name -> value (with units).
        """
        return {}

    def attach(self, synapses: Any, built: Any) -> None:
        """Hook called once the synapses exist: add regular operations or controller groups
        (``built.add(...)``) that the rule needs. Default: nothing."""

    def w_bounds(self) -> tuple[float, float]:
        """(lowest, highest) weight the rule allows."""
        return (0.0, float(getattr(self, "w_max", float("inf"))))


@dataclass(frozen=True)
class NeuronTrace:
    """A trace kept on the postsynaptic neuron (see :meth:`Rule.neuron_traces`).

    Between spikes it decays as ``d name/dt = -name / tau``, exactly (a factor ``exp(-dt/tau)``
    per step, at the start of the step); at a spike of the neuron ``on_spike`` runs in the
    neuron's reset, i.e. after every synapse has read the value from before the spike.
    """

    name: str
    tau: Any
    on_spike: str


def lines(*statements: str) -> str:
    """Join non-empty statements into one Brian2 code block."""
    return "\n".join(s.strip() for s in statements if s and s.strip())


def trace_update(name: str, interaction: str) -> str:
    """Spike update of a trace: add 1 (all-to-all) or reset to 1 (nearest spike)."""
    return f"{name} += 1" if interaction == "all_to_all" else f"{name} = 1"


INTERACTIONS = ("all_to_all", "nearest")
