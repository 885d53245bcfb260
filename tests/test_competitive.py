"""The idealised competitive learner (snnlearn.protocols.competitive): the network's principle without spikes."""

from __future__ import annotations

import numpy as np
import pytest

from snnlearn.data import load_embedded_digits
from snnlearn.protocols import competitive
from snnlearn.protocols.unsupervised import online_kmeans


def clusters(rng: np.random.Generator, n_per: int) -> tuple[np.ndarray, np.ndarray]:
    """Three binary patterns on 30 inputs (disjoint thirds), each image with 10% of its pixels flipped."""
    patterns = np.kron(np.eye(3), np.ones(10))
    labels = np.repeat(np.arange(3), n_per)
    images = patterns[labels]
    flip = rng.random(images.shape) < 0.1
    return np.abs(images - flip), labels


def test_euclidean_without_threshold_started_on_images_is_online_kmeans():
    rng = np.random.default_rng(0)
    stream = rng.random((200, 16))
    prototypes, theta = competitive.learn(
        stream[5:], stream[:5], competition="euclidean", threshold_step=0.0, started_wins=1.0
    )
    np.testing.assert_allclose(prototypes, online_kmeans(stream, 5), rtol=0, atol=1e-12)
    assert np.all(theta == 0)


def test_dot_product_prototypes_keep_the_weight_total_and_average_what_they_won():
    rng = np.random.default_rng(1)
    stream = rng.random((50, 8))
    initial = rng.random((1, 8))
    prototypes, theta = competitive.learn(stream, initial, weight_total=2.0, threshold_step=0.1)
    scaled = stream * (2.0 / stream.sum(axis=1, keepdims=True))
    # one prototype wins everything: the running mean of its inputs, scaled to the total
    np.testing.assert_allclose(prototypes[0], scaled.mean(axis=0), atol=1e-12)
    assert prototypes.sum() == pytest.approx(2.0)
    mean_drive = 2.0 * stream.sum(axis=1).mean() / 8
    assert theta[0] == pytest.approx(50 * 0.1 * mean_drive)


def test_a_large_threshold_step_recruits_every_prototype_in_turn():
    rng = np.random.default_rng(2)
    stream = rng.random((12, 6))
    initial = rng.random((4, 6))
    prototypes, theta = competitive.learn(stream[:4], initial, threshold_step=1e6)
    assert np.all(theta > 0)  # each of the 4 won one of the first 4 images
    assert not np.allclose(prototypes, initial * (initial.sum(axis=1).mean() / initial.sum(axis=1, keepdims=True)))


def test_the_threshold_is_what_lets_a_random_start_learn_the_digits():
    """On the embedded digits a dot-product learner from random weights without a threshold lets
    a few prototypes win every image (the docstring's validation study: 0.12); with the step, 0.86-0.94."""
    data = load_embedded_digits()
    x, y = data.x_train.reshape(len(data.x_train), -1), data.y_train
    rng = np.random.default_rng(0)
    initial = ((rng.random((64, 100)) + 0.01) * 0.3).T  # as the network draws them (inputs x neurons)
    split = {"assign": (x[:1000], y[:1000]), "test": (x[1000:], y[1000:])}
    stream = np.concatenate([x[rng.permutation(1000)] for _ in range(4)])
    assert competitive.accuracy(stream, initial, threshold_step=0.04, **split) > 0.8
    assert competitive.accuracy(stream, initial, threshold_step=0.0, **split) < 0.4


def test_ablation_reports_the_three_steps_and_uses_the_trace():
    rng = np.random.default_rng(4)
    train, y_train = clusters(rng, 60)
    test, y_test = clusters(rng, 20)
    initial = (rng.random((30, 6)) + 0.01) * 0.3
    calls = []

    def trace(x):
        calls.append(len(x))
        return x * 0.9

    out = competitive.ablation(train, trace, initial, rng.permutation(len(train)), (train, y_train), (test, y_test))
    assert set(out) == {"control_competitive", "control_competitive_pixels", "control_competitive_image_start"}
    assert all(0.9 <= v <= 1.0 for v in out.values())  # separable clusters: every variant learns them
    assert sorted(calls) == sorted([len(train), len(train), len(test)])


def test_an_unknown_competition_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match="dot, euclidean"):
        competitive.learn(np.ones((2, 2)), np.ones((1, 2)), competition="cosine")
