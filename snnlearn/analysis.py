"""Measurements on recorded spikes and weights: rates, weight statistics, label readouts."""

from __future__ import annotations

import numpy as np


def bimodality(w: np.ndarray, w_max: float, edge: float = 0.1) -> float:
    """Fraction of weights within ``edge * w_max`` of either bound (Song et al. 2000's measure)."""
    w = np.asarray(w, dtype=float) / w_max
    return float(np.mean((w < edge) | (w > 1 - edge)))


def mean_rate(n_spikes: int, n_neurons: int, duration_s: float) -> float:
    """Mean firing rate in Hz."""
    return float(n_spikes) / (n_neurons * duration_s)


def rate_over_time(times_s: np.ndarray, n_neurons: int, t_stop_s: float, bin_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Population rate (Hz per neuron) in bins: returns (bin centres, rates)."""
    edges = np.arange(0.0, t_stop_s + bin_s * 0.5, bin_s)
    counts, _ = np.histogram(np.asarray(times_s, dtype=float), bins=edges)
    return 0.5 * (edges[1:] + edges[:-1]), counts / (n_neurons * bin_s)


def spike_counts(indices: np.ndarray, times_s: np.ndarray, n_neurons: int, n_windows: int,
                 window_s: float) -> np.ndarray:
    """Spike counts per (window, neuron) for consecutive windows of ``window_s`` seconds."""
    window = np.minimum((np.asarray(times_s) // window_s).astype(int), n_windows - 1)
    counts = np.zeros((n_windows, n_neurons), dtype=np.int64)
    np.add.at(counts, (window, np.asarray(indices, dtype=int)), 1)
    return counts


def assign_labels(counts: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Each neuron's class: the one for which its mean response is highest (Diehl & Cook 2015)."""
    means = np.zeros((n_classes, counts.shape[1]))
    for c in range(n_classes):
        if np.any(labels == c):
            means[c] = counts[labels == c].mean(axis=0)
    return np.argmax(means, axis=0)


def predict_by_assignment(counts: np.ndarray, assignments: np.ndarray, n_classes: int) -> np.ndarray:
    """Predict the class whose assigned neurons respond most on average."""
    scores = np.full((counts.shape[0], n_classes), -1.0)
    for c in range(n_classes):
        members = assignments == c
        if members.any():
            scores[:, c] = counts[:, members].mean(axis=1)
    return np.argmax(scores, axis=1)
