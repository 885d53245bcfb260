"""Measurements on recorded spikes and weights: rates, weight statistics, label readouts."""

from __future__ import annotations

import numpy as np


def bimodality(w: np.ndarray, w_max: float, edge: float = 0.1) -> float:
    """Fraction of weights within ``edge * w_max`` of either bound (Song et al. 2000's measure)."""
    w = np.asarray(w, dtype=float) / w_max
    return float(np.mean((w < edge) | (w > 1 - edge)))


def lower_peak_width(w: np.ndarray, w_max: float, cutoff: float = 0.3) -> float:
    """Decay length (fraction of ``w_max``) of the weights piled up at the lower bound.

    Fits ``p(w) ~ exp(-w / length)`` to the weights below ``cutoff * w_max`` by maximum
    likelihood (an exponential truncated at the cutoff): the shape a Fokker-Planck analysis of
    additive STDP predicts next to a reflecting bound (van Rossum, Bi & Turrigiano 2000,
    J Neurosci 20:8812). See :func:`additive_stdp_peak_width` for the predicted length.
    """
    from scipy.optimize import minimize_scalar

    x = np.asarray(w, dtype=float)[np.asarray(w, dtype=float) < cutoff * w_max] / w_max
    if len(x) < 10:
        return float("nan")

    def neg_log_likelihood(rate: float) -> float:
        return -(len(x) * np.log(rate) - rate * x.sum() - len(x) * np.log1p(-np.exp(-rate * cutoff)))

    best = minimize_scalar(neg_log_likelihood, bounds=(1e-3, 1e4), method="bounded")
    return float(1.0 / best.x)


def additive_stdp_peak_width(a_plus: float, a_minus: float, tau_plus: float, tau_minus: float) -> float:
    """Predicted decay length (fraction of w_max) of the lower peak under additive pair STDP.

    With uncorrelated Poisson pre- and postsynaptic spikes at rates r_pre, r_post (all-to-all
    pairing), a weak synapse drifts down at v = r_pre r_post (a_minus tau_minus - a_plus tau_plus)
    and diffuses with D = r_pre r_post (a_plus^2 tau_plus + a_minus^2 tau_minus) / 4; next to the
    reflecting bound at 0 the stationary density falls as exp(-w v / D), so the length D / v
    depends on the rule's amplitudes only, not on the rates. (The causal pre-before-post term
    that makes strong synapses grow is neglected: it lengthens the tail slightly.)
    """
    net_depression = a_minus * tau_minus - a_plus * tau_plus
    if net_depression <= 0:
        return float("inf")
    return (a_plus**2 * tau_plus + a_minus**2 * tau_minus) / (4.0 * net_depression)


def mean_confidence_interval(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and the Student-t confidence interval of the mean over ``values`` (seeds).

    One value has no interval: its bounds are NaN.
    """
    from scipy import stats

    v = np.asarray(values, dtype=float)
    mean = float(v.mean())
    if len(v) < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + confidence / 2, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
    return mean, mean - half, mean + half


def mean_rate(n_spikes: int, n_neurons: int, duration_s: float) -> float:
    """Mean firing rate in Hz."""
    return float(n_spikes) / (n_neurons * duration_s)


def rate_over_time(times_s: np.ndarray, n_neurons: int, t_stop_s: float, bin_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Population rate (Hz per neuron) in bins: returns (bin centres, rates)."""
    edges = np.arange(0.0, t_stop_s + bin_s * 0.5, bin_s)
    counts, _ = np.histogram(np.asarray(times_s, dtype=float), bins=edges)
    return 0.5 * (edges[1:] + edges[:-1]), counts / (n_neurons * bin_s)


def spike_counts(
    indices: np.ndarray, times_s: np.ndarray, n_neurons: int, n_windows: int, window_s: float
) -> np.ndarray:
    """Spike counts per (window, neuron) for consecutive windows of ``window_s`` seconds."""
    window = np.minimum((np.asarray(times_s) // window_s).astype(int), n_windows - 1)
    counts = np.zeros((n_windows, n_neurons), dtype=np.int64)
    np.add.at(counts, (window, np.asarray(indices, dtype=int)), 1)
    return counts


UNASSIGNED = -1


def assign_labels(counts: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Each neuron's class: the one for which its mean response is highest (Diehl & Cook 2015).

    A neuron that never fired on these examples gets no class (:data:`UNASSIGNED`) and does not vote.
    """
    means = np.zeros((n_classes, counts.shape[1]))
    for c in range(n_classes):
        if np.any(labels == c):
            means[c] = counts[labels == c].mean(axis=0)
    assigned = np.argmax(means, axis=0)
    assigned[np.asarray(counts).sum(axis=0) == 0] = UNASSIGNED
    return assigned


def predict_by_assignment(counts: np.ndarray, assignments: np.ndarray, n_classes: int) -> np.ndarray:
    """Predict the class whose assigned neurons respond most on average.

    An example to which no assigned neuron responded gets no prediction (:data:`UNASSIGNED`,
    counted as wrong), rather than class 0.
    """
    scores = np.full((counts.shape[0], n_classes), -1.0)
    for c in range(n_classes):
        members = assignments == c
        if members.any():
            scores[:, c] = counts[:, members].mean(axis=1)
    predicted = np.argmax(scores, axis=1)
    predicted[scores.max(axis=1) <= 0] = UNASSIGNED
    return predicted
