"""Readouts and controls of unsupervised learning on images: what a network's accuracy is worth.

Diehl & Cook (2015) score a network by assigning each neuron the class it responds to most on
training images and voting on test images (:func:`~snnlearn.analysis.assign_labels`,
:func:`~snnlearn.analysis.predict_by_assignment`). That number means little on its own; a
reviewer asks what simple learners with the same number of prototypes and the same vote reach:

- :func:`kmeans_control`: k-means with k = the number of neurons on the same training images,
  each image's response 1 for its nearest centroid and 0 elsewhere, the same assignment and vote;
- :func:`online_kmeans_control`: the same with MacQueen's (1967) online k-means, fed one image at
  a time over the network's own presentation order, in one pass per epoch (the fair control: the
  network also learns online); each centroid moves towards an image by 1 / (images it has won),
  the update scikit-learn's ``MiniBatchKMeans`` makes with batches of one;
- :func:`logreg_pixels_control`: logistic regression on the raw pixels (a linear readout's ceiling);
- :func:`fraction_with_prototype`: the fraction of known patterns to which some neuron's weights
  point (the criterion of prototype learning when the patterns are known);
- :func:`receptive_field_similarity`: the median over neurons of the highest cosine similarity
  between a neuron's input weights and any training image (random weights score about 0.66 on
  the embedded digits, k-means centroids 0.98).
"""

from __future__ import annotations

import numpy as np

from ..analysis import assign_labels, predict_by_assignment

N_CLASSES = 10


def one_hot_nearest(images: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Responses of a hard winner-take-all over centroids: 1 for the nearest, 0 elsewhere.

    The nearest centroid comes from scikit-learn's chunked pairwise argmin: the difference of
    every image with every centroid at once would hold images x centroids x pixels numbers
    (20 GB for 8,000 MNIST images and 400 centroids).
    """
    from sklearn.metrics import pairwise_distances_argmin

    out = np.zeros((len(images), len(centroids)))
    out[np.arange(len(images)), pairwise_distances_argmin(images, centroids)] = 1.0
    return out


def vote_accuracy(
    centroids: np.ndarray, x_assign: np.ndarray, y_assign: np.ndarray, x_test: np.ndarray, y_test: np.ndarray
) -> float:
    """Test accuracy of the Diehl & Cook assignment and vote on one-hot nearest-centroid responses."""
    assignments = assign_labels(one_hot_nearest(x_assign, centroids), y_assign, N_CLASSES)
    predicted = predict_by_assignment(one_hot_nearest(x_test, centroids), assignments, N_CLASSES)
    return float(np.mean(predicted == y_test))


def kmeans_control(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, k: int, seed: int
) -> float:
    """Batch k-means (scikit-learn, k-means++ initialisation) with the network's readout."""
    from sklearn.cluster import KMeans

    centroids = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(x_train).cluster_centers_
    return vote_accuracy(centroids, x_train, y_train, x_test, y_test)


def online_kmeans(stream: np.ndarray, k: int) -> np.ndarray:
    """MacQueen's online k-means over the rows of ``stream`` in order (the first k start the centroids)."""
    centroids = np.array(stream[:k], dtype=float)
    counts = np.ones(k)
    for image in stream[k:]:
        c = int(((centroids - image) ** 2).sum(axis=1).argmin())
        counts[c] += 1
        centroids[c] += (image - centroids[c]) / counts[c]
    return centroids


def online_kmeans_control(
    stream: np.ndarray, x_assign: np.ndarray, y_assign: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, k: int
) -> float:
    """Online k-means over the network's presentation order, with the network's readout."""
    return vote_accuracy(online_kmeans(stream, k), x_assign, y_assign, x_test, y_test)


def logreg_pixels_control(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> float:
    """Logistic regression on the raw pixels."""
    from sklearn.linear_model import LogisticRegression

    return float(LogisticRegression(max_iter=2000).fit(x_train, y_train).score(x_test, y_test))


def receptive_field_similarity(weights: np.ndarray, images: np.ndarray) -> float:
    """Median over neurons of the best cosine between a neuron's input weights (``weights``:
    inputs x neurons) and any of ``images`` (rows)."""
    w = weights / np.maximum(np.linalg.norm(weights, axis=0, keepdims=True), 1e-12)
    x = images / np.maximum(np.linalg.norm(images, axis=1, keepdims=True), 1e-12)
    return float(np.median((x @ w).max(axis=0)))


def competition(counts: np.ndarray) -> dict[str, float]:
    """How close the responses (examples x neurons spike counts) come to winner-take-all.

    Online k-means, the control, gives each image to one prototype; a network whose lateral
    inhibition let one neuron answer each image would score ``active_neurons_per_example`` 1 and
    ``winner_spike_share`` 1. Silent examples are left out of both means.

    Returns
    -------
    dict
        ``active_neurons_per_example``: mean number of neurons that fire at least once;
        ``winner_spike_share``: mean fraction of an example's spikes fired by its most active neuron.
    """
    counts = np.asarray(counts)
    total = counts.sum(axis=1)
    heard = total > 0
    if not heard.any():
        return {"active_neurons_per_example": 0.0, "winner_spike_share": 0.0}
    return {
        "active_neurons_per_example": float(np.mean((counts[heard] > 0).sum(axis=1))),
        "winner_spike_share": float(np.mean(counts[heard].max(axis=1) / total[heard])),
    }


def logreg_counts(
    train_counts: np.ndarray, train_labels: np.ndarray, test_counts: np.ndarray, test_labels: np.ndarray
) -> float:
    """Accuracy of a logistic regression on spike counts (fitted on training responses only)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(train_counts)
    model = LogisticRegression(max_iter=2000).fit(scaler.transform(train_counts), train_labels)
    return float(model.score(scaler.transform(test_counts), test_labels))


def fraction_with_prototype(w: np.ndarray, patterns: np.ndarray, cosine: float) -> float:
    """Fraction of ``patterns`` (patterns x inputs) to which some neuron's incoming weights
    (``w``: inputs x neurons) point, at cosine similarity >= ``cosine``; a neuron with zero
    weights points nowhere."""
    norms = np.linalg.norm(patterns, axis=1)[:, None] * np.linalg.norm(w, axis=0)[None, :]
    similarity = np.divide(patterns @ w, norms, out=np.zeros(norms.shape), where=norms > 0)
    return float(np.mean(similarity.max(axis=1) >= cosine))
