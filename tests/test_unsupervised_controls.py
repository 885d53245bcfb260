"""The readout and the controls of unsupervised learning: silent neurons, k-means, similarity."""

from __future__ import annotations

import numpy as np
import pytest

from snnlearn.analysis import UNASSIGNED, assign_labels, predict_by_assignment
from snnlearn.protocols.unsupervised import (
    competition,
    kmeans_control,
    one_hot_nearest,
    online_kmeans,
    online_kmeans_control,
    receptive_field_similarity,
)


def test_silent_neurons_get_no_class_and_silent_examples_no_prediction():
    counts = np.array([[3, 0, 0], [0, 2, 0], [4, 1, 0]])
    assignments = assign_labels(counts, np.array([0, 1, 0]), 2)
    assert assignments.tolist() == [0, 1, UNASSIGNED]
    test = np.array([[0, 0, 5], [1, 0, 0], [0, 0, 0]])  # only the unassigned neuron; class 0; nothing
    assert predict_by_assignment(test, assignments, 2).tolist() == [UNASSIGNED, 0, UNASSIGNED]


def test_online_kmeans_is_the_running_mean_of_what_each_centroid_won():
    stream = np.array([[0.0, 0.0], [10.0, 10.0], [1.0, 0.0], [0.0, 2.0], [12.0, 10.0]])
    centroids = online_kmeans(stream, 2)
    np.testing.assert_allclose(centroids, [[1 / 3, 2 / 3], [11.0, 10.0]])


def test_one_hot_nearest_and_the_controls_on_separable_clusters():
    rng = np.random.default_rng(0)
    centres = np.eye(4) * 5
    y = rng.integers(0, 4, 400)
    x = centres[y] + rng.normal(0, 0.3, (400, 4))
    assert one_hot_nearest(x[:3], centres).sum(axis=1).tolist() == [1, 1, 1]
    assert kmeans_control(x[:300], y[:300], x[300:], y[300:], 4, seed=0) == pytest.approx(1.0)
    assert online_kmeans_control(x[:300], x[:300], y[:300], x[300:], y[300:], 8) > 0.95


def test_receptive_field_similarity_is_one_for_copies_and_lower_for_noise():
    images = np.random.default_rng(1).random((20, 16))
    assert receptive_field_similarity(images[:5].T * 3.0, images) == pytest.approx(1.0)
    noise = np.random.default_rng(2).normal(size=(16, 5))
    assert receptive_field_similarity(noise, images) < 0.8


def test_nearest_centroid_is_exact_and_never_holds_images_x_centroids_x_pixels():
    import tracemalloc

    rng = np.random.default_rng(0)
    small, centres = rng.random((50, 20)), rng.random((7, 20))
    brute = ((small[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    np.testing.assert_array_equal(one_hot_nearest(small, centres).argmax(axis=1), brute)
    images, centroids = rng.random((2000, 784)), rng.random((400, 784))  # broadcasting: 5 GB
    tracemalloc.start()
    try:
        responses = one_hot_nearest(images, centroids)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert responses.sum() == 2000
    assert peak < 200e6, peak


def test_competition_counts_the_neurons_that_answer_and_the_winner_s_share():
    counts = np.array([[0, 6, 0, 0], [1, 1, 1, 1], [0, 0, 0, 0], [2, 0, 1, 0]])
    stats = competition(counts)  # the silent example is left out
    assert stats["active_neurons_per_example"] == pytest.approx((1 + 4 + 2) / 3)
    assert stats["winner_spike_share"] == pytest.approx((1 + 0.25 + 2 / 3) / 3)
    assert competition(np.zeros((2, 3))) == {"active_neurons_per_example": 0.0, "winner_spike_share": 0.0}
