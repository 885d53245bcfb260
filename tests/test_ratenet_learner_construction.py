"""Rate learners as built: defaults, options reaching them, and the exact error of every bad setting.

A setting that does not reach its learner, or an error that names the wrong field, is a bug
(tests/test_learner_conformance.py checks the experiments' settings; this module the factories).
"""

from __future__ import annotations

import numpy as np
import pytest

from snnlearn.errors import ConfigError, one_of
from snnlearn.ratenet import Architecture, init_params, make_learner
from snnlearn.ratenet.estimators import (
    BASELINES,
    UNITS,
    NodePerturbation,
    Reinforce,
    WeightPerturbation,
    _reinforce,
    needs_hidden_layer,
)
from snnlearn.ratenet.learner import OnlineLearner, check_names, rate_learners
from snnlearn.ratenet.learners import RandomMatrices, SignSymmetry
from snnlearn.ratenet.losses import REGRESSION_LOSS, make_loss


def error(call, *args, **kwargs) -> tuple[str, str, str]:
    with pytest.raises(ConfigError) as info:
        call(*args, **kwargs)
    return info.value.field, info.value.problem, info.value.allowed


@pytest.mark.parametrize("units", list(UNITS))
@pytest.mark.parametrize("baseline", BASELINES)
def test_reinforce_factories_default_and_pass_their_options(units, baseline):
    make = _reinforce(units, baseline)
    learner = make()
    assert isinstance(learner, Reinforce)
    assert (learner.n_samples, learner.sigma, learner.units.name, learner.baseline) == (1, 0.1, units, baseline)
    assert learner.baseline_trials == 10.0
    assert learner.name == f"reinforce_{units}" + ("_baseline" if baseline == "running" else "")
    options = {"n_samples": 3, "sigma": 0.25} | ({"baseline_trials": 4.0} if baseline == "running" else {})
    learner = make(**options)
    assert (learner.n_samples, learner.sigma) == (3, 0.25)
    assert learner.baseline_trials == (4.0 if baseline == "running" else 10.0)
    assert (learner.baseline_value, learner.held) == (None, None)
    named = make_learner(learner.name, **options)
    assert (named.n_samples, named.sigma, named.baseline, named.baseline_trials) == (
        3,
        0.25,
        baseline,
        learner.baseline_trials,
    )


def test_reinforce_errors_name_the_setting():
    assert error(Reinforce, units="poisson") == ("units", "unknown units 'poisson'", one_of(UNITS))
    assert error(Reinforce, baseline="mean") == ("baseline", "unknown baseline 'mean'", one_of(BASELINES))
    expected = "expected sigma > 0 and baseline_trials >= 1"
    assert error(Reinforce, sigma=0.0) == ("sigma", "got sigma 0.0, baseline_trials 10.0", expected)
    assert error(Reinforce, baseline_trials=0.5) == ("sigma", "got sigma 0.1, baseline_trials 0.5", expected)
    Reinforce(sigma=1e-9, baseline_trials=1.0)  # the edges are allowed
    assert error(Reinforce, n_samples=0) == ("n_samples", "got 0", "expected at least 1")
    Reinforce(n_samples=1)


def test_reinforce_checks_its_network():
    bern = Reinforce(units="bernoulli")
    tanh = Architecture((2, 3, 1), activation="tanh", output_activation="linear")
    field, problem, allowed = error(
        bern.run, tanh, init_params(tanh, np.random.default_rng(0)), np.ones((1, 2)), 1, np.random.default_rng(0)
    )
    assert (field, allowed) == ("activation", "use activation 'sigmoid'")
    assert problem == "Bernoulli-logistic units need 'sigmoid' hidden units, got 'tanh'"
    linear = Architecture((2, 1), activation="tanh", output_activation="linear")
    bern.run(linear, init_params(linear, np.random.default_rng(0)), np.ones((1, 2)), 1, np.random.default_rng(0))
    skip = Architecture((2, 3, 3, 1), activation="sigmoid", skip="residual")
    field, problem, allowed = error(
        Reinforce().run, skip, init_params(skip, np.random.default_rng(0)), np.ones((1, 2)), 1, np.random.default_rng(0)
    )
    assert (field, allowed) == ("architecture", "use skip 'none' and output_activation 'linear'")
    assert problem == "REINFORCE needs a plain network with linear outputs, got skip 'residual', outputs 'linear'"
    deep = Architecture((2, 3, 3, 1), activation="sigmoid")
    field, problem, allowed = error(
        Reinforce().objective_gradient,
        deep,
        init_params(deep, np.random.default_rng(0)),
        np.ones((1, 2)),
        np.ones((1, 1)),
    )
    assert (field, allowed) == ("sizes", "use (n_in, n_out) or (n_in, n_hidden, n_out)")
    assert problem.startswith("(2, 3, 3, 1): the expected cost")


