"""The spiking learners that ``snnlearn compare`` runs, declared in the learner registry.

Declarations only: each runs as a Brian2 plasticity rule (:mod:`snnlearn.rules`) inside its
experiment (``diehl_cook``, ``reward_choice``), which builds and drives it; here each states
what it needs, for the comparison table and the conformance test.
"""

from __future__ import annotations

from .registry import Properties, register

#: pre- and postsynaptic spike traces at the synapse: no derivative, no backward pass
_STDP = Properties(
    "spiking",
    differentiable_activation=False,
    hard_threshold=True,
    local=True,
    weight_transport=False,
    stores_activations=False,
    scalar_reward=False,
)
#: the same traces as an eligibility, turned into a weight change by a broadcast reward
_REWARD_STDP = Properties(
    "spiking",
    differentiable_activation=False,
    hard_threshold=True,
    local=True,
    weight_transport=False,
    stores_activations=False,
    scalar_reward=True,
)

register(
    "stdp_diehl_cook", _STDP, "unsupervised STDP with adaptive thresholds and lateral inhibition (Diehl & Cook 2015)"
)
register("rstdp", _REWARD_STDP, "reward-modulated STDP with an eligibility trace (Florian 2007 MSTDPET), no baseline")
register(
    "rstdp_baseline",
    _REWARD_STDP,
    "reward-modulated STDP with an eligibility trace and a per-stimulus reward baseline (Fremaux et al. 2010)",
)
