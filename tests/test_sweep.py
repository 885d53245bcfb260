"""Sweeps and the comparison on Dask: numbers from result files, finished jobs skipped, failures reported."""

from __future__ import annotations

import csv
import json
import math
import re
import time
from pathlib import Path

import pytest

from snnlearn import cli
from snnlearn import sweep as sweep_module
from snnlearn.errors import ConfigError
from snnlearn.sweep import grid, job_name, parse_seeds


def test_grid_and_seeds_are_parsed():
    assert grid(["a=1,2", "b=x"]) == [("a=1", "b=x"), ("a=2", "b=x")]
    assert grid(["rates=[1.0, 2.0]"]) == [("rates=[1.0, 2.0]",)]
    assert parse_seeds("0-3") == [0, 1, 2, 3] and parse_seeds("2,5") == [2, 5]
    assert job_name("e", ["a=1"], 0) != job_name("e", ["a=2"], 0)


def test_compare_quick_reads_the_table_from_result_files_and_skips_finished_jobs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = [
        "compare",
        "--quick",
        "--learners",
        "node_perturbation,reinforce",
        "--seeds",
        "0-1",
        "--out",
        "cmp",
        "--hidden",
        "8",
    ]
    assert cli.main(args) == 0
    rows = {r["learner"]: r for r in csv.DictReader((tmp_path / "cmp" / "comparison.csv").open())}
    assert set(rows) == {"node_perturbation", "reinforce"}
    for learner, row in rows.items():
        folders = sorted((tmp_path / "cmp" / "jobs").glob("estimator_digits*"))
        accuracies = [json.loads((f / "metrics.json").read_text())["test_accuracy_by_estimator"] for f in folders]
        key = "node_perturbation" if learner == "node_perturbation" else "reinforce_gaussian_baseline"
        values = [a[key] for a in accuracies if key in a]
        assert len(values) == 2 and int(row["seeds"]) == 2
        assert float(row["accuracy_mean"]) == sum(values) / 2
        assert row["uses only local information"].startswith("local")
    page = (tmp_path / "cmp" / "report.html").read_text()
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) > 2 and all((tmp_path / "cmp" / src).is_file() for src in images)  # job figures too
    table = (tmp_path / "cmp" / "comparison.md").read_text()
    assert "| digits | node_perturbation | 2 |" in table and "no interval from 2 seeds" in table
    capsys.readouterr()
    assert cli.main(args) == 0
    assert "4 jobs skipped (already finished), 0 failed" in capsys.readouterr().out


def test_a_failing_job_is_reported_and_the_others_finish(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    status = cli.main(
        [
            "sweep",
            "estimator_digits",
            "--quick",
            "--set",
            "hidden=6",
            "--set",
            f"data.path=digits,{tmp_path / 'nowhere'}",
            "--seeds",
            "0",
            "--out",
            "sw",
        ]
    )
    assert status == 1
    rows = list(csv.DictReader((tmp_path / "sw" / "sweep.csv").open()))
    assert sorted(r["status"] for r in rows) == ["done", "failed"]
    failed = next(r for r in rows if r["status"] == "failed")
    assert failed["error"].startswith("error: data.path: ") and "not found" in failed["error"]
    done = next(r for r in rows if r["status"] == "done")
    assert float(done["wall_time_s"]) > 0


def _no_cluster(*args, **kwargs):
    raise AssertionError("a Dask cluster was started for a sweep that should have been refused")


@pytest.mark.parametrize("text", ["0-4294967296", "4294967296", "-1", "3-1", "1,1", "0-100000", "x", "0-1-2"])
def test_seeds_out_of_range_or_malformed_are_refused(text):
    with pytest.raises(ConfigError) as info:
        parse_seeds(text)
    assert info.value.field == "--seeds"


def test_seed_range_is_sized_before_it_is_listed():
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="out of range"):
        parse_seeds("0-99999999999")
    assert parse_seeds("4294967290-4294967295")[-1] == 2**32 - 1
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "hidden=6,0"], "error: hidden: sizes and epochs must be positive"),  # the experiment's own check
        (["--set", "hiden=6"], "error: hiden: unknown parameter"),
        (["--set", "hidden=6,6"], "error: --set: 'hidden=6,6' gives a value twice"),
        (["--seeds", "0-4294967296"], "error: --seeds: range '0-4294967296' is empty or out of range"),
        (["--seeds", "0-300"], "error: --yes: 301 jobs (1 settings x 301 seeds) is more than 200; give --yes"),
        (
            ["--set", "hidden=1,2,3,4,5,6,7,8,9,10,11", "--set", "epochs=1,2,3,4,5,6,7,8,9,10,11", "--seeds", "0-1"],
            "error: --yes: 242 jobs (121 settings x 2 seeds)",
        ),
        (["--workers", "0"], "error: --workers: 0 is too small"),
    ],
)
def test_a_bad_sweep_is_refused_before_a_cluster_or_a_folder(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sweep_module, "run_jobs", _no_cluster)
    status = cli.main(["sweep", "estimator_digits", "--quick", "--out", "sw", *args])
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("warning:")]
    assert status == 2 and len(err) == 1 and err[0].startswith(message), err
    assert list(tmp_path.iterdir()) == []


