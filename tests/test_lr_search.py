"""Each learner's own learning rate, chosen on a validation split (snnlearn.ratenet.lr_search)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from snnlearn.data import Dataset
from snnlearn.errors import ConfigError
from snnlearn.experiment import run_experiment
from snnlearn.ratenet.lr_search import check_lr_search, select_learning_rates, validation_split


def _data(n: int = 100) -> Dataset:
    rng = np.random.default_rng(0)
    return Dataset(
        "toy", rng.random((n, 4)), np.arange(n) % 5, rng.random((7, 4)), np.zeros(7, int), (2, 2), "toy split"
    )


def test_validation_split_is_stratified_disjoint_and_never_the_test_set():
    data = _data()
    split = validation_split(data, 0.2, np.random.default_rng(1))
    assert len(split.y_test) == 20 and len(split.y_train) == 80
    assert np.bincount(split.y_test).tolist() == [4] * 5
    rows = {tuple(r) for r in split.x_train}
    assert rows.isdisjoint({tuple(r) for r in split.x_test})
    assert rows | {tuple(r) for r in split.x_test} == {tuple(r) for r in data.x_train}
    assert "validation: 20" in split.split


def test_each_learner_gets_the_best_rate_of_the_same_grid():
    best = {"a": 0.01, "b": 0.001}
    seen = []

    def score(name, lr, split):
        seen.append((name, lr, len(split.y_test)))
        return -abs(np.log(lr / best[name]))

    p = {"lr": 0.5, "lr_grid": [0.001, 0.003, 0.01], "validation_fraction": 0.3, "lr_by_learner": {"c": 0.2}}
    out = select_learning_rates(["a", "b", "c"], p, _data(), score, 0)
    assert out["lr_by_learner"] == {"a": 0.01, "b": 0.001, "c": 0.2}
    assert out["lr_chosen"] == {"a": 0.01, "b": 0.001} and out["lr_fixed"] == {"c": 0.2}
    assert out["lr_grid"] == [0.001, 0.003, 0.01] and out["validation_examples"] == 30
    assert {(n, lr) for n, lr, _ in seen} == {(n, lr) for n in "ab" for lr in p["lr_grid"]}
    assert all(v == 30 for *_, v in seen)
    assert out["validation_accuracy_by_lr"]["a"]["0.01"] == 0


def test_ties_go_to_the_smaller_rate_and_no_grid_means_lr():
    out = select_learning_rates(["a"], {"lr": 0.1, "lr_grid": [0.003, 0.001, 0.01]}, _data(), lambda *_: 0.5, 0)
    assert out["lr_by_learner"] == {"a": 0.001}
    calls = []
    out = select_learning_rates(["a"], {"lr": 0.1, "lr_grid": []}, _data(), lambda *a: calls.append(a), 0)
    assert out["lr_by_learner"] == {"a": 0.1} and not calls and out["lr_chosen"] == {}
    out = select_learning_rates(
        ["a"],
        {"lr": 0.1, "lr_grid": [1.0], "lr_by_estimator": {"a": 0.2}},
        _data(),
        lambda *a: calls.append(a),
        0,
        by_learner="lr_by_estimator",
    )
    assert out["lr_by_learner"] == {"a": 0.2} and not calls


@pytest.mark.parametrize(
    "p",
    [
        {"lr_grid": [0.1, 0]},
        {"lr_grid": [-1.0]},
        {"lr_grid": ["x"]},
        {"lr_grid": [0.1], "validation_fraction": 1.0},
        {"lr_grid": [0.1], "validation_fraction": 0},
    ],
)
def test_bad_settings_are_config_errors(p):
    with pytest.raises(ConfigError):
        check_lr_search(p)


def test_estimator_digits_quick_chooses_each_rate_on_validation(tmp_path):
    run = run_experiment("estimator_digits", quick=True, out=tmp_path / "run")
    m = json.loads((run / "metrics.json").read_text())
    rates = m["learning_rates"]
    assert rates["lr_grid"] == [0.001, 0.003, 0.01]
    assert set(rates["lr_chosen"]) == {"backprop", "node_perturbation"}
    for name, by_lr in rates["validation_accuracy_by_lr"].items():
        assert by_lr[f"{rates['lr_chosen'][name]:g}"] == max(by_lr.values())
    assert rates["validation_examples"] == pytest.approx(0.2 * m["train_examples"], abs=10)
    acc = m["test_accuracy_by_estimator"]
    assert acc["backprop"] > 0.85 and acc["node_perturbation"] < acc["backprop"]
    assert (run / "learning_curves.png").is_file()
