"""``snnlearn export RUN --to FILE.nwb``, and ``snnlearn.load_run``, on a short song2000 run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import snnlearn
from snnlearn.errors import ConfigError

pynwb = pytest.importorskip("pynwb")
nwbinspector = pytest.importorskip("nwbinspector")

# song2000 --quick, shortened further: two 2-s chunks at one input rate, 250 inputs at 40 Hz
SHORT = [
    "--set",
    "duration=4 s",
    "--set",
    "chunk=2 s",
    "--set",
    "sample_dt=2 s",
    "--set",
    "rate_window=2 s",
    "--set",
    "input_rates=[40.0]",
    "--set",
    "groups.inputs.n=250",
]


def snnlearn_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snnlearn.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def song_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("song")
    ran = snnlearn_cli("run", "song2000", "--quick", "--backend", "runtime", *SHORT, "--out", "run", cwd=folder)
    assert ran.returncode == 0, ran.stderr
    return folder / "run"


def test_load_run_reads_spikes_and_weights(song_run):
    run = snnlearn.load_run(song_run)
    assert run.experiment == "song2000" and run.params["chunk"] == "2. s"
    assert set(run.spikes) == {"inputs", "out"}
    out = run.spikes["out"]
    assert out.times_s.size > 0 and (out.indices == 0).all()
    assert ((out.times_s >= 2.0) & (out.times_s < 4.0)).all()  # the last chunk, in absolute time
    weights = run.weights["weights"]
    assert weights.values.shape == (2, 250) and np.allclose(weights.times_s, [2.0, 4.0])
    assert run.trajectories["rate_40Hz"].unit == "Hz"


def test_export_round_trip_and_nwbinspector(song_run, tmp_path):
    target = tmp_path / "song.nwb"
    done = snnlearn_cli("export", str(song_run), "--to", str(target), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run = snnlearn.load_run(song_run)
    with pynwb.NWBHDF5IO(str(target), "r") as io:
        nwb = io.read()
        units = nwb.units.to_dataframe()
        assert list(units["group"]) == ["out"]
        assert np.allclose(units["spike_times"].iloc[0], run.spikes["out"].times_s)
        stim = nwb.stimulus["inputs_spikes"]
        assert np.array_equal(stim.data[:], run.spikes["inputs"].indices)
        assert np.allclose(stim.timestamps[:], run.spikes["inputs"].times_s)
        misc = nwb.processing["misc"]
        blocks = sorted(
            (name for name in misc.data_interfaces if name.startswith("weights_COLS_")),
            key=lambda name: int(name.split("_")[-2]),
        )
        weights = np.concatenate([misc[name].data[:] for name in blocks], axis=1)
        assert np.allclose(weights, run.weights["weights"].values)
        assert misc["rate_40Hz"].unit == "Hz" and misc[blocks[0]].rate == pytest.approx(0.5)
        assert "stdp_additive" in nwb.source_script and '"git_commit"' in nwb.notes
    findings = list(nwbinspector.inspect_nwbfile(nwbfile_path=str(target)))
    serious = [f for f in findings if f.importance.name in ("CRITICAL", "ERROR", "PYNWB_VALIDATION")]
    assert not serious, [f.message for f in serious]


def test_a_folder_that_is_not_a_finished_run_is_one_line_exit_2(tmp_path):
    (tmp_path / "unfinished").mkdir()
    (tmp_path / "unfinished" / "params.json").write_text("{}")
    done = snnlearn_cli("export", "unfinished", "--to", "x.nwb", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: RUN_DIR: unfinished is not a finished run (no metrics.json); give the folder of a finished run"
    )
    assert not (tmp_path / "x.nwb").exists()
    with pytest.raises(ConfigError, match="is not a folder"):
        snnlearn.load_run(tmp_path / "nothing")
