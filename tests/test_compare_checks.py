"""``snnlearn compare`` checks every job before it makes a folder or a cluster, and exits 1 with a
one-line summary when jobs fail (no Dask cluster is started here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from snnlearn import cli
from snnlearn import compare as compare_module


def _no_cluster(*args, **kwargs):
    raise AssertionError("a Dask cluster was started for a comparison that should have been refused")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hidden", "0"], "error: --hidden: 0 is too small"),
        (["--learners", "backprop,nope"], "error: --learners: unknown learner 'nope'"),
        (["--workers", "0"], "error: --workers: 0 is too small"),
        (["--seeds", "0-4294967296"], "error: --seeds: range '0-4294967296' is empty or out of range"),
        (["--learners", "backprop", "--data", "/nowhere"], "error: data.path: /nowhere not found"),
        # the experiment's own check sizes the Diehl & Cook network; the memory estimate refuses it
        (["--learners", "stdp_diehl_cook", "--hidden", "2000000"], "error: memory: diehl_cook needs at least "),
    ],
)
def test_a_bad_comparison_is_refused_before_a_cluster_or_a_folder(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(compare_module, "run_jobs", _no_cluster)
    status = cli.main(["compare", "--quick", "--out", "cmp", *args])
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("warning:")]
    assert status == 2 and len(err) == 1 and err[0].startswith(message), err
    assert list(tmp_path.iterdir()) == []


def test_every_learner_is_checked_like_run_and_failed_jobs_exit_1(tmp_path, monkeypatch, capsys):
    from snnlearn import experiment

    checked, real = [], experiment.check_run

    def spy(name, **kwargs):
        checked.append((name, kwargs["sets"], kwargs["seed"]))
        return real(name, **kwargs)

    def all_fail(jobs, *args):
        assert not any(Path(j.folder).exists() for j in jobs)
        return [{"job": Path(j.folder).name, "status": "failed", "error": "error: x: boom; y"} for j in jobs]

    monkeypatch.setattr(experiment, "check_run", spy)
    monkeypatch.setattr(compare_module, "run_jobs", all_fail)
    monkeypatch.chdir(tmp_path)
    status = cli.main(["compare", "--quick", "--seeds", "3,4", "--hidden", "8", "--out", "cmp"])
    table = compare_module.learners(8, "digits")
    assert sorted((n, s) for n, s, _ in checked) == sorted((x.experiment, x.sets) for x in table)
    assert {seed for *_, seed in checked} == {3}  # seeds differ only by seed, each checked on its own
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1
    assert err[-1].startswith(f"error: jobs: {2 * len(table)} of {2 * len(table)} failed (first: ")
    assert "error: x: boom; y" in err[-1] and "cmp/comparison.md" in err[-1]
    assert "| failed |" in (tmp_path / "cmp" / "comparison.md").read_text()
