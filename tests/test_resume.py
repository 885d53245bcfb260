"""A run folder knows what it is: a resume takes its settings from it, refuses what contradicts
them, a damaged checkpoint or a folder being written, and changes nothing when it refuses."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from snnlearn import session as session_module
from snnlearn.cli import main
from snnlearn.errors import ConfigError
from snnlearn.experiment import run_experiment
from snnlearn.results import lock_run_dir

TINY = [
    "duration=4 s",
    "chunk=1 s",
    "sample_dt=1 s",
    "rate_window=2 s",
    "raster_seconds=0.5",
    "groups.inputs.n=60",
    "input_rates=[20.0]",
]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and p.name != ".lock"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """An uninterrupted run and one stopped after two of its four chunks (seed 7, --quick)."""
    root = tmp_path_factory.mktemp("resume")
    whole = run_experiment("song2000", seed=7, quick=True, backend="runtime", sets=TINY, out=root / "whole")
    real = session_module.run_in_chunks

    def stop_after_two(session, n_chunks, record, **kwargs):
        real(session, 2, record, **kwargs)
        raise KeyboardInterrupt

    session_module.run_in_chunks = stop_after_two
    import importlib

    song = importlib.import_module("snnlearn_experiments.song2000")
    song.run_in_chunks = stop_after_two
    try:
        with pytest.raises(KeyboardInterrupt):
            run_experiment("song2000", seed=7, quick=True, backend="runtime", sets=TINY, out=root / "stopped")
    finally:
        session_module.run_in_chunks = real
        song.run_in_chunks = real
    return whole, root / "stopped"


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--seed", "8"], "--seed"),
        (["--set", "duration=8 s"], "--set"),
        (["--backend", "standalone"], "--backend"),
    ],
)
def test_a_flag_that_contradicts_the_run_is_refused_and_nothing_changes(runs, argv, field, capsys):
    _, stopped = runs
    before = snapshot(stopped)
    assert main(["run", "song2000", "--resume", str(stopped), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {field}: ") and "contradicts the run in" in err[0]
    assert snapshot(stopped) == before


def test_another_experiment_is_refused(runs, capsys):
    _, stopped = runs
    assert main(["run", "distal_reward", "--resume", str(stopped)]) == 2
    assert capsys.readouterr().err.startswith("error: experiment: 'distal_reward' contradicts")


def test_an_empty_folder_or_a_finished_run_is_refused(runs, tmp_path):
    whole, _ = runs
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="not a run folder"):
        run_experiment(None, resume=tmp_path / "empty")
    with pytest.raises(ConfigError, match="already finished"):
        run_experiment(None, resume=whole)


def test_a_damaged_checkpoint_is_one_line_and_changes_nothing(runs, tmp_path, capsys):
    import shutil

    _, stopped = runs
    copy = tmp_path / "copy"
    shutil.copytree(stopped, copy)
    checkpoint = copy / "checkpoint_0.npz"
    data = bytearray(checkpoint.read_bytes())
    data[len(data) // 2] ^= 0xFF
    checkpoint.write_bytes(bytes(data))
    before = snapshot(copy)
    assert main(["run", "--resume", str(copy)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "checkpoint_0.npz: damaged checkpoint" in err[0] and "delete it" in err[0]
    assert snapshot(copy) == before
    checkpoint.write_bytes(bytes(data[:100]))  # truncated
    assert main(["run", "--resume", str(copy)]) == 2
    assert "damaged checkpoint" in capsys.readouterr().err


def test_a_folder_being_written_is_refused(runs):
    _, stopped = runs
    with lock_run_dir(stopped), pytest.raises(ConfigError, match="being written by another process"):
        run_experiment(None, resume=stopped)


def test_resume_alone_finishes_the_run_as_if_never_stopped(runs):
    whole, stopped = runs
    assert json.loads((stopped / "params.json").read_text())["seed"] == 7
    run_experiment(None, resume=stopped)  # no name, seed or --set: all from the folder
    a, b = np.load(whole / "weights.npz"), np.load(stopped / "weights.npz")
    for key in a.files:
        np.testing.assert_array_equal(a[key], b[key])
    m1, m2 = (json.loads((d / "metrics.json").read_text()) for d in (whole, stopped))
    assert m1["seed"] == m2["seed"] == 7 and m1["weight_bimodality"] == m2["weight_bimodality"]
