"""Fault injection: SIGKILL a run at chosen points, damage its newest checkpoint, resume.

A resume must either end with exactly the metrics and arrays of an uninterrupted run or refuse
with one ``error:`` line and change nothing: never a mixed result. The default run kills
``distal_reward --quick`` (runtime backend, shortened) once after its second checkpoint; the
``slow`` tests kill ``distal_reward --quick`` and ``diehl_cook --quick`` on their own backend
(standalone) at several points, during start-up and compilation included, and restart from a
deleted damaged checkpoint. (``tests/test_reliability.py`` kills ``diehl_cook`` at random moments
without damaging anything.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from snnlearn.results import WALL_CLOCK_METRICS

#: metrics that differ between two runs of one computation (times, memory)
UNTIMED = WALL_CLOCK_METRICS
DISTAL = [
    "distal_reward",
    "--quick",
    "--seed",
    "3",
    "--set",
    "duration=4 s",
    "--set",
    "chunk=1 s",
    "--set",
    "stats_dt=1 s",
]
#: smaller still for the default run (NumPy code generation runs the reward detection as a Python loop)
DISTAL_SMALL = [
    "distal_reward",
    "--quick",
    "--seed",
    "3",
    "--set",
    "duration=1 s",
    "--set",
    "chunk=0.25 s",
    "--set",
    "stats_dt=0.25 s",
    "--set",
    "reward_delay_max=0.5 s",
    "--set",
    "groups.exc.n=160",
    "--set",
    "groups.inh.n=40",
]
DIEHL_COOK = [
    "diehl_cook",
    "--quick",
    "--seed",
    "5",
    "--set",
    "n_excitatory=10",
    "--set",
    "epochs=0.12",
    "--set",
    "slots_per_chunk=20",
    "--set",
    "checkpoint_seconds=0",  # a checkpoint after every chunk, so that kills land between checkpoints
    "--set",
    "curve_points=1",
    "--set",
    "curve_assign_examples=60",
    "--set",
    "curve_test_examples=40",
    "--set",
    "assign_examples=60",
    "--set",
    "data.test=0:40",
]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "snnlearn.cli", *args]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and p.name != ".lock"}


def checkpoint_versions(folder: Path) -> Callable[[], int]:
    """A counter of the distinct versions of ``folder/checkpoint.npz`` seen so far (each write
    is a new file renamed into place)."""
    seen: set[tuple[int, int]] = set()

    def count() -> int:
        try:
            st = (folder / "checkpoint.npz").stat()
            seen.add((st.st_ino, st.st_mtime_ns))
        except FileNotFoundError:
            pass
        return len(seen)

    return count


def kill_when(command: list[str], cwd: Path, ready: Callable[[], bool], timeout: float = 600) -> bool:
    """Run ``command`` and SIGKILL its process group as soon as ``ready()``; False if it ended first."""
    proc = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if ready():
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError(f"{command} did not reach its kill point in {timeout} s")
        time.sleep(0.005)
    return False


def forked(argv: list[str], cwd: Path, stderr: Path | None = None) -> int:
    """Run ``snnlearn ARGV`` in a forked child (imports already done, so it starts at once);
    returns its pid. Its stdout goes to /dev/null, its stderr to ``stderr`` (or /dev/null)."""
    from snnlearn import cli as snnlearn_cli

    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 1
        try:
            os.chdir(cwd)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(os.open(stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC) if stderr else devnull, 2)
            sys.stdout, sys.stderr = open(1, "w", closefd=False), open(2, "w", closefd=False)
            status = snnlearn_cli.main(argv)
        finally:
            sys.stderr.flush()
            os._exit(status)
    return pid


def fork_and_kill_when(
    argv: list[str], cwd: Path, ready: Callable[[], bool] | None, timeout: float = 600, stderr: Path | None = None
) -> int:
    """:func:`forked`, SIGKILLed as soon as ``ready()`` (None: waited for); returns its exit status
    (-9 when killed)."""
    pid = forked(argv, cwd, stderr)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if ready is not None and ready():
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return -signal.SIGKILL
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            raise AssertionError(f"snnlearn {argv} did not end or reach its kill point in {timeout} s")
        time.sleep(0.005)


def assert_files_complete(folder: Path) -> None:
    """Every visible file of a killed run reads back (writes are atomic)."""
    for path in folder.iterdir():
        if path.suffix == ".npz":
            np.load(path).files  # noqa: B018 - reading is the check
        elif path.suffix == ".json":
            json.loads(path.read_text())


def damage(path: Path) -> bytes:
    """Flip one byte in the middle of ``path``; returns its original contents."""
    original = path.read_bytes()
    data = bytearray(original)
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return original


def refused_with_one_line(argv: list[str], cwd: Path, folder: Path) -> str:
    """``snnlearn ARGV`` (a resume, forked) exits 2 with one ``error:`` line naming the damaged
    checkpoint, and changes nothing in ``folder``."""
    before = snapshot(folder)
    err = cwd / "stderr.txt"
    status = fork_and_kill_when(argv, cwd, None, stderr=err)
    lines = [line for line in err.read_text().splitlines() if line.strip() and not line.startswith("warning:")]
    assert status == 2 and len(lines) == 1, err.read_text()
    assert lines[0].startswith("error: ") and "checkpoint.npz: damaged checkpoint" in lines[0], lines[0]
    assert snapshot(folder) == before
    return lines[0]


def assert_same_results(whole: Path, resumed: Path, arrays: str) -> None:
    """Identical metrics (but times and memory) and identical arrays."""
    a, b = (json.loads((d / "metrics.json").read_text()) for d in (whole, resumed))
    assert a.keys() == b.keys()
    for m in (a, b):  # the checkout's commit may move while the test runs; the model hashes may not
        m["provenance"] = {k: v for k, v in m["provenance"].items() if not k.startswith("git_")}
    for key, value in a.items():
        if key not in UNTIMED:
            assert b[key] == value, key
    x, y = np.load(whole / arrays), np.load(resumed / arrays)
    assert x.files == y.files
    for key in x.files:
        np.testing.assert_array_equal(x[key], y[key], err_msg=key)


def test_distal_reward_killed_and_damaged_resumes_identically_or_refuses(tmp_path, monkeypatch):
    """Kill after the second of four checkpoints; a damaged newest checkpoint is refused in one
    line with nothing changed; the intact one resumes to the uninterrupted run's results.

    The uninterrupted run is made in this process, so that the forked runs inherit Brian2's
    caches of generated code (its first chunk costs seconds of SymPy otherwise)."""
    from snnlearn import cli as snnlearn_cli

    base = ["run", *DISTAL_SMALL, "--backend", "runtime"]
    monkeypatch.chdir(tmp_path)
    assert snnlearn_cli.main(["-q", *base, "--out", "whole"]) == 0
    folder = tmp_path / "killed"
    versions = checkpoint_versions(folder)
    assert fork_and_kill_when([*base, "--out", "killed"], tmp_path, lambda: versions() >= 2) == -signal.SIGKILL
    assert_files_complete(folder)
    assert not (folder / "metrics.json").exists()
    original = damage(folder / "checkpoint.npz")
    refused_with_one_line(["run", "--resume", "killed"], tmp_path, folder)
    (folder / "checkpoint.npz").write_bytes(original)
    assert fork_and_kill_when(["run", "--resume", "killed"], tmp_path, None) == 0
    assert_same_results(tmp_path / "whole", folder, "weights.npz")
    assert not (folder / "checkpoint.npz").exists()  # a finished run keeps no checkpoint


@pytest.mark.slow
@pytest.mark.standalone
@pytest.mark.parametrize(
    ("experiment", "arrays"),
    [(DISTAL, "weights.npz"), (DIEHL_COOK, "network.npz")],
    ids=["distal_reward", "diehl_cook"],
)
def test_kills_at_several_points_then_a_damaged_checkpoint(tmp_path, experiment, arrays):
    """On the experiment's own backend: kill while it starts (before any checkpoint), after the
    first checkpoint and after two more; damage the newest: refused in one line, nothing changed;
    delete it as the message says: the run restarts in its folder and ends as the uninterrupted one."""
    base = cli("run", *experiment)
    subprocess.run([*base, "--out", "whole"], cwd=tmp_path, check=True, capture_output=True, timeout=900)
    folder = tmp_path / "killed"
    versions = checkpoint_versions(folder)
    resume = cli("run", "--resume", "killed")
    assert kill_when([*base, "--out", "killed"], tmp_path, lambda: (folder / "params.json").exists())
    assert_files_complete(folder)
    for wanted in (1, 3):
        assert kill_when(resume, tmp_path, lambda wanted=wanted: versions() >= wanted)
        assert_files_complete(folder)
    damage(folder / "checkpoint.npz")
    message = refused_with_one_line(["run", "--resume", "killed"], tmp_path, folder)
    assert "delete it" in message
    (folder / "checkpoint.npz").unlink()
    subprocess.run(resume, cwd=tmp_path, check=True, capture_output=True, timeout=900)
    assert_same_results(tmp_path / "whole", folder, arrays)
