"""temporal_credit --quick: every learner trains on identical networks and trials; BPTT and e-prop learn
the short task, BPTT's memory grows with T and online e-prop's does not, e-prop aligns with BPTT."""

from __future__ import annotations

import json

from snnlearn.experiment import run_experiment


def test_temporal_credit_quick(tmp_path):
    run = run_experiment("temporal_credit", quick=True, out=tmp_path / "run")
    m = json.loads((run / "metrics.json").read_text())
    for key in (
        "accuracy_bptt",
        "accuracy_eprop",
        "accuracy_eprop_random",
        "accuracy_reward",
        "accuracy_lif_only_bptt",
        "memory_slope_bptt",
        "memory_slope_eprop",
        "eprop_bptt_cosine",
    ):
        assert m[key] is not None, key
    acc = m["accuracy"]
    assert set(acc) == {
        "surrogate_bptt",
        "eprop",
        "eprop_random",
        "reward_node_perturbation",
        "truncated_bptt_25",
        "surrogate_bptt_lif_only",
        "eprop_lif_only",
    }
    for label, by_delay in acc.items():
        for stats in by_delay.values():
            assert len(stats["values"]) == 2 and stats["ci95_low"] <= stats["mean"] <= stats["ci95_high"], label
    # the same initial weights and test trials for every learner: the same accuracy before training
    starts = {label: [c[0][1] for c in m["curves"][label]["50.0"]] for label in acc if "50.0" in m["curves"][label]}
    assert len({tuple(v) for v in starts.values()}) == 1
    # learning beyond chance from a few hundred trials (chance 0.5; two seeds)
    assert max(acc["surrogate_bptt"]["200.0"]["mean"], acc["eprop"]["200.0"]["mean"]) > 0.7
    slopes = m["memory"]["slopes"]
    assert slopes["surrogate_bptt"]["loglog"] > 0.8 and m["memory_slope_bptt"] > 1000
    assert abs(slopes["eprop"]["loglog"]) < 0.05 and abs(m["memory_slope_eprop"]) < 0.01 * m["memory_slope_bptt"]
    assert 0.5 < m["eprop_bptt_cosine_initial"] <= 1.0  # e-prop drops paths, but points the same way at first
    assert 0 < m["seconds_per_update"]["surrogate_bptt"]["200.0"] < 5
    for figure in ("learning_curves.png", "memory_vs_T.png", "gradient_alignment.png", "raster.png"):
        assert (run / figure).stat().st_size > 10_000, figure
