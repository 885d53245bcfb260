"""Learners without weight transport: each update against a hand computation, and FA's alignment."""

from __future__ import annotations

import numpy as np
import pytest

from snnlearn.errors import ConfigError
from snnlearn.ratenet import Architecture, forward, init_params
from snnlearn.ratenet.learner import rate_learners
from snnlearn.ratenet.learners import (
    DirectFeedbackAlignment,
    FeedbackAlignment,
    OutputOnly,
    SignSymmetry,
    angle_deg,
    make_learner,
    update_angles,
)

# A 3-2-2 network (sigmoid hidden layer, linear output) and a batch of two examples.
W1 = np.array([[0.5, -0.3, 0.8], [-0.2, 0.4, 0.1]])
B1 = np.array([0.1, -0.2])
W2 = np.array([[0.7, -0.5], [0.3, 0.9]])
B2 = np.array([0.05, -0.1])
X = np.array([[1.0, 0.0, 0.5], [0.2, 0.7, 0.0]])
DOUT = np.array([[0.3, -0.3], [-0.1, 0.4]])  # dL/d output, given
FEEDBACK = np.array([[0.2, -0.6], [-0.4, 0.1]])  # a fixed "random" matrix, shape of W2


def tiny():
    arch = Architecture((3, 2, 2), activation="sigmoid", output_activation="linear")
    params = {"W1_0": W1.copy(), "b1": B1.copy(), "W2_1": W2.copy(), "b2": B2.copy()}
    return arch, params, forward(arch, params, X)


def by_hand(matrix: np.ndarray) -> dict[str, np.ndarray]:
    """Updates when the output error travels back to the hidden layer through ``matrix``."""
    z1 = X @ W1.T + B1
    h1 = 1 / (1 + np.exp(-z1))
    delta1 = (DOUT @ matrix) * h1 * (1 - h1)
    return {"W1_0": delta1.T @ X, "b1": delta1.sum(0), "W2_1": DOUT.T @ h1, "b2": DOUT.sum(0)}


def assert_updates(learner, expected) -> None:
    arch, params, cache = tiny()
    got = learner.gradients(arch, params, cache, DOUT)
    assert set(got) == set(expected)
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-12, atol=1e-15, err_msg=name)


def test_backprop_sends_errors_through_w():
    assert_updates(make_learner("backprop"), by_hand(W2))


def test_feedback_alignment_sends_errors_through_b():
    assert_updates(FeedbackAlignment(matrices={"W2_1": FEEDBACK}), by_hand(FEEDBACK))


def test_feedback_alignment_never_reads_the_forward_weights_on_the_way_back():
    """Change W2 but keep the forward pass: FA's hidden update stays, backprop's moves."""
    arch, params, cache = tiny()
    fa, bp = FeedbackAlignment(matrices={"W2_1": FEEDBACK}), make_learner("backprop")
    before = fa.gradients(arch, params, cache, DOUT)["W1_0"], bp.gradients(arch, params, cache, DOUT)["W1_0"]
    params["W2_1"] = -3.0 * W2
    after = fa.gradients(arch, params, cache, DOUT)["W1_0"], bp.gradients(arch, params, cache, DOUT)["W1_0"]
    np.testing.assert_array_equal(before[0], after[0])
    assert not np.allclose(before[1], after[1])


def test_sign_symmetry_uses_signs_scaled_by_mean_magnitude():
    mean_abs = (0.7 + 0.5 + 0.3 + 0.9) / 4
    signs = np.array([[1.0, -1.0], [1.0, 1.0]])
    assert_updates(SignSymmetry(), by_hand(signs * mean_abs))
    assert_updates(SignSymmetry(scaled=False), by_hand(signs))


def test_output_only_leaves_the_hidden_layer_alone():
    expected = by_hand(np.zeros((2, 2)))
    assert not expected["W1_0"].any() and not expected["b1"].any()
    assert_updates(OutputOnly(), expected)


def test_direct_feedback_alignment_with_one_hidden_layer_is_feedback_alignment():
    assert_updates(DirectFeedbackAlignment(matrices={"h1": FEEDBACK}), by_hand(FEEDBACK))


