"""The training loop, optimisers and configuration errors of the rate network."""

from __future__ import annotations

import numpy as np
import pytest

from snnlearn.errors import ConfigError
from snnlearn.ratenet import (
    Architecture,
    init_params,
    load_data,
    make_activation,
    make_learner,
    make_loss,
    make_optimizer,
    train,
)


@pytest.fixture(scope="module")
def digits():
    return load_data("digits")


@pytest.mark.parametrize(("optimizer", "options"), [("sgd", {"lr": 0.05, "momentum": 0.9}), ("adam", {"lr": 0.01})])
def test_training_on_digits_learns(digits, optimizer, options):
    arch = Architecture((64, 32, 10), activation="relu")
    rng = np.random.default_rng(0)
    params = init_params(arch, rng, "he")
    history = train(
        arch,
        params,
        make_learner("backprop"),
        make_optimizer(optimizer, **options),
        make_loss("softmax_cross_entropy"),
        digits,
        epochs=3,
        batch_size=32,
        rng=rng,
    )
    assert history.epoch == [0, 1, 2, 3]
    assert history.test_accuracy[0] < 0.3
    assert history.test_accuracy[-1] > 0.9
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert len(history.grad_norms[1]) == 2 and history.grad_norms[0] == []


def test_adam_first_step_moves_each_weight_by_lr():
    params = {"w": np.array([1.0, -2.0, 3.0])}
    make_optimizer("adam", 0.1).step(params, {"w": np.array([5.0, -0.01, 0.0])})
    np.testing.assert_allclose(params["w"], [0.9, -1.9, 3.0], atol=1e-6)


def test_sgd_momentum_accumulates():
    params = {"w": np.zeros(1)}
    sgd = make_optimizer("sgd", 0.1, momentum=0.5)
    for _ in range(2):
        sgd.step(params, {"w": np.ones(1)})
    np.testing.assert_allclose(params["w"], [-0.1 - 0.15])


def test_surrogate_derivative_is_superspike_fast_sigmoid():
    act = make_activation("step_surrogate", surrogate_beta=2.0)
    z = np.array([-1.0, 0.0, 0.5])
    np.testing.assert_array_equal(act.f(z), [0.0, 0.0, 1.0])
    np.testing.assert_allclose(act.df(z), [1 / 9, 1.0, 1 / 4])
    assert not act.exact


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Architecture((3, 2), skip="highway"), "skip"),
        (lambda: Architecture((3, 2), activation="swish"), "activation"),
        (lambda: Architecture((3, 4, 5, 2), skip="residual"), "sizes"),
        (lambda: make_loss("hinge"), "loss"),
        (lambda: make_optimizer("rmsprop", 0.1), "optimizer"),
        (lambda: make_learner("magic"), "learner"),
        (lambda: init_params(Architecture((3, 2)), np.random.default_rng(0), "orthogonal"), "init"),
        (lambda: load_data("no/such/folder"), "data.path"),
    ],
)
def test_bad_names_are_config_errors(make, field):
    with pytest.raises(ConfigError) as info:
        make()
    assert info.value.field == field
