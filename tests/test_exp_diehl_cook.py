"""The Diehl & Cook experiment end to end on the embedded digits, and exact resume after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from snnlearn.experiment import run_experiment

TINY = ["n_excitatory=20", "epochs=0.15", "slots_per_chunk=25", "curve_points=0", "assign_examples=150",
        "data.test=0:100"]


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


def cli(*args, cwd):
    return [sys.executable, "-m", "snnlearn.cli", "run", "diehl_cook", "--seed", "4",
            *[a for s in TINY for a in ("--set", s)], *args]


@pytest.mark.standalone
def test_killed_run_resumes_to_the_uninterrupted_result(tmp_path):
    subprocess.run(cli("--out", "whole", cwd=tmp_path), cwd=tmp_path, check=True, capture_output=True, timeout=900)
    killed = subprocess.Popen(cli("--out", "killed", cwd=tmp_path), cwd=tmp_path, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    checkpoint = tmp_path / "killed" / "checkpoint.npz"
    deadline = time.time() + 600
    while not checkpoint.exists() and killed.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    assert checkpoint.exists() and not (tmp_path / "killed" / "metrics.json").exists()
    resumed = subprocess.run(cli("--resume", "killed", cwd=tmp_path), cwd=tmp_path, capture_output=True,
                             text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming at example" in resumed.stderr
    whole = np.load(tmp_path / "whole" / "network.npz")
    again = np.load(tmp_path / "killed" / "network.npz")
    for key in ("weights", "theta_mV", "assignments"):
        np.testing.assert_array_equal(whole[key], again[key])
    a = json.loads((tmp_path / "whole" / "metrics.json").read_text())
    b = json.loads((tmp_path / "killed" / "metrics.json").read_text())
    assert a["test_accuracy"] == b["test_accuracy"] and a["train_examples"] == b["train_examples"]