def test_reinforce_baseline_runs_resets_and_holds():
    learner = Reinforce(baseline="running", baseline_trials=2.0)
    assert learner._baseline(np.array([[4.0, 2.0]])) == 3.0  # first call: its own mean, fixed before
    # updated by (1 - 1/2)^2 per call of 2 trials: 3 -> 0.25 * 3 + 0.75 * 1
    assert learner._baseline(np.array([[1.0, 1.0]])) == 3.0
    assert learner.baseline_value == pytest.approx(0.25 * 3 + 0.75 * 1)
    learner.hold_baseline(7.0)
    assert learner._baseline(np.array([[1.0]])) == 7.0 and learner.held == 7.0
    learner.hold_baseline(None)
    learner.reset()
    assert learner.baseline_value is None and learner.held is None
    assert Reinforce()._baseline(np.array([[5.0]])) == 0.0


def test_perturbation_estimators_defaults_and_errors():
    for cls in (WeightPerturbation, NodePerturbation):
        learner = cls()
        assert (learner.n_samples, learner.sigma) == (1, 1e-5)
        learner = cls(n_samples=2, sigma=0.5)
        assert (learner.n_samples, learner.sigma) == (2, 0.5)
        assert error(cls, sigma=0.0) == ("sigma", "got 0.0", "expected a positive perturbation size")
        assert error(cls, n_samples=0) == ("n_samples", "got 0", "expected at least 1")
        assert isinstance(cls(n_samples=2.0).n_samples, int)
    arch = Architecture((2, 1), output_activation="linear")
    field, problem, allowed = error(
        WeightPerturbation().update,
        arch,
        init_params(arch, np.random.default_rng(0)),
        np.ones((1, 2)),
        np.array([1]),
        make_loss("softmax_cross_entropy"),
        np.random.default_rng(0),
    )
    assert (field, allowed) == ("loss", f"use {REGRESSION_LOSS.name}")
    assert problem == (
        "weight_perturbation estimates the gradient of the squared error to real-valued targets, "
        "got 'softmax_cross_entropy'"
    )
    assert needs_hidden_layer("reinforce_bernoulli_baseline") and not needs_hidden_layer("reinforce_gaussian")


def test_make_learner_and_check_names_errors():
    assert error(make_learner, "backprop", sigma=1.0) == (
        "backprop.sigma",
        "not an option of the learner 'backprop'",
        "it takes no options",
    )
    field, problem, allowed = error(make_learner, "node_perturbation", zeta=1, alpha=2)
    assert (field, problem) == ("node_perturbation.alpha", "not an option of the learner 'node_perturbation'")
    assert allowed == one_of(["n_samples", "sigma"])
    assert error(make_learner, "nope")[:2] == ("learner", "unknown learner 'nope'")
    rng = np.random.default_rng(5)
    fa = make_learner("feedback_alignment", rng=rng, scale=2.0)
    assert fa.scale == 2.0 and fa.random.rng is rng  # the rng reaches the feedback matrices
    assert make_learner("direct_feedback_alignment", rng=rng).random.rng is rng
    assert make_learner("feedback_alignment", rng=rng, matrices={"W": [[1.0]]}).matrices["W"].tolist() == [[1.0]]
    field, problem, _ = error(make_learner, "stdp_diehl_cook")  # a spiking learner is no rate learner
    assert (field, problem) == ("learner", "unknown learner 'stdp_diehl_cook'")
    assert make_learner("sign_symmetry", scaled=False).scaled is False
    check_names("learners", ["backprop", "feedback_alignment"])
    assert error(check_names, "learners", ["backprop", "bogus"]) == (
        "learners",
        "unknown learner 'bogus'",
        one_of(rate_learners()),
    )
    assert error(check_names, "x.y", ["feedback_alignment"], ["backprop"]) == (
        "x.y",
        "unknown learner 'feedback_alignment'",
        one_of(["backprop"]),
    )
    check_names("x", ["backprop"], ["backprop"])
    assert "backprop" in rate_learners() and "bptt" in rate_learners()


