"""The ``snnlearn`` command end to end: list, check, run, and one-line errors on bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from snnlearn import cli
from snnlearn.experiment import models_dir, project_root


def snnlearn(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snnlearn.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=900
    )


def test_list_names_experiments_and_models(tmp_path):
    result = snnlearn("list", cwd=tmp_path)
    assert result.returncode == 0
    assert "song2000" in result.stdout and "Song, Miller & Abbott" in result.stdout


def test_check_prints_what_the_model_builds(tmp_path):
    result = snnlearn("check", str(models_dir() / "song2000.toml"), "--set", "groups.inputs.n=500", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "group inputs: 500 x poisson" in result.stdout
    assert "rule stdp_additive" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "nosuch"], "error: experiment: unknown experiment 'nosuch'; allowed: "),
        (
            ["run", "song2000", "--set", "groups.inputs.rate=20 mV"],
            "error: groups.inputs.rate: '20 mV' has the wrong unit",
        ),
        (["run", "song2000", "--set", "groups.inputs.n=-5"], "error: groups.inputs.n: -5 is out of range"),
        (["run", "song2000", "--set", "durration=10"], "error: durration: unknown parameter; allowed: "),
        (
            ["run", "song2000", "--set", "synapses.feedforward.rule.name=nope"],
            "error: synapses.feedforward.rule.name: unknown rule 'nope'; allowed: ",
        ),
        (
            ["run", "song2000", "--backend", "gpu"],
            "error: --backend: unknown backend 'gpu'; allowed: runtime, standalone",
        ),
        (
            ["run", "song2000", "--backend", "cuda"],
            "error: --backend: cuda needs the brian2cuda package, which is not installed; no release fits Brian2",
        ),
        (["run", "song2000", "--model", "missing.toml"], "error: --model: file missing.toml not found"),
        (["run", "song2000", "--set", "chunk=0 s"], "error: chunk: "),
        (["run", "song2000", "--seed", "x"], "error: snnlearn run: argument --seed: invalid int value"),
        (
            ["run", "song2000", "--seed", str(2**32)],
            "error: --seed: 4294967296 is out of range; expected an integer from 0 to 4294967295",
        ),
        (["run", "song2000", "--seed=-1"], "error: --seed: -1 is out of range"),
        (["run"], "error: experiment: no experiment named (snnlearn run NAME); allowed: "),
        (["bench", "diehl_cook", "--data", "digits", "--seed=-3"], "error: --seed: -3 is out of range"),
        (["frobnicate"], "error: snnlearn: argument command: invalid choice"),
        (["check", "missing.toml"], "error: FILE: file missing.toml not found"),
    ],
)
def test_bad_input_is_one_error_line_exit_2_and_nothing_written(tmp_path, args, message):
    result = snnlearn(*args, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(message), lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "results").exists()


def test_run_help_without_a_name_prints_usage_and_the_experiments(tmp_path):
    result = snnlearn("run", "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: snnlearn run") and "--resume DIR" in result.stdout
    assert "  diehl_cook " in result.stdout and "snnlearn run NAME --help" in result.stdout
    assert list(tmp_path.iterdir()) == []


def readme_commands(text: str) -> set[str]:
    """Subcommands the README shows: ``snnlearn CMD`` in inline code, and command lines of code blocks."""
    found = set()
    for span in re.findall(r"`([^`\n]+)`", text):
        found |= set(re.findall(r"^(?:\S*/)?snnlearn ([a-z][\w-]*)", span.strip()))
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M):
        for line in block.splitlines():
            found |= set(re.findall(r"(?:^\s*(?:\$\s*)?|&&\s*|bin/)snnlearn ([a-z][\w-]*)", line))
    return found


def test_every_subcommand_named_in_the_readme_exists(capsys):
    parser = cli.build_parser()
    registered = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction").choices
    named = readme_commands((project_root() / "README.md").read_text())
    assert {"run", "list", "check", "sweep"} <= named, named  # the parse found the README's commands
    assert named <= set(registered), named - set(registered)
    for name in sorted(named):  # and each answers --help
        try:
            status = cli.main([name, "--help"])
        except SystemExit as exc:  # argparse's own --help
            status = exc.code
        assert status == 0 and capsys.readouterr().out.startswith(f"usage: snnlearn {name}"), name


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
