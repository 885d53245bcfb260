"""Reliability: malformed input never crashes, numerical trouble is named, runs are reproducible
across processes, kills at random moments lose nothing, the environment fails cleanly."""

from __future__ import annotations

import copy
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snnlearn import cli, engine
from snnlearn.data import load_dataset
from snnlearn.engine import backend_session
from snnlearn.errors import ConfigError
from snnlearn.experiment import models_dir, run_experiment
from snnlearn.results import WALL_CLOCK_METRICS, new_run_dir
from snnlearn.session import NumericalError, Session
from snnlearn.spec import parse_model

ERROR_LINE = re.compile(r"^error: [A-Za-z0-9_.\-\[\]]+: .+; .+$")
BASE = tomllib.loads((models_dir() / "song2000.toml").read_text())
TRIED = {"malformed": 0}


def leaf_paths(node, prefix=()):
    for key, value in node.items():
        if isinstance(value, dict) and value:
            yield from leaf_paths(value, (*prefix, key))
        yield (*prefix, key)


PATHS = sorted(set(leaf_paths(BASE)))
WRONG_VALUES = [True, [[1]], {"x": {"y": 1}}, "12 parsecs", float("inf"), float("nan"), -7, "-3 Hz", "inf ms"]


def set_path(raw, path, value):
    node = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def delete_path(raw, path):
    node = raw
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]


def _set_wrong_value(raw, draw) -> None:
    """A value no field of its kind accepts. A synapse's free parameters (``params``, the names its
    effect reads, e.g. an inhibitory scale) may be any finite quantity: a negative number or rate
    is not wrong there."""
    fixed = ("name", "reference", "pre", "post", "effect", "w_init", "connect")
    path = draw(st.sampled_from([p for p in PATHS if p[-1] not in fixed]))
    free = path[0] == "synapses" and len(path) > 3 and path[2] == "params"
    set_path(raw, path, draw(st.sampled_from([v for v in WRONG_VALUES if not (free and v in (-7, "-3 Hz"))])))


MUTATIONS = {
    "wrong type": lambda raw, draw: set_path(raw, draw(st.sampled_from(PATHS)), True),
    "wrong value": lambda raw, draw: _set_wrong_value(raw, draw),
    "missing section": lambda raw, draw: delete_path(
        raw,
        draw(
            st.sampled_from(
                [
                    ("groups",),
                    ("groups", "out", "n"),
                    ("groups", "out", "neuron"),
                    ("synapses", "feedforward", "pre"),
                    ("synapses", "feedforward", "effect"),
                    ("synapses", "feedforward", "rule", "name"),
                    ("name",),
                ]
            )
        ),
    ),
    "unknown name": lambda raw, draw: set_path(
        raw,
        draw(
            st.sampled_from(
                [
                    ("groups", "out", "neuron"),
                    ("synapses", "feedforward", "rule", "name"),
                    ("groups", "inputs", "kind"),
                    ("synapses", "feedforward", "rule", "interaction"),
                ]
            )
        ),
        draw(st.text("xyz_", min_size=1, max_size=8)),
    ),
    "wrong unit": lambda raw, draw: set_path(
        raw,
        draw(
            st.sampled_from(
                [
                    ("groups", "inputs", "rate"),
                    ("groups", "out", "params", "tau_m"),
                    ("simulation", "dt"),
                    ("synapses", "feedforward", "rule", "tau_plus"),
                    ("groups", "out", "params", "v_rest"),
                ]
            )
        ),
        draw(st.sampled_from(["5 nS", "3 kg", "2", "1 mV/ms", "7 Hz*ms"])),
    ),
    "negative size": lambda raw, draw: set_path(
        raw, ("groups", draw(st.sampled_from(["inputs", "out"])), "n"), draw(st.integers(max_value=0))
    ),
    "dangling reference": lambda raw, draw: set_path(
        raw,
        ("synapses", "feedforward", draw(st.sampled_from(["pre", "post"]))),
        draw(st.text("abc", min_size=1, max_size=6)),
    ),
    "duplicate name": lambda raw, draw: set_path(
        raw, ("synapses", draw(st.sampled_from(["inputs", "out"]))), copy.deepcopy(raw["synapses"]["inhibition"])
    ),
    "circular reference": lambda raw, draw: set_path(
        raw, ("synapses", "loop"), {"pre": "loop", "post": "loop", "effect": "g_e_post += w"}
    ),
}


