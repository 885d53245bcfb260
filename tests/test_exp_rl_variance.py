"""rl_variance --quick: the variance of reward-based estimates and the learning time grow with N."""

from __future__ import annotations

import json
import math

import pytest

from snnlearn.experiment import run_experiment
from snnlearn.ratenet.student_teacher import LearningRun
from snnlearn.ratenet.variance import learning_rate_sweep


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    run = run_experiment("rl_variance", quick=True, out=tmp_path_factory.mktemp("rl") / "run")
    return run, json.loads((run / "metrics.json").read_text())


def test_variance_slopes_have_the_predicted_signs(quick):
    _, metrics = quick
    slopes = metrics["variance_slope_by_estimator"]
    for scan in ("linear_all", "linear_n_out", "hidden_all"):
        assert slopes[scan]["backprop"] == 0.0
        for name in ("weight_perturbation", "node_perturbation", "reinforce_gaussian_baseline"):
            assert slopes[scan][name] > 0.3, (scan, name)
    for name in ("reinforce_bernoulli", "reinforce_bernoulli_baseline"):
        assert slopes["hidden_all"][name] > 0.3
        assert name not in slopes["linear_all"]  # Bernoulli units are hidden units
    # weight perturbation: P + 1 with P ~ N^2 on the linear network, slope 1 in P
    assert slopes["linear_all"]["weight_perturbation"] == pytest.approx(
        metrics["variance_slope_theory_by_estimator"]["linear_all"]["weight_perturbation"], abs=0.3
    )
    by_dimension = metrics["variance_slope_vs_dimension_by_estimator"]["linear_all"]
    assert by_dimension["weight_perturbation"] == pytest.approx(1.0, abs=0.2)
    assert by_dimension["node_perturbation"] == pytest.approx(1.0, abs=0.3)


def test_variance_matches_theory_and_baseline_helps(quick):
    _, metrics = quick
    nvar = metrics["normalized_variance_by_n"]
    theory = metrics["normalized_variance_theory_by_n"]["linear_all"]["weight_perturbation"]
    for n, value in nvar["linear_all"]["weight_perturbation"].items():
        assert value == pytest.approx(theory[n], rel=0.5)
    for scan, units in (("linear_all", "gaussian"), ("hidden_all", "gaussian"), ("hidden_all", "bernoulli")):
        for n, value in nvar[scan][f"reinforce_{units}"].items():
            assert nvar[scan][f"reinforce_{units}_baseline"][n] < value, (scan, units, n)
    cosine = metrics["cosine_to_true_gradient"]["linear_all"]
    assert all(c == pytest.approx(1.0) for c in cosine["backprop"].values())
    wp = list(cosine["weight_perturbation"].values())
    assert wp[-1] < wp[0] < 1


def test_learning_time_grows_fastest_for_weight_perturbation(quick):
    run, metrics = quick
    slopes = metrics["learning_time_slope_by_estimator"]["linear_all"]
    for name in ("backprop", "node_perturbation", "weight_perturbation"):
        assert slopes[name] > 0, name
    assert slopes["weight_perturbation"] > slopes["node_perturbation"]
    times = metrics["learning_time_by_n"]["linear_all"]
    for n in ("4", "8"):
        assert times["backprop"][n] < times["node_perturbation"][n] < times["weight_perturbation"][n]
    for figure in ("normalized_variance.png", "cosine.png", "learning_time.png", "learning_curves.png"):
        assert (run / figure).is_file()


def test_learning_rate_sweep_finds_the_fastest_stable_rate():
    def run(lr: float, cap: int) -> LearningRun:  # fastest just below the stability edge 0.3
        if lr > 0.3:
            return LearningRun([0], [1.0], math.inf, diverged=True)
        time = 10 / lr
        return LearningRun([0], [1.0], time if time <= cap else math.inf, diverged=False)

    best, tried = learning_rate_sweep(run, start=8.0, factor=2.0, cap=10_000)
    assert best == 0.25
    assert [lr for lr, _, _ in tried] == [8.0, 4.0, 2.0, 1.0, 0.5, 0.25, 0.125]
    best, _ = learning_rate_sweep(run, start=0.01, factor=2.0, cap=10_000)
    assert best == 0.16  # from below: rates rise while they do better
    assert learning_rate_sweep(run, start=8.0, factor=2.0, cap=5)[0] is None


