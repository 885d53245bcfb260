"""The Diehl & Cook network's learning principle without spikes: what it can reach, and why.

The network of Diehl & Cook (2015) is, in the limit of a hard winner-take-all and no spike noise,
a competitive learner with three features that online k-means (MacQueen 1967, the fair control in
:mod:`snnlearn.protocols.unsupervised`) does not have:

1. **Dot-product competition.** A neuron's drive is the inner product of its input trace with its
   weights, and the weights are normalised to a fixed sum (L1); the winner is the largest drive
   minus the adaptive threshold. The nearest prototype in Euclidean distance is the largest
   ``w . x - |w|^2 / 2``: a dot product alone favours prototypes concentrated on few inputs.
2. **A random start.** Every neuron starts from random weights and is recruited by the adaptive
   threshold (each win raises the winner's threshold by a step); online k-means starts its
   prototypes on the first images it sees.
3. **The presynaptic trace.** STDP learns the nearest-spike trace of the inputs, ``r tau / (1 +
   r tau)`` on average at rate r, which saturates at high rates and compresses the prototypes.

:func:`learn` is that learner, one image at a time: the winner ``j = argmax(x . w_j - theta_j)``
(or the nearest prototype, ``competition = "euclidean"``) moves to the running mean of the inputs
it has won, ``w_j += (x - w_j) / wins_j`` (with ``x`` scaled to the weight total under the dot
product, as the network's normalisation does), and ``theta_j`` rises by ``threshold_step`` times
the mean drive of an image onto uniform weights. :func:`ablation` switches the three features
off one at a time, each with the network's readout (:func:`~snnlearn.protocols.unsupervised.
vote_accuracy`'s assignment and vote), so a run says how much of the gap between the network and
online k-means each feature explains, and how much is left to spikes.

``threshold_step = 0.04`` was chosen on a validation split of the embedded digits (training images
0:1000 against 1000:1347, 100 neurons, 4 passes, seeds 0-2; the test set unused; mean of the three
seeds for the trace, the pixels and the image start): 0.015 lets a few neurons win most images
(0.69, 0.60, 0.91), 0.02 still on pixels (0.85, 0.67, 0.90), 0.03 gives 0.87, 0.91, 0.93, 0.04 0.85,
0.89, 0.93, 0.05 0.86, 0.88, 0.90, 0.1 0.82, 0.89, 0.89, 0.25 0.66, 0.77, 0.82; 0.04 is the best
step clear of the collapse. The spiking network scored 0.823 [0.80, 0.85] on that split.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..analysis import assign_labels, predict_by_assignment
from .unsupervised import N_CLASSES

COMPETITIONS = ("dot", "euclidean")


def learn(
    stream: np.ndarray,
    initial: np.ndarray,
    *,
    competition: str = "dot",
    threshold_step: float = 0.04,
    weight_total: float | None = None,
    started_wins: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Train the idealised competitive learner on ``stream`` (images x inputs), in order.

    Parameters
    ----------
    stream : ndarray
        The inputs as presented, one row per presentation (pixels, or their mean trace).
    initial : ndarray
        Starting prototypes, k x inputs (the network's initial weights, transposed, or images).
    competition : {"dot", "euclidean"}
        ``"dot"``: the winner has the largest ``x . w - theta`` and the prototypes keep the sum
        ``weight_total`` (the network's normalisation); ``"euclidean"``: the nearest prototype
        minus ``theta`` (online k-means when ``threshold_step`` is 0).
    threshold_step : float
        The winner's threshold rise per win, as a fraction of the mean drive of an image onto
        uniform weights of the same total (under ``"euclidean"``: of an image's mean squared
        norm); 0: no adaptive threshold.
    weight_total : float, optional
        The sum of every prototype under ``"dot"``; default: the mean sum of ``initial``'s rows.
    started_wins : float
        Wins already counted for every starting prototype (1 when it starts on an image, as
        online k-means does: the image is its first member).

    Returns
    -------
    prototypes : ndarray
        k x inputs.
    thresholds : ndarray
        k, in the units of the drive.
    """
    if competition not in COMPETITIONS:
        raise ValueError(f"competition: {competition!r}; allowed: {', '.join(COMPETITIONS)}")
    stream = np.asarray(stream, dtype=float)
    w = np.array(initial, dtype=float)
    k, n_inputs = w.shape
    dot = competition == "dot"
    total = float(weight_total if weight_total is not None else w.sum(axis=1).mean())
    if dot:
        w *= total / np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
    sums = stream.sum(axis=1)
    mean_drive = total * float(sums.mean()) / n_inputs if dot else float(np.mean(stream**2, axis=0).sum())
    step = threshold_step * mean_drive
    theta, wins = np.zeros(k), np.full(k, float(started_wins))
    for x, s in zip(stream, sums, strict=True):
        score = w @ x if dot else -((w - x) ** 2).sum(axis=1)
        j = int(np.argmax(score - theta))
        wins[j] += 1
        target = x * (total / s) if dot and s > 0 else x
        w[j] += (target - w[j]) / wins[j]
        theta[j] += step
    return w, theta