@settings(max_examples=125, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_malformed_model_files_give_one_error_line_and_write_nothing(data, tmp_path_factory, capsys):
    raw = copy.deepcopy(BASE)
    for name in data.draw(st.lists(st.sampled_from(sorted(MUTATIONS)), min_size=1, max_size=3)):
        try:
            MUTATIONS[name](raw, data.draw)
        except (KeyError, TypeError):  # an earlier mutation removed the target
            continue
    if raw == BASE:
        return
    folder = tmp_path_factory.mktemp("malformed")
    path = folder / "model.toml"
    path.write_text(_to_toml(raw))
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        for args in (["check", str(path)], ["run", "song2000", "--model", str(path)]):
            status = cli.main(args)
            err = capsys.readouterr().err.strip().splitlines()
            err = [line for line in err if not line.startswith("warning:")]
            assert status == 2, (args, raw)
            assert len(err) == 1 and ERROR_LINE.match(err[0]), err
            assert not (folder / "results").exists()
    finally:
        os.chdir(cwd)
    TRIED["malformed"] += 1


def _to_toml(raw) -> str:
    """A minimal TOML writer for the mutated dicts (inline tables; non-finite floats as TOML)."""

    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            return "nan" if v != v else ("inf" if v == float("inf") else ("-inf" if v == -float("inf") else repr(v)))
        if isinstance(v, int):
            return str(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return "{ " + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + " }"

    return "\n".join(f"{json.dumps(k)} = {value(v)}" for k, v in raw.items()) + "\n"


def test_property_test_tried_many_malformed_files():
    """Runs after the property test (file order): it must have exercised over 100 inputs."""
    print(f"malformed model files tried: {TRIED['malformed']}")
    assert TRIED["malformed"] >= 100


@pytest.mark.parametrize("backend", ["runtime", pytest.param("standalone", marks=pytest.mark.standalone)])
def test_nan_state_is_named_with_its_likely_cause(capsys, backend):
    """Also on standalone, compiled with finite math (engine.compile_flags): the check reads the
    arrays in Python, so NaN and infinity are still found."""
    spec = parse_model(
        {
            "name": "unstable",
            "simulation": {"dt": "2 ms"},
            "groups": {
                "cells": {"neuron": "izhikevich", "n": 2, "params": {"a": "100 kHz"}, "init": {"I_ext": "5 mV"}}
            },
        }
    )
    if backend == "runtime":
        assert "more than a tenth of groups.cells.params.tau_syn" in capsys.readouterr().err
    with backend_session(backend, 1, key="test-unstable") as build_dir:
        from snnlearn.build import build_network

        net = build_network(spec)
        session = Session(net.network, backend=backend, chunk=1000 * engine.brian2.ms, build_dir=build_dir)
        with pytest.raises(NumericalError, match=r"^cells\.(v|u): became NaN or infinite before t = 1 s; .*dt"):
            session.run()
        if backend == "standalone":
            flags = (build_dir / "makefile").read_text()
            assert engine.FINITE_MATH_OFF not in flags and "-ffast-math" in flags.split("LFLAGS")[1]


TINY_SONG = [
    "duration=4 s",
    "chunk=2 s",
    "sample_dt=2 s",
    "rate_window=2 s",
    "groups.inputs.n=80",
    "input_rates=[20.0]",
]


def tiny_song(*extra):
    return ["--quick", *[a for s in TINY_SONG for a in ("--set", s)], *extra]


def test_same_seed_same_results_across_processes_runtime(tmp_path):
    env = {**os.environ, "SNNLEARN_CODEGEN": "numpy"}
    for name in ("a", "b"):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "snnlearn.cli",
                "run",
                "song2000",
                "--backend",
                "runtime",
                "--seed",
                "9",
                "--out",
                name,
                *tiny_song(),
            ],
            cwd=tmp_path,
            env=env,
            check=True,
            capture_output=True,
            timeout=600,
        )
    a, b = (np.load(tmp_path / n / "weights.npz") for n in ("a", "b"))
    np.testing.assert_array_equal(a["weights"], b["weights"])
    ma, mb = (json.loads((tmp_path / n / "metrics.json").read_text()) for n in ("a", "b"))
    assert ma["output_rate_by_input_rate"] == mb["output_rate_by_input_rate"]
    for key in ("seed", "backend", "params", "model", "versions", "quick"):
        assert key in ma
    assert ma["model"]["groups"]["inputs"]["n"] == 80  # parameters after overrides are recorded