def test_local_rules_beside_the_estimators_bias_against_variance(quick):
    """Feedback alignment, sign symmetry and DFA are deterministic: variance exactly 0, all of
    their error E|g_hat - g|^2 / |g|^2 in bias; the reward-based estimates are (nearly) unbiased
    and their error is variance, orders of magnitude larger, growing with N."""
    run, m = quick
    nmse, bias2, var = (m[f"update_{k}_by_n"]["hidden_all"] for k in ("nmse", "bias2", "variance"))
    cosine = m["update_cosine_true_by_n"]["hidden_all"]
    local = ("feedback_alignment", "sign_symmetry", "direct_feedback_alignment")
    estimators = ("weight_perturbation", "node_perturbation", "reinforce_gaussian_baseline")
    for n in nmse["backprop"]:
        assert nmse["backprop"][n] == 0 and cosine["backprop"][n] == pytest.approx(1.0)
        for name in local:
            assert var[name][n] == 0.0 and bias2[name][n] > 0
            assert nmse[name][n] == pytest.approx(bias2[name][n])
            assert 0.5 < cosine[name][n] < 1
            assert nmse[name][n] < 2
        for name in estimators:
            assert nmse[name][n] == pytest.approx(bias2[name][n] + var[name][n])
            assert bias2[name][n] < 0.01 * var[name][n]
            assert min(nmse[k][n] for k in estimators) > 10 * max(nmse[k][n] for k in local)
    # the linear networks have no hidden layer: the local rules would be backprop there
    assert "feedback_alignment" not in m["update_nmse_by_n"]["linear_all"]
    for name in estimators:
        assert m["update_nmse_slope_by_learner"]["hidden_all"][name] > 0.3
    # intervals of log-axis quantities are computed in log space: positive, around the mean
    for name in estimators:
        for n, (low, high) in m["update_variance_log_ci_by_n"]["hidden_all"][name].items():
            assert 0 < low <= var[name][n] * 10 and high > low
    assert m["learning_time_by_n"]["hidden_all"]["feedback_alignment"]["4"] is not None
    assert (run / "bias_variance.png").is_file()


def test_update_error_of_a_deterministic_learner_is_its_bias():
    import numpy as np

    from snnlearn.ratenet import REGRESSION_LOSS, make_learner
    from snnlearn.ratenet.estimators import flatten, true_gradient
    from snnlearn.ratenet.variance import log_interval, measure_update_error, problem

    p = {"base_size": 3}
    task = problem("hidden_all", 5, p, 0, 0)
    rng = np.random.default_rng(0)
    x, t = task.batch(rng, 4)
    fa = make_learner("feedback_alignment", rng=np.random.default_rng(1))
    out = measure_update_error(fa, task, x, t, 3, rng, 10_000)
    assert out["variance"] == 0 and out["normalized_variance"] == 0
    assert out["nmse"] == out["bias2"] > 0
    # by hand: summed |update - gradient|^2 over summed |gradient|^2
    names = list(task.student)
    grads = [flatten(true_gradient(task.arch, task.student, x[i : i + 1], t[i : i + 1]), names) for i in range(4)]
    errors = [
        flatten(fa.update(task.arch, task.student, x[i : i + 1], t[i : i + 1], REGRESSION_LOSS, rng), names) - grads[i]
        for i in range(4)
    ]
    norms = grads
    assert out["bias2"] == pytest.approx(sum(e @ e for e in errors) / sum(g @ g for g in norms))
    bp = measure_update_error(make_learner("backprop"), task, x, t, 3, rng, 10_000)
    assert bp["nmse"] == 0 and bp["cosine_true"] == pytest.approx(1.0)
    wp = measure_update_error(make_learner("weight_perturbation", sigma=1e-5), task, x, t, 64, rng, 10_000)
    assert wp["bias2"] == 0 and wp["nmse"] == wp["variance"] > 1
    assert log_interval([0.0, 0.0], 0.95) == (0.0, [0.0, 0.0])
    mean, (low, high) = log_interval([1.0, 10.0, 100.0], 0.95)
    assert mean == pytest.approx(10.0) and low < 10 < high and low > 0
    assert low * high == pytest.approx(100.0)  # symmetric in log space


def test_size_axes_have_integer_ticks_and_cosine_is_linear(quick):
    import matplotlib

    matplotlib.use("Agg")
    from snnlearn.ratenet.variance_plots import plot_by_n

    _, m = quick
    sizes = m["params"]["sizes"]
    summary = {
        "hidden_all": {
            "cos_true": m["update_cosine_true_by_n"]["hidden_all"],
            "cos_true_ci": m["update_cosine_true_ci_by_n"]["hidden_all"],
        }
    }
    ax = plot_by_n(summary, "cos_true", "cos_true_ci", sizes, "cosine", "t", logy=False).axes[0]
    assert ax.get_yscale() == "linear" and ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(n) for n in sizes]
