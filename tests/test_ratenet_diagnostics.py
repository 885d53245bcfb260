"""Jacobian importance on networks small enough to differentiate by hand; memory measurement."""

from __future__ import annotations

import numpy as np

from snnlearn.ratenet import Architecture, forward, init_params
from snnlearn.ratenet.diagnostics import (
    cache_bytes,
    jacobian_importance,
    layer_grad_norms,
    peak_allocated_bytes,
    top_k_layers,
)


def test_jacobian_of_a_linear_dense_chain_sums_every_path():
    # h1 = a x, h2 = b h1 + c x, h3 = d h2 + e h1 + f x  (all scalars, linear units)
    arch = Architecture((1, 1, 1, 1), activation="linear", skip="dense")
    a, b, c, d, e, f = 2.0, -3.0, 0.5, 1.5, 4.0, -1.0
    params = {
        "W1_0": [[a]],
        "W2_1": [[b]],
        "W2_0": [[c]],
        "W3_2": [[d]],
        "W3_1": [[e]],
        "W3_0": [[f]],
        "b1": [0.0],
        "b2": [0.0],
        "b3": [0.0],
    }
    params = {k: np.array(v) for k, v in params.items()}
    imp = jacobian_importance(arch, params, np.array([[0.3], [-1.0]]), target=3)
    assert [m.item() for m in imp] == [abs(d * (b * a + c) + e * a + f), abs(d * b + e), abs(d)]
    imp2 = jacobian_importance(arch, params, np.array([[0.3]]), target=2)
    assert [m.item() for m in imp2] == [abs(b * a + c), abs(b)]


def test_jacobian_of_a_residual_layer_includes_the_identity_path():
    # h2 = h1 + tanh(w h1): dh2/dh1 = 1 + w (1 - tanh(w h1)^2), averaged in absolute value.
    arch = Architecture((1, 1, 1, 1), activation="tanh", skip="residual")
    w = -2.0
    params = {
        "W1_0": np.array([[1.0]]),
        "b1": np.zeros(1),
        "W2_1": np.array([[w]]),
        "b2": np.zeros(1),
        "W3_2": np.ones((1, 1)),
        "b3": np.zeros(1),
    }
    x = np.array([[0.1], [0.8], [-2.0]])
    h1 = np.tanh(x[:, 0])
    expected = np.mean(np.abs(1 + w * (1 - np.tanh(w * h1) ** 2)))
    np.testing.assert_allclose(jacobian_importance(arch, params, x, target=2)[1].item(), expected)


def test_jacobian_importance_matches_finite_differences_in_chunks():
    arch = Architecture((3, 4, 4, 4, 2), activation="sigmoid", skip="dense")
    rng = np.random.default_rng(3)
    params = init_params(arch, rng, "nielsen")
    x = rng.normal(size=(7, 3))
    imp = jacobian_importance(arch, params, x, target=3, chunk=3)
    # Perturb h1 of each input and let the change flow through every later layer.
    eps, numeric = 1e-6, np.zeros((4, 4))
    for row in x:
        for i in range(4):
            up, down = (_h3_after_shifting_h1(arch, params, row, i, s) for s in (eps, -eps))
            numeric[:, i] += np.abs((up - down) / (2 * eps))
    np.testing.assert_allclose(imp[1], numeric / len(x), rtol=1e-5)


def _h3_after_shifting_h1(arch, params, row, i, shift):
    h1 = forward(arch, params, row[None]).h[1].copy()
    h1[0, i] += shift
    sig = arch.hidden_activation.f
    h2 = sig(params["b2"] + h1 @ params["W2_1"].T + row @ params["W2_0"].T)
    z3 = params["b3"] + h2 @ params["W3_2"].T + h1 @ params["W3_1"].T + row @ params["W3_0"].T
    return sig(z3)[0]


def test_top_k_layers_ranks_across_layers():
    importance = [np.array([[9.0, 0.0]]), np.array([[1.0, 5.0, 3.0]]), np.array([[4.0, 2.0]])]
    np.testing.assert_array_equal(top_k_layers(importance, layers=[1, 2], k=3), [[1, 2, 1]])
    np.testing.assert_array_equal(top_k_layers(importance, layers=[0, 1, 2], k=2), [[0, 1]])


def test_grad_norms_per_layer_and_measured_cache():
    arch = Architecture((10, 20, 30, 5))
    grads = {
        "W1_0": np.full((20, 10), 0.5),
        "b1": np.full(20, 2.0),
        "W2_1": np.zeros((30, 20)),
        "b2": np.ones(30),
        "W3_2": np.ones((5, 30)),
        "b3": np.zeros(5),
    }
    np.testing.assert_allclose(layer_grad_norms(arch, grads), [np.sqrt(50.0), 0.0, np.sqrt(150)])
    np.testing.assert_allclose(layer_grad_norms(arch, grads, "biases"), [np.sqrt(80.0), np.sqrt(30.0), 0.0])
    params = init_params(arch, np.random.default_rng(0))
    x = np.ones((1000, 10))
    cache, peak = peak_allocated_bytes(forward, arch, params, x)
    assert cache.nbytes() - x.nbytes == cache_bytes(arch, 1000) == 8 * 1000 * 2 * 55
    assert cache_bytes(arch, 1000) <= peak < 1.5 * cache_bytes(arch, 1000)
