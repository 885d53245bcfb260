"""Homeostasis: the adaptive threshold and the normalisation of each neuron's incoming weights.

Hebbian rules are unstable on their own (a neuron that fires strengthens its inputs and fires
more) and give every neuron the same preferred input. Two homeostatic mechanisms keep rates in
a working range and force neurons to compete (Diehl & Cook 2015); both are Brian2 code inside
the simulation, so they work in runtime and standalone mode alike.

**Adaptive threshold** (neuron model ``adaptive_lif``, :class:`snnlearn.neurons.AdaptiveLIF`):
the firing threshold is ``v_threshold + theta - theta_offset`` with

    dtheta/dt = -theta / tau_theta,   theta += theta_plus at each spike

(both gated by the shared variable ``adapting``: 1 while learning, 0 to freeze theta at test
time). In a steady state ``theta = theta_plus * rate * tau_theta``: a neuron that fires more
has a higher threshold, so the rates of neurons with different drives move together; the
stronger ``theta_plus * tau_theta`` (mV per Hz), the narrower the band of rates.

==============  =========  ===========================================================
parameter       default    meaning (``groups.NAME.params``)
==============  =========  ===========================================================
theta_plus      0.05 mV    threshold increment per spike
tau_theta       1e7 ms     threshold decay time constant
theta_offset    20 mV      offset subtracted from the threshold
==============  =========  ===========================================================

**Synaptic normalisation** (``normalize = { total = 78.0, period = "500 ms" }`` in a
``[synapses.NAME]`` table, :class:`snnlearn.spec.Normalization`, built by
:mod:`snnlearn.build`): every ``period``, starting at t = 0, each postsynaptic neuron's
incoming weights are rescaled so that they sum to ``total``:

    w_ij <- w_ij * total / sum_i w_ij

(left alone if the sum is 0). The sum is collected by regular operations once per period,
not a ``(summed)`` variable that would cost every time step. Between two normalisations the
plasticity rule moves the sums; right after one they are exact. The relative weights of one
neuron are unchanged, so the competition between its inputs set by the rule is kept while the
total drive stays fixed: a multiplicative, instantaneous form of synaptic scaling (Turrigiano
et al. 1998; van Rossum, Bi & Turrigiano 2000 scale weights slowly towards a target rate).

==============  =========  ===========================================================
parameter       default    meaning (``synapses.NAME.normalize``)
==============  =========  ===========================================================
total           78.0       sum of each neuron's incoming weights
period          500 ms     time between normalisations
==============  =========  ===========================================================

:func:`incoming_sums` and :func:`normalize` are the same operations on NumPy arrays, for
analysis and for checking the simulation.

References: Diehl & Cook (2015) Front Comput Neurosci 9:99; Turrigiano, Leslie, Desai,
Rutherford & Nelson (1998) Nature 391:892; van Rossum, Bi & Turrigiano (2000) J Neurosci
20:8812.
"""

from __future__ import annotations

import numpy as np


def incoming_sums(w: np.ndarray, post_index: np.ndarray, n_post: int) -> np.ndarray:
    """Sum of the weights onto each postsynaptic neuron (``post_index``: a synapse's ``j``)."""
    return np.bincount(np.asarray(post_index, dtype=int), weights=np.asarray(w, dtype=float), minlength=n_post)


def normalize(w: np.ndarray, post_index: np.ndarray, n_post: int, total: float) -> np.ndarray:
    """Rescale the weights onto each neuron to sum to ``total`` (sums of 0 are left alone)."""
    sums = incoming_sums(w, post_index, n_post)[np.asarray(post_index, dtype=int)]
    return np.where(sums > 0, np.asarray(w, dtype=float) * total / np.where(sums > 0, sums, 1.0), w)
