"""Sweeps and the comparison on Dask: numbers from result files, finished jobs skipped, failures reported."""

from __future__ import annotations

import csv
import json

from snnlearn import cli
from snnlearn.sweep import grid, job_name, parse_seeds


def test_grid_and_seeds_are_parsed():
    assert grid(["a=1,2", "b=x"]) == [("a=1", "b=x"), ("a=2", "b=x")]
    assert grid(["rates=[1.0, 2.0]"]) == [("rates=[1.0, 2.0]",)]
    assert parse_seeds("0-3") == [0, 1, 2, 3] and parse_seeds("2,5") == [2, 5]
    assert job_name("e", ["a=1"], 0) != job_name("e", ["a=2"], 0)


def test_compare_quick_reads_the_table_from_result_files_and_skips_finished_jobs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = ["compare", "--quick", "--learners", "node_perturbation,reinforce", "--seeds", "0-1", "--out", "cmp",
            "--hidden", "8"]
    assert cli.main(args) == 0
    rows = {r["learner"]: r for r in csv.DictReader((tmp_path / "cmp" / "comparison.csv").open())}
    assert set(rows) == {"node_perturbation", "reinforce"}
    for learner, row in rows.items():
        folders = sorted((tmp_path / "cmp" / "jobs").glob("estimator_digits*"))
        accuracies = [json.loads((f / "metrics.json").read_text())["test_accuracy_by_estimator"]
                      for f in folders]
        key = "node_perturbation" if learner == "node_perturbation" else "reinforce_gaussian_baseline"
        values = [a[key] for a in accuracies if key in a]
        assert len(values) == 2 and int(row["seeds"]) == 2
        assert float(row["accuracy_mean"]) == sum(values) / 2
        assert row["uses only local information"].startswith("local")
    assert (tmp_path / "cmp" / "report.html").stat().st_size > 10_000
    assert "| digits | node_perturbation | 2 |" in (tmp_path / "cmp" / "comparison.md").read_text()
    capsys.readouterr()
    assert cli.main(args) == 0
    assert "4 jobs skipped (already finished), 0 failed" in capsys.readouterr().out


def test_a_failing_job_is_reported_and_the_others_finish(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    status = cli.main(["sweep", "estimator_digits", "--quick", "--set", "hidden=6", "--set",
                       f"data.path=digits,{tmp_path / 'nowhere'}", "--seeds", "0", "--out", "sw"])
    assert status == 1
    rows = list(csv.DictReader((tmp_path / "sw" / "sweep.csv").open()))
    assert sorted(r["status"] for r in rows) == ["done", "failed"]
    failed = next(r for r in rows if r["status"] == "failed")
    assert failed["error"].startswith("error: data.path: ") and "not found" in failed["error"]
    done = next(r for r in rows if r["status"] == "done")
    assert float(done["wall_time_s"]) > 0