def test_direct_feedback_alignment_sends_the_output_error_to_every_hidden_layer():
    """3-2-2-2 network: both hidden layers get delta_out @ B_l, none goes through W3 or W2."""
    arch = Architecture((3, 2, 2, 2), activation="tanh")
    params = init_params(arch, np.random.default_rng(0))
    cache = forward(arch, params, X)
    b1, b2 = FEEDBACK, np.array([[1.0, 0.5], [-0.5, 2.0]])
    got = DirectFeedbackAlignment(matrices={"h1": b1, "h2": b2}).gradients(arch, params, cache, DOUT)
    h1, h2 = np.tanh(X @ params["W1_0"].T + params["b1"]), cache.h[2]
    delta2 = (DOUT @ b2) * (1 - h2**2)
    delta1 = (DOUT @ b1) * (1 - h1**2)
    np.testing.assert_allclose(got["W3_2"], DOUT.T @ h2, rtol=1e-12)
    np.testing.assert_allclose(got["W2_1"], delta2.T @ h1, rtol=1e-12)
    np.testing.assert_allclose(got["W1_0"], delta1.T @ X, rtol=1e-12)
    np.testing.assert_allclose(got["b1"], delta1.sum(0), rtol=1e-12)


def test_random_feedback_is_fixed_seeded_and_scaled():
    shape = (10, 400)
    a = FeedbackAlignment(rng=np.random.default_rng(5)).feedback("W2_1", np.zeros(shape))
    b = FeedbackAlignment(rng=np.random.default_rng(5)).feedback("W2_1", np.ones(shape))
    np.testing.assert_array_equal(a, b)  # the same seed gives the same B, whatever W is
    fa = FeedbackAlignment(rng=np.random.default_rng(6), scale=2.0)
    first = fa.feedback("W2_1", np.zeros(shape))
    assert fa.feedback("W2_1", np.ones(shape)) is first  # drawn once, then fixed
    assert abs(first.std() - 2.0 * np.sqrt(2 / 410)) < 0.05 * first.std()
    with pytest.raises(ValueError, match="shape"):
        FeedbackAlignment(matrices={"W2_1": FEEDBACK}).feedback("W2_1", np.zeros((3, 3)))
    with pytest.raises(ConfigError):
        FeedbackAlignment(scale=0.0)


def test_every_learner_is_one_option():
    assert set(rate_learners()) >= {
        "backprop",
        "feedback_alignment",
        "sign_symmetry",
        "direct_feedback_alignment",
        "output_only",
    }
    for name in rate_learners():
        assert make_learner(name, rng=np.random.default_rng(0)).name == name


def test_angle_deg():
    assert angle_deg(np.array([1.0, 0.0]), np.array([0.0, 3.0])) == pytest.approx(90)
    assert angle_deg(np.array([[1.0, 2.0]]), np.array([2.0, 4.0])) == pytest.approx(0, abs=1e-6)
    assert angle_deg(np.array([1.0, 1.0]), np.array([-1.0, 0.0])) == pytest.approx(135)
    assert np.isnan(angle_deg(np.zeros(2), np.ones(2)))


def test_feedback_alignment_angle_falls_below_90_on_a_linear_task():
    """Lillicrap et al. (2016) Fig. 2: a linear network learning a linear map by FA; the hidden
    update starts orthogonal to the gradient (B is unrelated to W) and comes to align with it."""
    rng = np.random.default_rng(0)
    arch = Architecture((30, 20, 10), activation="linear")  # a bottleneck: both layers must learn
    params = {name: 0.1 * w for name, w in init_params(arch, rng).items()}
    teacher = rng.normal(0, 1 / np.sqrt(30), (30, 10))
    x = rng.normal(size=(200, 30))
    target = x @ teacher
    learner = FeedbackAlignment(rng=np.random.default_rng(1))
    angles, losses = [], []
    for _ in range(300):
        cache = forward(arch, params, x)
        dout = (cache.output - target) / len(x)  # squared error
        losses.append(0.5 * np.sum((cache.output - target) ** 2) / len(x))
        angles.extend(update_angles(arch, params, learner, cache, dout))
        for name, g in learner.gradients(arch, params, cache, dout).items():
            params[name] -= 0.05 * g
    assert 75 < angles[0] < 105
    assert max(angles[-50:]) < 45
    assert losses[-1] < 0.01 * losses[0]
    bp = make_learner("backprop")
    cache = forward(arch, params, x)
    assert update_angles(arch, params, bp, cache, cache.output - target)[0] == pytest.approx(0, abs=1e-5)
