"""learning_memory --quick: backprop/BPTT memory grows with depth/T, local traces stay constant."""

from __future__ import annotations

import json

from snnlearn.experiment import run_experiment


def test_memory_scaling(tmp_path):
    run = run_experiment("learning_memory", quick=True, out=tmp_path / "run")
    m = json.loads((run / "metrics.json").read_text())
    assert m["bp_slope_depth"] > 0.8 and m["bptt_slope_T"] > 0.7
    assert abs(m["local_slope_T"]) < 0.02
    assert len(set(m["local_bytes_by_T"].values())) == 1
    # The measured cache holds at least what the formula says it must.
    for depth, formula in m["bp_formula_cache_bytes_by_depth"].items():
        assert formula <= m["bp_cache_bytes_by_depth"][depth] < 2 * formula
    for steps, formula in m["bptt_formula_cache_bytes_by_T"].items():
        assert formula <= m["bptt_cache_bytes_by_T"][steps] < 2 * formula
    assert m["bptt_bytes_by_T"]["1000"] > 10 * m["local_bytes_by_T"]["1000"]
    assert m["stdp_synapse_variables"] == ["apost", "apre", "lastupdate", "w"]
    assert m["stdp_bytes_per_synapse"] == 32.0
    assert len(set(m["stdp_state_bytes_by_T_ms"].values())) == 1
