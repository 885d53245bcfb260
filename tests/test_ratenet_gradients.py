"""Backprop against central finite differences (float64): every activation, loss and skip mode."""

from __future__ import annotations

import numpy as np
import pytest

from snnlearn.ratenet import Architecture, Backprop, forward, init_params, make_loss
from snnlearn.ratenet.diagnostics import finite_difference_gradients
from snnlearn.ratenet.network import backward_errors


def check_network(arch, loss_name, seed=0):
    rng = np.random.default_rng(seed)
    params = init_params(arch, rng, "nielsen")
    x = rng.normal(size=(5, arch.sizes[0]))
    y = rng.integers(0, arch.sizes[-1], size=5)
    loss = make_loss(loss_name)

    def value(p):
        return loss.evaluate(forward(arch, p, x).output, y)[0]

    cache = forward(arch, params, x)
    _, dout = loss.evaluate(cache.output, y)
    analytic = Backprop().gradients(arch, params, cache, dout)
    numeric = finite_difference_gradients(value, params)
    assert set(analytic) == set(params)
    for name in params:
        np.testing.assert_allclose(analytic[name], numeric[name], rtol=1e-5, atol=1e-8, err_msg=name)


@pytest.mark.parametrize("skip", ["none", "residual", "dense"])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_backprop_matches_finite_differences(skip, activation):
    check_network(Architecture((4, 3, 3, 3, 2), activation=activation, skip=skip), "softmax_cross_entropy")


@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "sigmoid_cross_entropy"])
def test_cross_entropy_losses(loss):
    check_network(Architecture((3, 4, 3), activation="tanh", skip="dense"), loss)


@pytest.mark.parametrize("output", ["linear", "sigmoid", "tanh"])
def test_squared_error_with_output_activations(output):
    check_network(
        Architecture((3, 4, 4, 3), activation="sigmoid", output_activation=output, skip="residual"), "squared_error"
    )


def test_input_error_is_the_input_jacobian():
    """``e[0]`` from the output is d(sum of outputs)/dx, compared with finite differences."""
    arch = Architecture((3, 4, 4, 2), activation="tanh", skip="dense")
    rng = np.random.default_rng(1)
    params = init_params(arch, rng)
    x = rng.normal(size=(1, 3))
    cache = forward(arch, params, x)
    e, _ = backward_errors(arch, params, cache, arch.n_layers, np.ones((1, 2)))
    numeric = finite_difference_gradients(lambda p: forward(arch, params, p["x"]).output.sum(), {"x": x.copy()})
    np.testing.assert_allclose(e[0], numeric["x"], rtol=1e-6)


def test_step_activation_sends_exactly_zero_error_to_hidden_layers():
    arch = Architecture((6, 5, 5, 3), activation="step")
    rng = np.random.default_rng(2)
    params = init_params(arch, rng)
    x = rng.normal(size=(20, 6))
    cache = forward(arch, params, x)
    _, dout = make_loss("softmax_cross_entropy").evaluate(cache.output, rng.integers(0, 3, 20))
    grads = Backprop().gradients(arch, params, cache, dout)
    for name in ("W1_0", "b1", "W2_1", "b2"):
        assert np.all(grads[name] == 0.0), name
    assert np.abs(grads["W3_2"]).sum() > 0  # the readout still learns
    surrogate = Architecture((6, 5, 5, 3), activation="step_surrogate")
    grads = Backprop().gradients(surrogate, params, forward(surrogate, params, x), dout)
    assert np.abs(grads["W1_0"]).sum() > 0