def test_every_combination_is_checked_like_run_before_any_job(tmp_path, monkeypatch, capsys):
    from snnlearn import experiment

    checked, real = [], experiment.check_run

    def spy(name, **kwargs):
        checked.append(kwargs["sets"])
        return real(name, **kwargs)

    monkeypatch.setattr(experiment, "check_run", spy)
    monkeypatch.setattr(
        sweep_module,
        "run_jobs",
        lambda jobs, *a: [{"job": Path(j.folder).name, "status": "done", "error": ""} for j in jobs],
    )
    monkeypatch.chdir(tmp_path)
    assert (
        cli.main(["sweep", "estimator_digits", "--quick", "--set", "hidden=4,6", "--seeds", "0-2", "--out", "sw"]) == 0
    )
    assert checked == [("hidden=4",), ("hidden=6",)]
    assert len(list(csv.DictReader((tmp_path / "sw" / "sweep.csv").open()))) == 6


def test_a_large_sweep_runs_with_yes(tmp_path, monkeypatch):
    ran = []
    monkeypatch.setattr(
        sweep_module,
        "run_jobs",
        lambda jobs, *a: (
            ran.extend(jobs) or [{"job": Path(j.folder).name, "status": "done", "error": ""} for j in jobs]
        ),
    )
    monkeypatch.chdir(tmp_path)
    assert cli.main(["sweep", "estimator_digits", "--quick", "--seeds", "0-200", "--out", "sw", "--yes"]) == 0
    assert len(ran) == 201 and len({j.folder for j in ran}) == 201


def test_the_summary_gives_mean_interval_and_values_per_setting_and_no_interval_below_three_seeds():
    from snnlearn.sweep import summarise

    rows = [
        {"sets": "a=1", "status": "done", "seed": s, "job": f"j{s}", "acc": v, "name": "x"}
        for s, v in enumerate([0.7, 0.8, 0.9])
    ]
    rows += [{"sets": "a=2", "status": "done", "seed": s, "job": f"k{s}", "acc": v} for s, v in enumerate([0.5, 0.6])]
    rows.append({"sets": "a=2", "status": "failed", "seed": 9, "job": "k9"})
    by = {(r["sets"], r["metric"]): r for r in summarise(rows)}
    three = by[("a=1", "acc")]
    half = 4.302652729911275 * 0.1 / 3**0.5  # t(0.975, 2) x s / sqrt(n)
    assert three["seeds"] == 3 and three["mean"] == pytest.approx(0.8)
    assert (three["ci95_low"], three["ci95_high"]) == pytest.approx((0.8 - half, 0.8 + half))
    assert three["values"] == "0.7 0.8 0.9" and ("a=1", "name") not in by  # strings are not summarised
    two = by[("a=2", "acc")]
    assert two["seeds"] == 2 and two["mean"] == pytest.approx(0.55) and math.isnan(two["ci95_low"])
