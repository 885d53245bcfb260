"""The Diehl & Cook experiment end to end on the embedded digits (kill-and-resume: test_reliability)."""

from __future__ import annotations

import json

import pytest

from snnlearn.experiment import run_experiment


@pytest.mark.standalone
def test_quick_run_is_far_above_chance(run_dir):
    metrics = json.loads((run_experiment("diehl_cook", quick=True, out=run_dir) / "metrics.json").read_text())
    assert metrics["dataset"] == "digits" and metrics["n_excitatory"] == 50
    assert metrics["test_accuracy"] > 0.35       # chance: 0.10
    assert metrics["test_accuracy_logreg"] > 0.5
    assert metrics["train_examples"] >= 600
    assert sum(metrics["neurons_per_class"]) == 50
    for figure in ("receptive_fields.png", "accuracy_curve.png", "raster.png", "theta_distribution.png",
                   "confusion_matrix.png"):
        assert (run_dir / figure).is_file()
