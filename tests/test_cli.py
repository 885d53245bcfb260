"""The ``snnlearn`` command end to end: list, check, run, and one-line errors on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from snnlearn.experiment import models_dir


def snnlearn(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "snnlearn.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=900)


def test_list_names_experiments_and_models(tmp_path):
    result = snnlearn("list", cwd=tmp_path)
    assert result.returncode == 0
    assert "song2000" in result.stdout and "Song, Miller & Abbott" in result.stdout


def test_check_prints_what_the_model_builds(tmp_path):
    result = snnlearn("check", str(models_dir() / "song2000.toml"), "--set", "groups.inputs.n=500", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "group inputs: 500 x poisson" in result.stdout
    assert "rule stdp_additive" in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["run", "nosuch"], "error: experiment: unknown experiment 'nosuch'; allowed: "),
    (["run", "song2000", "--set", "groups.inputs.rate=20 mV"], "error: groups.inputs.rate: '20 mV' has the wrong unit"),
    (["run", "song2000", "--set", "groups.inputs.n=-5"], "error: groups.inputs.n: -5 is out of range"),
    (["run", "song2000", "--set", "durration=10"], "error: durration: unknown parameter; allowed: "),
    (["run", "song2000", "--set", "synapses.feedforward.rule.name=nope"],
     "error: synapses.feedforward.rule.name: unknown rule 'nope'; allowed: "),
    (["run", "song2000", "--backend", "gpu"], "error: --backend: unknown backend 'gpu'; allowed: runtime, standalone"),
    (["run", "song2000", "--model", "missing.toml"], "error: --model: file missing.toml not found"),
    (["run", "song2000", "--set", "chunk=0 s"], "error: chunk: "),
    (["run", "song2000", "--seed", "x"], "error: snnlearn run: argument --seed: invalid int value"),
    (["frobnicate"], "error: snnlearn: argument command: invalid choice"),
    (["check", "missing.toml"], "error: FILE: file missing.toml not found"),
])
def test_bad_input_is_one_error_line_exit_2_and_nothing_written(tmp_path, args, message):
    result = snnlearn(*args, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(message), lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "results").exists()


def test_out_folder_that_is_not_empty_is_refused(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("keep me")
    result = snnlearn("run", "song2000", "--quick", "--out", "taken", cwd=tmp_path)
    assert result.returncode == 2 and "error: --out:" in result.stderr
    assert (tmp_path / "taken" / "file").read_text() == "keep me"


@pytest.mark.standalone
def test_song2000_quick_end_to_end(tmp_path):
    result = snnlearn("run", "song2000", "--quick", "--out", "song", "--seed", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    run = tmp_path / "song"
    metrics = json.loads((run / "metrics.json").read_text())
    for key in ("experiment", "seed", "backend", "quick", "wall_time_s", "versions"):
        assert key in metrics
    assert metrics["seed"] == 3 and metrics["quick"] is True and metrics["backend"] == "standalone"
    assert set(metrics["versions"]) >= {"python", "snnlearn", "brian2", "numpy"}
    for figure in ("raster.png", "weight_histogram_over_time.png", "weight_histogram_final.png"):
        assert (run / figure).stat().st_size > 5000
    # uniform initial weights put 20% of synapses within 10% of a bound; STDP competition pushes
    # weights to the bounds, faster at the higher input rate
    by_rate = metrics["weight_bimodality_by_input_rate"]
    assert metrics["weight_bimodality"] > 0.27
    assert by_rate["40"] > by_rate["10"]
    # before learning the output rate follows the input rate steeply; learning flattens it
    rates, initial = metrics["output_rate_by_input_rate"], metrics["output_rate_initial_by_input_rate"]
    assert initial["40"] / initial["10"] > rates["40"] / rates["10"]
    assert not list(run.glob("checkpoint*"))
