"""A user's own files: ``snnlearn init``, ``snnlearn run PATH.py``, ``--model PATH``; provenance in metrics.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from snnlearn import paths
from snnlearn.experiment import models_dir
from snnlearn.provenance import sha256_file


def snnlearn(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snnlearn.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def test_init_writes_templates_that_run_and_record_provenance(tmp_path):
    made = snnlearn("init", "mine", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    script, model = tmp_path / "mine" / "my_experiment.py", tmp_path / "mine" / "my_experiment_model.toml"
    assert script.is_file() and model.read_text().startswith("# A model file")
    assert snnlearn("check", str(model), cwd=tmp_path).returncode == 0
    ran = snnlearn("run", "mine/my_experiment.py", "--quick", "--out", "run", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["experiment"] == "my_experiment" and metrics["output_rate_hz"] >= 0
    assert metrics["model_file"] == str(model.resolve())
    prov = metrics["provenance"]
    assert prov["model_file_sha256"] == sha256_file(model) and len(prov["model_sha256"]) == 64
    assert prov["version"] == metrics["versions"]["snnlearn"]
    if paths.checkout_root() is not None:  # run from a git checkout: its commit
        assert len(prov["git_commit"]) == 40 and isinstance(prov["git_dirty"], bool)


def test_init_never_overwrites(tmp_path):
    assert snnlearn("init", "mine", cwd=tmp_path).returncode == 0
    again = snnlearn("init", "mine", cwd=tmp_path)
    assert again.returncode == 2 and again.stderr.strip().startswith("error: DIR: mine/my_experiment.py exists")
    assert len(again.stderr.strip().splitlines()) == 1


def test_a_model_file_anywhere_and_a_missing_script(tmp_path):
    own = tmp_path / "elsewhere" / "pairing.toml"
    own.parent.mkdir()
    own.write_text((models_dir() / "stdp_pairing.toml").read_text())
    ran = snnlearn(
        "run", "stdp_window", "--quick", "--backend", "runtime", "--model", str(own), "--out", "run", cwd=tmp_path
    )
    assert ran.returncode == 0, ran.stderr
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["model_file"] == str(own) and metrics["provenance"]["model_file_sha256"] == sha256_file(own)
    missing = snnlearn("run", "nowhere/mine.py", cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        "error: experiment: file nowhere/mine.py not found; give an experiment name or a script path"
    )


def test_data_is_found_in_the_checkout_or_the_package():
    root = paths.data_root()
    assert (root / "experiments" / "song2000.py").is_file() and (root / "models" / "song2000.toml").is_file()


def test_snnlearn_home_overrides_the_packaged_folders(tmp_path):
    home = tmp_path / "home"
    (home / "experiments").mkdir(parents=True)
    (home / "models").mkdir()
    (home / "experiments" / "stdp_window.py").write_text(
        (paths.data_root() / "experiments" / "stdp_window.py").read_text()
    )
    (home / "models" / "stdp_pairing.toml").write_text((models_dir() / "stdp_pairing.toml").read_text())
    listed = subprocess.run(
        [sys.executable, "-m", "snnlearn.cli", "list"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "SNNLEARN_HOME": str(home)},
    )
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines() if line.startswith("  ")]
    assert names == ["stdp_window", "stdp_pairing"]