@pytest.mark.slow
@pytest.mark.standalone
def test_random_kills_then_resume_equal_an_uninterrupted_run(tmp_path):
    """SIGKILL a Diehl & Cook run at random moments (2 or 3 times), resume each time, compare with a clean run.

    Slow (a minute or more): the default run kills ``distal_reward`` (tests/test_fault_injection.py),
    and the slow fault-injection tests kill ``diehl_cook`` at fixed points as well."""
    settings_ = [
        "n_excitatory=10",
        "epochs=0.12",
        "slots_per_chunk=20",
        "checkpoint_seconds=0",
        "curve_points=0",
        "assign_examples=60",
        "data.test=0:40",
    ]
    base = [
        sys.executable,
        "-m",
        "snnlearn.cli",
        "run",
        "diehl_cook",
        "--seed",
        "5",
        *[a for s in settings_ for a in ("--set", s)],
    ]
    subprocess.run([*base, "--out", "whole"], cwd=tmp_path, check=True, capture_output=True, timeout=900)
    rng, kills, folder = random.Random(0), 0, tmp_path / "killed"

    def command():
        return [*base, "--resume", "killed"] if folder.exists() else [*base, "--out", "killed"]

    while kills < 3 and not (folder / "metrics.json").exists():
        proc = subprocess.Popen(
            command(), cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        time.sleep(rng.uniform(1.0, 4.0))
        if proc.poll() is not None:
            continue
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        kills += 1
        for path in folder.glob("*"):  # every visible file is complete
            if path.suffix == ".npz":
                np.load(path)
            elif path.suffix == ".json":
                json.loads(path.read_text())
    if not (folder / "metrics.json").exists():
        subprocess.run(command(), cwd=tmp_path, check=True, capture_output=True, timeout=900)
    print(f"kill-and-resume trials: {kills}")
    assert kills >= 2
    whole, again = np.load(tmp_path / "whole" / "network.npz"), np.load(tmp_path / "killed" / "network.npz")
    for key in ("weights", "theta_mV", "assignments"):
        np.testing.assert_array_equal(whole[key], again[key])


def test_concurrent_runs_never_share_a_folder(tmp_path):
    folders, threads = (
        [],
        [threading.Thread(target=lambda: folders.append(new_run_dir(tmp_path, "x", 1))) for _ in range(24)],
    )
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(folders)) == 24


def test_missing_compiler_falls_back_or_fails_clearly(monkeypatch, capsys):
    monkeypatch.setattr(engine, "compiler_available", lambda: False)
    assert engine.resolve_backend("standalone", explicit=False) == "runtime"
    assert "no C++ compiler found" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="--backend: standalone needs a C\\+\\+ compiler"):
        engine.resolve_backend("standalone", explicit=True)


def test_failed_standalone_build_falls_back_to_runtime(monkeypatch, tmp_path, capsys):
    def broken_build(*args, **kwargs):
        raise RuntimeError("Project compilation failed (error code: 2)")

    monkeypatch.setattr(engine.device, "build", broken_build)
    run = run_experiment("song2000", quick=True, out=tmp_path / "fallback", sets=TINY_SONG)
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["backend"] == "runtime"
    assert "standalone build" in capsys.readouterr().err
    status = cli.main(["run", "song2000", "--backend", "standalone", "--out", str(tmp_path / "explicit"), *tiny_song()])
    assert status == 1
    assert "run with --backend runtime instead" in capsys.readouterr().err


def test_missing_dataset_names_the_file_and_where(tmp_path):
    with pytest.raises(ConfigError, match=r"data.path: t10k-images-idx3-ubyte\(\.gz\) not found in /"):
        load_dataset(str(tmp_path))
    with pytest.raises(ConfigError, match="is not a folder"):
        load_dataset(str(tmp_path / "nowhere"))
    assert Path(tmp_path).is_dir()


@pytest.mark.standalone
@pytest.mark.parametrize(
    "name, sets, second_checkpoint, arrays, loop",
    [
        (
            "song2000",
            ["duration=20 s", "chunk=5 s", "rate_window=10 s"],
            "checkpoint_1.npz",
            "weights.npz",
            "run_in_chunks",
        ),
        ("homeostasis", ["duration=8 s"], "checkpoint_control.npz", "homeostasis.npz", "run_in_chunks"),
    ],
)
def test_run_stopped_between_conditions_resumes_to_the_same_result(
    tmp_path, monkeypatch, name, sets, second_checkpoint, arrays, loop
):
    """A run stopped right after its first condition's last checkpoint resumes without
    re-simulating that condition (nothing of it may be read back from the simulator)."""
    from snnlearn.experiment import load_experiment

    whole = run_experiment(name, quick=True, seed=4, sets=sets, out=tmp_path / "whole")
    module = load_experiment(name)
    real = getattr(module, loop)  # the chunk loop: session.run_in_chunks

    def stop_at_second_condition(runner, n_chunks, record, *, checkpoint, **kwargs):
        if checkpoint.name == second_checkpoint:
            raise KeyboardInterrupt  # as if killed right after the first condition's last checkpoint
        return real(runner, n_chunks, record, checkpoint=checkpoint, **kwargs)

    monkeypatch.setattr(module, loop, stop_at_second_condition)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(name, quick=True, seed=4, sets=sets, out=tmp_path / "stopped")
    monkeypatch.setattr(module, loop, real)
    run_experiment(name, quick=True, seed=4, sets=sets, resume=tmp_path / "stopped")
    a, b = np.load(whole / arrays), np.load(tmp_path / "stopped" / arrays)
    for key in a.files:
        np.testing.assert_array_equal(a[key], b[key])
    m_whole, m_resumed = (json.loads((d / "metrics.json").read_text()) for d in (whole, tmp_path / "stopped"))
    for key, value in m_whole.items():
        if key not in WALL_CLOCK_METRICS:
            assert m_resumed[key] == value, key
    for figure in whole.glob("*.png"):  # drawn from the checkpointed records, e.g. the last spikes
        assert (tmp_path / "stopped" / figure.name).stat().st_size > 5000, figure.name
