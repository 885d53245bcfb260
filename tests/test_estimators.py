"""Gradient estimators: unbiased, with the variance theory predicts, on small networks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from snnlearn.errors import ConfigError
from snnlearn.ratenet import Architecture, finite_difference_gradients, forward, init_params
from snnlearn.ratenet.estimators import (
    ESTIMATORS,
    Reinforce,
    flatten,
    n_parameters,
    needs_hidden_layer,
    true_gradient,
)
from snnlearn.ratenet.learner import make_learner
from snnlearn.ratenet.losses import REGRESSION_LOSS
from snnlearn.ratenet.network import weight_gradients
from snnlearn.ratenet.student_teacher import checkpoints, learn, make_student_teacher

LINEAR = (5, 3)
HIDDEN = (4, 5, 3)


def setting(sizes, trials: int = 2, seed: int = 0):
    task = make_student_teacher(sizes, np.random.default_rng(seed), n_test=64)
    x, targets = task.batch(np.random.default_rng(seed + 1), trials)
    return task, x, targets


def draws(estimator, task, x, targets, n: int, seed: int = 2) -> np.ndarray:
    """``n`` single-sample estimates as rows (after a call that starts any running baseline)."""
    rng = np.random.default_rng(seed)
    estimator.samples(task.arch, task.student, x, targets, 64, rng)
    return flatten(estimator.samples(task.arch, task.student, x, targets, n, rng), list(task.student), lead=1)


def normalized_variance(samples: np.ndarray, gradient: np.ndarray) -> float:
    return float(samples.var(axis=0, ddof=1).sum() / (gradient @ gradient))


@pytest.mark.parametrize(
    ("sizes", "name"),
    [
        (sizes, name)
        for sizes in (LINEAR, HIDDEN)
        for name in ESTIMATORS
        if len(sizes) == 3 or not needs_hidden_layer(name)
    ],
)
def test_mean_of_many_estimates_is_the_gradient(sizes, name):
    estimator = make_learner(name)
    task, x, targets = setting(sizes)
    n = 40_000
    samples = draws(estimator, task, x, targets, n)
    gradient = flatten(estimator.objective_gradient(task.arch, task.student, x, targets), list(task.student))
    error = samples.mean(axis=0) - gradient
    standard_error = samples.std(axis=0, ddof=1) / np.sqrt(n)
    # every component within 4.5 standard errors (about 1e-4 false alarms for 50 components),
    # and the whole error small beside the gradient
    assert np.all(np.abs(error) <= 4.5 * standard_error + 1e-12 * np.abs(gradient).max())
    assert np.linalg.norm(error) <= 5 * np.linalg.norm(standard_error) + 1e-12


def test_weight_perturbation_variance_is_parameters_plus_one():
    task, x, targets = setting(LINEAR, trials=3)
    gradient = flatten(true_gradient(task.arch, task.student, x, targets), list(task.student))
    samples = draws(make_learner("weight_perturbation"), task, x, targets, 40_000)
    p = n_parameters(task.arch)
    assert p == 5 * 3 + 3
    # (g.u)u has covariance |g|^2 I + g g^T: trace (P + 1)|g|^2; relative error here ~ 1.5 %
    assert normalized_variance(samples, gradient) == pytest.approx(p + 1, rel=0.06)
    averaged = make_learner("weight_perturbation", n_samples=4)
    stacked = [averaged.estimate(task.arch, task.student, x, targets, np.random.default_rng(s)) for s in range(4000)]
    four = np.stack([flatten(g, list(task.student)) for g in stacked])
    assert normalized_variance(four, gradient) == pytest.approx((p + 1) / 4, rel=0.1)


def test_node_perturbation_variance_is_units_plus_one_for_one_trial():
    task, x, targets = setting(LINEAR, trials=1)
    gradient = flatten(true_gradient(task.arch, task.student, x, targets), list(task.student))
    samples = draws(make_learner("node_perturbation"), task, x, targets, 40_000)
    assert normalized_variance(samples, gradient) == pytest.approx(LINEAR[-1] + 1, rel=0.06)


@pytest.mark.parametrize("units", ["gaussian", "bernoulli"])
def test_reward_baseline_lowers_variance(units):
    task, x, targets = setting(HIDDEN, trials=1)
    values = {}
    for baseline in ("none", "running"):
        estimator = Reinforce(units=units, baseline=baseline)
        gradient = flatten(estimator.objective_gradient(task.arch, task.student, x, targets), list(task.student))
        values[baseline] = normalized_variance(draws(estimator, task, x, targets, 20_000), gradient)
    assert values["running"] < 0.5 * values["none"]


def test_bernoulli_expected_cost_gradient_matches_enumeration():
    """The closed form against finite differences of the exact expectation over all hidden
    states (output noise only adds a constant)."""
    task, x, targets = setting((3, 3, 2), trials=2)
    arch, params = task.arch, {k: v.copy() for k, v in task.student.items()}
    states = np.array(list(itertools.product([0.0, 1.0], repeat=3)))

    def expected_cost(p) -> float:
        probability = forward(arch, p, x).h[1]  # (trial, hidden): sigmoid firing probabilities
        total = 0.0
        for s in states:
            weight = np.prod(np.where(s > 0, probability, 1 - probability), axis=1)
            y = p["b2"] + s @ p["W2_1"].T
            total += float(np.mean(weight * 0.5 * np.sum((y - targets) ** 2, axis=1)))
        return total

    numeric = finite_difference_gradients(expected_cost, params)
    closed = Reinforce(units="bernoulli").objective_gradient(arch, params, x, targets)
    for name in params:
        np.testing.assert_allclose(closed[name], numeric[name], rtol=1e-6, atol=1e-8)


def test_stacked_forward_and_gradients_match_one_network_at_a_time():
    arch = Architecture((4, 6, 3), activation="tanh")
    rng = np.random.default_rng(3)
    nets = [init_params(arch, rng) for _ in range(3)]
    x = rng.standard_normal((5, 4))
    stacked = {k: np.stack([n[k][None] if n[k].ndim == 1 else n[k] for n in nets]) for k in nets[0]}
    out = forward(arch, stacked, x)
    for i, net in enumerate(nets):
        np.testing.assert_allclose(out.output[i], forward(arch, net, x).output)
    deltas = [None] + [rng.standard_normal((3, 5, n)) for n in arch.sizes[1:]]
    grads = weight_gradients(arch, out, deltas)
    for i, net in enumerate(nets):
        cache = forward(arch, net, x)
        one = weight_gradients(arch, cache, [None] + [d[i] for d in deltas[1:]])
        for name in one:
            np.testing.assert_allclose(grads[name][i], one[name])


def test_estimates_have_the_shapes_of_the_parameters():
    task, x, targets = setting(HIDDEN, trials=3)
    for name in ESTIMATORS:
        options = {} if name == "backprop" else {"n_samples": 2}
        estimate = make_learner(name, **options).update(
            task.arch, task.student, x, targets, REGRESSION_LOSS, np.random.default_rng(0)
        )
        assert {k: v.shape for k, v in estimate.items()} == {k: v.shape for k, v in task.student.items()}


def test_bad_options_are_config_errors():
    with pytest.raises(ConfigError):
        make_learner("finite_differences")
    with pytest.raises(ConfigError):
        make_learner("weight_perturbation", n_samples=0)
    with pytest.raises(ConfigError, match="reinforce_gaussian.reinforce_sigma"):
        make_learner("reinforce_gaussian", reinforce_sigma=0.2)  # an option it does not take
    with pytest.raises(ConfigError):
        Reinforce(units="poisson")
    task, x, targets = setting((3, 4, 2))
    relu = Architecture((3, 4, 2), activation="relu")
    with pytest.raises(ConfigError):
        Reinforce(units="bernoulli").samples(relu, task.student, x, targets, 2, np.random.default_rng(0))


def test_learning_reaches_the_target_and_reports_divergence():
    task = make_student_teacher((6, 4), np.random.default_rng(0))
    target = 0.1 * task.loss(task.student)
    good = learn(
        task,
        make_learner("backprop"),
        0.05,
        target=target,
        max_updates=2000,
        batch_size=1,
        rng=np.random.default_rng(1),
    )
    assert np.isfinite(good.time) and not good.diverged and good.loss[-1] <= target
    bad = learn(
        task, make_learner("backprop"), 5.0, target=target, max_updates=2000, batch_size=1, rng=np.random.default_rng(1)
    )
    assert bad.diverged and np.isinf(bad.time)
    assert checkpoints(30)[:3] == [1, 2, 3] and checkpoints(30)[-1] == 30