def responses(images: np.ndarray, prototypes: np.ndarray, thresholds: np.ndarray, competition: str) -> np.ndarray:
    """One-hot responses (images x prototypes): 1 for the winner as :func:`learn` picks it."""
    if competition == "dot":
        score = images @ prototypes.T
    else:
        score = -(
            (images**2).sum(axis=1, keepdims=True) - 2 * images @ prototypes.T + (prototypes**2).sum(axis=1)[None, :]
        )
    out = np.zeros((len(images), len(prototypes)))
    out[np.arange(len(images)), np.argmax(score - thresholds[None, :], axis=1)] = 1.0
    return out


def accuracy(
    stream: np.ndarray,
    initial: np.ndarray,
    assign: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    **options,
) -> float:
    """Test accuracy of :func:`learn` with the network's assignment and vote (thresholds kept, as
    the network keeps theta at test); ``assign`` and ``test`` are (inputs, labels) in the stream's
    coding."""
    competition = options.get("competition", "dot")
    prototypes, thresholds = learn(stream, initial, **options)
    assignments = assign_labels(responses(assign[0], prototypes, thresholds, competition), assign[1], N_CLASSES)
    predicted = predict_by_assignment(responses(test[0], prototypes, thresholds, competition), assignments, N_CLASSES)
    return float(np.mean(predicted == test[1]))


def ablation(
    pixels: np.ndarray,
    trace: Callable[[np.ndarray], np.ndarray],
    initial_weights: np.ndarray,
    stream: np.ndarray,
    assign: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    *,
    threshold_step: float = 0.04,
) -> dict[str, float]:
    """The network's principle without spikes, and with its features switched off one at a time.

    Parameters
    ----------
    pixels : ndarray
        The training images, n x inputs, in [0, 1].
    trace : callable
        Maps images (n x inputs, pixels) to the inputs' mean presynaptic trace at the run's rates.
    initial_weights : ndarray
        The network's initial input weights, inputs x neurons.
    stream : ndarray
        Indices into ``pixels``: the network's presentation order.
    assign, test : tuple of ndarray
        (images in pixels, labels) for the label assignment and the test.
    threshold_step : float
        See :func:`learn`.

    Returns
    -------
    dict
        ``control_competitive`` (the network's start, dot product, threshold and trace),
        ``control_competitive_pixels`` (the same on pixels: no trace saturation),
        ``control_competitive_image_start`` (on pixels, prototypes started on the first images).
        Online k-means, the last step (Euclidean, no threshold), is ``control_online_kmeans``.
    """
    pixels, order = np.asarray(pixels, dtype=float), np.asarray(stream)
    k, total = initial_weights.shape[1], float(initial_weights.sum(axis=0).mean())
    step = threshold_step
    traced = ((trace(assign[0]), assign[1]), (trace(test[0]), test[1]))
    return {
        "control_competitive": accuracy(
            trace(pixels[order]), initial_weights.T, *traced, threshold_step=step, weight_total=total
        ),
        "control_competitive_pixels": accuracy(
            pixels[order], initial_weights.T, assign, test, threshold_step=step, weight_total=total
        ),
        "control_competitive_image_start": accuracy(
            pixels[order[k:]],
            pixels[order[:k]],
            assign,
            test,
            threshold_step=step,
            weight_total=total,
            started_wins=1.0,
        ),
    }
