"""learning_memory --quick: backprop/BPTT memory grows with depth/T as the formulas say, local traces stay constant.

Theory (Werbos 1990 for BPTT; the trace model of Song, Miller & Abbott 2000): one backprop step
of an MLP keeps z and h of every layer for every example (8 x batch x 2 x width bytes per hidden
layer) and a gradient as large as the weights; BPTT keeps z and h of every step (bytes linear in
T); an online trace rule keeps one trace per neuron (constant in T); a Brian2 pair-STDP synapse
keeps its weight and two traces (plus the time of its last update), whatever the run length.
"""

from __future__ import annotations

import json

from snnlearn.experiment import run_experiment


def test_memory_scaling(tmp_path):
    run = run_experiment("learning_memory", quick=True, out=tmp_path / "run")
    m = json.loads((run / "metrics.json").read_text())
    p = json.loads((run / "params.json").read_text())
    p = p.get("params", p)
    assert m["bp_slope_depth"] > 0.8 and m["bptt_slope_T"] > 0.7
    assert abs(m["local_slope_T"]) < 0.02
    assert len(set(m["local_bytes_by_T"].values())) == 1
    # the local rule's memory: its traces plus one step's weight-shaped update (the figure's formula)
    assert 0.9 < m["local_bytes_by_T"]["10"] / m["local_formula_step_bytes"] < 1.2
    assert m["local_formula_trace_bytes"] < 0.1 * m["local_formula_step_bytes"]
    # The measured cache holds at least what the formula says it must.
    for depth, formula in m["bp_formula_cache_bytes_by_depth"].items():
        assert formula <= m["bp_cache_bytes_by_depth"][depth] < 2 * formula
    for steps, formula in m["bptt_formula_cache_bytes_by_T"].items():
        assert formula <= m["bptt_cache_bytes_by_T"][steps] < 2 * formula
    # Per hidden layer, a backprop step stores the cache (8 x batch x 2 x width bytes) and the
    # gradient of the layer's weights and biases (8 x (width^2 + width) bytes).
    mlp = p["mlp"]
    cache_per_layer = 8 * mlp["batch"] * 2 * mlp["width"]
    assert abs(m["bp_cache_bytes_per_layer_formula"] - cache_per_layer) < 1e-6 * cache_per_layer
    grad_per_layer = 8 * (mlp["width"] ** 2 + mlp["width"])
    assert cache_per_layer + grad_per_layer <= m["bp_bytes_per_layer"] < 2 * (cache_per_layer + grad_per_layer)
    # BPTT: bytes per time step within 25% of the history formula; the local rule adds none.
    assert 1 <= m["bptt_bytes_per_step"] / m["bptt_cache_bytes_per_step_formula"] < 1.25
    assert abs(m["local_bytes_per_step"]) < 1e-3 * m["bptt_bytes_per_step"]
    assert m["bptt_bytes_by_T"]["1000"] > 10 * m["local_bytes_by_T"]["1000"]
    # Brian2 pair STDP: the weight and both traces per synapse, 8 bytes each (plus lastupdate),
    # every pre-post pair a synapse, and the same bytes after every run length.
    variables = set(m["stdp_synapse_variables"])
    assert {"w", "apre", "apost"} <= variables and len(variables) <= 4
    assert m["stdp_bytes_per_synapse"] == 8 * len(variables)
    assert m["stdp_synapses"] == p["stdp"]["n_pre"] * p["stdp"]["n_post"]
    neuron_bytes = 8 * len(m["stdp_neuron_variables"]) * p["stdp"]["n_post"]
    for state in m["stdp_state_bytes_by_T_ms"].values():
        assert state == m["stdp_synapses"] * m["stdp_bytes_per_synapse"] + neuron_bytes
