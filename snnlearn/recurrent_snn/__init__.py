"""Recurrent spiking networks trained through time: the NumPy simulation and its learners.

A gradient-trained spiking network needs a backward pass that Brian2 cannot give, so it runs in
NumPy (the project's one exception to "Brian2 simulates"); its forward dynamics and the e-prop
rule are checked against Brian2 (:mod:`.brian_eprop`).

- :mod:`.network` — LIF/ALIF recurrent network with a hard threshold and a leaky readout,
  forward simulation, and the surrogate-gradient backward pass;
- :mod:`.cue_task` — the cue-accumulation task (Bellec et al. 2020, Nat Commun 11:3625);
- :mod:`.bptt` — surrogate-gradient BPTT and truncated BPTT;
- :mod:`.eprop` — e-prop with symmetric or random feedback, online trace form and fast form;
- :mod:`.reward` — node perturbation from a scalar reward per trial;
- :mod:`.memory` — what each learner must store against the trial's length.

Importing the package registers its learners (kind ``spiking``, with a factory:
:func:`snnlearn.ratenet.make_learner` builds them).
"""

from .bptt import SpikingLearner, SurrogateBPTT, TruncatedBPTT, surrogate_gradient
from .cue_task import CueTask
from .eprop import Eprop, OnlineEprop, RandomEprop, eprop_gradients
from .network import (
    SpikingArchitecture,
    State,
    Trace,
    accuracy,
    backward,
    decision_output,
    init_params,
    loss_of,
    readout_loss,
    simulate,
)
from .reward import NodePerturbation

#: the registered learners of this network, in table order
LEARNERS = ("surrogate_bptt", "truncated_bptt", "eprop", "eprop_random", "reward_node_perturbation")

__all__ = [
    "LEARNERS",
    "CueTask",
    "Eprop",
    "NodePerturbation",
    "OnlineEprop",
    "RandomEprop",
    "SpikingArchitecture",
    "SpikingLearner",
    "State",
    "SurrogateBPTT",
    "Trace",
    "TruncatedBPTT",
    "accuracy",
    "backward",
    "decision_output",
    "eprop_gradients",
    "init_params",
    "loss_of",
    "readout_loss",
    "simulate",
    "surrogate_gradient",
]
