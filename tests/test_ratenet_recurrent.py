"""Backprop through time against finite differences, and learning row-by-row digits."""

from __future__ import annotations

import numpy as np
import pytest

from snnlearn.ratenet import load_data, make_loss, make_optimizer
from snnlearn.ratenet.diagnostics import finite_difference_gradients
from snnlearn.ratenet.recurrent import (
    RecurrentArchitecture,
    init_recurrent_params,
    last_step_gradient,
    recurrent_backward,
    recurrent_forward,
)


@pytest.mark.parametrize(("activation", "output", "loss_name", "last_only"), [
    ("tanh", "linear", "softmax_cross_entropy", True),
    ("sigmoid", "sigmoid", "squared_error", False),
])
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
        np.testing.assert_allclose(analytic[name], numeric[name], rtol=1e-5, atol=1e-8,
                                   err_msg=name)


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
