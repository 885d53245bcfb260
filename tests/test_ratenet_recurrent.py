"""Backprop through time against finite differences, and learning row-by-row digits."""

from __future__ import annotations

import numpy as np
import pytest

from snnlearn.data import Dataset
from snnlearn.ratenet import REGRESSION_LOSS, OnlineLearner, load_data, make_learner, make_loss, make_optimizer, train
from snnlearn.ratenet.diagnostics import finite_difference_gradients
from snnlearn.ratenet.recurrent import (
    RecurrentArchitecture,
    init_recurrent_params,
    last_step_gradient,
    recurrent_backward,
    recurrent_forward,
)


@pytest.mark.parametrize(
    ("activation", "output", "loss_name", "last_only"),
    [
        ("tanh", "linear", "softmax_cross_entropy", True),
        ("sigmoid", "sigmoid", "squared_error", False),
    ],
)
def test_bptt_matches_finite_differences(activation, output, loss_name, last_only):
    arch = RecurrentArchitecture(3, 4, 2, activation, output)
    rng = np.random.default_rng(0)
    params = init_recurrent_params(arch, rng, gain=1.2)
    params["b"] = rng.normal(size=4)
    xs = rng.normal(size=(6, 3, 3))
    labels = rng.integers(0, 2, size=3)
    loss = make_loss(loss_name)

    def value_and_grad(p):
        cache = recurrent_forward(arch, p, xs)
        if last_only:
            value, d_last = loss.evaluate(cache.outputs[-1], labels)
            return value, cache, last_step_gradient(d_last, len(xs))
        pairs = [loss.evaluate(y, labels) for y in cache.outputs]
        return sum(v for v, _ in pairs), cache, np.stack([d for _, d in pairs])

    _, cache, dout = value_and_grad(params)
    analytic = recurrent_backward(arch, params, cache, dout)
    numeric = finite_difference_gradients(lambda p: value_and_grad(p)[0], params)
    for name in params:
        np.testing.assert_allclose(analytic[name], numeric[name], rtol=1e-5, atol=1e-8, err_msg=name)


def test_bptt_learns_digits_read_row_by_row():
    data = load_data("digits")
    rows = lambda x: x.reshape(len(x), 8, 8).transpose(1, 0, 2)  # noqa: E731 - (T=8, batch, 8)
    arch = RecurrentArchitecture(8, 32, 10)
    rng = np.random.default_rng(0)
    params = init_recurrent_params(arch, rng)
    loss, adam = make_loss("softmax_cross_entropy"), make_optimizer("adam", 0.01)
    for _ in range(4):
        for batch in np.array_split(rng.permutation(len(data.y_train)), 40):
            cache = recurrent_forward(arch, params, rows(data.x_train[batch]))
            _, d_last = loss.evaluate(cache.outputs[-1], data.y_train[batch])
            grads = recurrent_backward(arch, params, cache, last_step_gradient(d_last, 8))
            adam.step(params, grads)
    predicted = recurrent_forward(arch, params, rows(data.x_test)).outputs[-1].argmax(axis=1)
    assert np.mean(predicted == data.y_test) > 0.8


def test_bptt_learner_trains_sequences_through_the_one_loop():
    """The registered ``bptt`` learner in ``train`` (sequences batched along axis 1) learns
    row-by-row digits as the hand-written loop above does."""
    data = load_data("digits")
    rows = lambda x: x.reshape(len(x), 8, 8).transpose(1, 0, 2)  # noqa: E731 - (T=8, batch, 8)
    sequences = Dataset(
        data.name, rows(data.x_train), data.y_train, rows(data.x_test), data.y_test, data.shape, data.split
    )
    arch = RecurrentArchitecture(8, 32, 10)
    rng = np.random.default_rng(0)
    params = init_recurrent_params(arch, rng)
    history = train(
        arch,
        params,
        make_learner("bptt"),
        make_optimizer("adam", 0.01),
        make_loss("softmax_cross_entropy"),
        sequences,
        epochs=4,
        batch_size=34,
        rng=rng,
        batch_axis=1,
    )
    assert history.test_accuracy[-1] > 0.8 and history.epoch == [0, 1, 2, 3, 4]


class ReadoutDeltaRule(OnlineLearner):
    """A toy online learner: the readout's delta rule on a per-step target, summed over steps."""

    name = "readout_delta_rule"
    network_type = RecurrentArchitecture

    def begin(self, arch, params, batch):
        self.h = np.zeros((batch, arch.n_hidden))
        self.grads = {"W_out": np.zeros_like(params["W_out"]), "b_out": np.zeros_like(params["b_out"])}

    def step(self, arch, params, x_t, y_t, loss, rng):
        self.h = arch.hidden_activation.f(params["b"] + x_t @ params["W_in"].T + self.h @ params["W_rec"].T)
        _, dout = loss.evaluate(params["b_out"] + self.h @ params["W_out"].T, y_t)
        self.grads["W_out"] += dout.T @ self.h
        self.grads["b_out"] += dout.sum(axis=0)

    def end(self):
        return self.grads


def test_an_online_learner_sees_one_step_at_a_time_and_sums_its_updates():
    arch = RecurrentArchitecture(3, 4, 2)
    rng = np.random.default_rng(0)
    params = init_recurrent_params(arch, rng)
    xs, targets = rng.normal(size=(6, 5, 3)), rng.normal(size=(6, 5, 2))
    grads = ReadoutDeltaRule().update(arch, params, xs, targets, REGRESSION_LOSS, rng)
    cache = recurrent_forward(arch, params, xs)
    per_step = (cache.outputs - targets) / 5  # d(mean squared error)/d y_t of every step
    np.testing.assert_allclose(grads["W_out"], np.einsum("tbo,tbn->on", per_step, cache.h[1:]))
    np.testing.assert_allclose(grads["b_out"], per_step.sum(axis=(0, 1)))
