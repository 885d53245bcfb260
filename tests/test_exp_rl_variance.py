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
        metrics["variance_slope_theory_by_estimator"]["linear_all"]["weight_perturbation"], abs=0.3)
    by_dimension = metrics["variance_slope_vs_dimension_by_estimator"]["linear_all"]
    assert by_dimension["weight_perturbation"] == pytest.approx(1.0, abs=0.2)
    assert by_dimension["node_perturbation"] == pytest.approx(1.0, abs=0.3)


def test_variance_matches_theory_and_baseline_helps(quick):
    _, metrics = quick
    nvar = metrics["normalized_variance_by_n"]
    theory = metrics["normalized_variance_theory_by_n"]["linear_all"]["weight_perturbation"]
    for n, value in nvar["linear_all"]["weight_perturbation"].items():
        assert value == pytest.approx(theory[n], rel=0.5)
    for scan, units in (("linear_all", "gaussian"), ("hidden_all", "gaussian"),
                        ("hidden_all", "bernoulli")):
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
    for figure in ("normalized_variance.png", "cosine.png", "learning_time.png",
                   "learning_curves.png"):
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