class _Counting(OnlineLearner):
    """Sums x_t (and y_t when given) over the steps: the update of a sequence is the sum of its steps."""

    name = "counting"

    def begin(self, arch, params, batch):
        self.batch, self.total, self.seen, self.calls = batch, 0.0, [], [(arch, params)]

    def step(self, arch, params, x_t, y_t, loss, rng):
        self.total = self.total + x_t.sum(axis=0)
        self.seen.append(None if y_t is None else float(np.sum(y_t)))
        self.calls.append((arch, params, loss, rng))

    def end(self):
        return {"w": np.asarray(self.total)}


def test_online_learner_update_is_the_sum_of_its_steps():
    learner = _Counting()
    xs = np.arange(24, dtype=float).reshape(3, 4, 2)  # (T, batch, n_in)
    ys = np.ones((3, 4))
    arch, params, rng = object(), {"w": np.zeros(2)}, np.random.default_rng(0)
    out = learner.update(arch, params, xs, ys, REGRESSION_LOSS, rng)
    np.testing.assert_allclose(out["w"], xs.sum(axis=(0, 1)))
    assert learner.batch == 4 and learner.seen == [4.0, 4.0, 4.0]
    assert learner.calls[0] == (arch, params)
    assert all(c == (arch, params, REGRESSION_LOSS, rng) for c in learner.calls[1:]) and len(learner.calls) == 4
    learner.update(None, {}, xs, None, REGRESSION_LOSS, np.random.default_rng(0))
    assert learner.seen == [None, None, None]


def test_random_matrices_scale_seed_and_shapes():
    a = RandomMatrices(np.random.default_rng(3)).get("W", (40, 60))
    b = RandomMatrices(np.random.default_rng(3)).get("W", (40, 60))
    np.testing.assert_array_equal(a, b)
    assert np.std(a) == pytest.approx(np.sqrt(2 / 100), rel=0.05)
    doubled = RandomMatrices(np.random.default_rng(3), scale=2.0)
    assert doubled.scale == 2.0
    np.testing.assert_allclose(doubled.get("W", (40, 60)), 2 * a)
    np.testing.assert_array_equal(
        RandomMatrices().get("W", (3, 4)), RandomMatrices(np.random.default_rng(0)).get("W", (3, 4))
    )  # seed 0 if none
    rng = np.random.default_rng(9)
    assert RandomMatrices(rng).rng is rng
    preset = RandomMatrices(matrices={"W": [[1, 2]]})
    assert preset.get("W", (1, 2)).dtype == float and preset.matrices["W"].tolist() == [[1.0, 2.0]]
    with pytest.raises(ValueError, match=r"feedback matrix W has shape \(1, 2\), expected \(2, 1\)"):
        preset.get("W", (2, 1))
    assert error(RandomMatrices, scale=0) == ("scale", "got 0", "expected a positive feedback scale")
    stack = RandomMatrices(np.random.default_rng(0)).get("S", (5, 30, 20))
    assert np.std(stack) == pytest.approx(np.sqrt(2 / 50), rel=0.05)


def test_unit_and_parameter_counts():
    from snnlearn.ratenet.estimators import n_parameters, n_units

    arch = Architecture((3, 5, 2))
    assert n_units(arch) == 7 and n_parameters(arch) == 3 * 5 + 5 + 5 * 2 + 2
    assert n_units(Architecture((4, 2))) == 2


def test_sign_symmetry_feedback():
    w = np.array([[2.0, -4.0], [0.0, 6.0]])
    np.testing.assert_array_equal(SignSymmetry(scaled=False).feedback("W", w), np.sign(w))
    np.testing.assert_allclose(SignSymmetry().feedback("W", w), np.sign(w) * 3.0)
    stack = np.stack([w, 2 * w])
    scales = np.array([3.0, 6.0])[:, None, None]
    np.testing.assert_allclose(SignSymmetry().feedback("W", stack), np.sign(stack) * scales)
    assert SignSymmetry().scaled is True
