"""``snnlearn compare`` has the rows of Forward-Forward (digits) and of the temporal-credit learners
(cue accumulation), read from their jobs' result files with their declared properties."""

from __future__ import annotations

import csv
import json

import pytest

from snnlearn import cli


@pytest.mark.slow  # a Dask cluster and eight jobs: about a minute on an idle machine
def test_compare_quick_has_forward_forward_and_cue_accumulation_rows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = [
        "compare",
        "--quick",
        "--learners",
        "forward_forward,eprop_random,truncated_bptt_50",
        "--seeds",
        "0-1",
        "--out",
        "cmp",
        "--hidden",
        "16",
        "--workers",
        "1",
    ]
    assert cli.main(args) == 0
    rows = {r["learner"]: r for r in csv.DictReader((tmp_path / "cmp" / "comparison.csv").open())}
    assert set(rows) == {"forward_forward", "eprop_random", "truncated_bptt_50"}
    assert all(int(r["seeds"]) == 2 and r["failed"] == "0" for r in rows.values())
    ff = rows["forward_forward"]
    assert ff["task"] == "digits" and float(ff["accuracy_mean"]) > 0.5
    assert ff["needs weight transport"] == "no" and ff["stores activations for a backward pass"] == "no"
    jobs = sorted((tmp_path / "cmp" / "jobs").glob("weight_transport*"))
    assert all(
        json.loads((j / "params.json").read_text())["params"]["lr_by_learner"] == {"forward_forward": 0.01}
        for j in jobs
    )
    cue = rows["eprop_random"]
    assert cue["task"] == "cue_accumulation" and cue["spiking or rate"] == "spiking"
    assert cue["needs weight transport"] == "no" and cue["uses only local information"] == "yes"
    assert rows["truncated_bptt_50"]["stores activations for a backward pass"] == "yes"
    values = []
    for folder in sorted((tmp_path / "cmp" / "jobs").glob("temporal_credit*")):
        m = json.loads((folder / "metrics.json").read_text())
        if "eprop_random" in m["accuracy"]:
            values += m["accuracy"]["eprop_random"][str(m["longest_delay_ms"])]["values"]
    assert len(values) == 2 and abs(float(cue["accuracy_mean"]) - sum(values) / 2) < 1e-12
    assert "cue_accumulation" in (tmp_path / "cmp" / "comparison.md").read_text()
