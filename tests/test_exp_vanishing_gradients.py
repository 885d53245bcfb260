"""vanishing_gradients --quick: sigmoid gradients shrink with depth; ReLU/He and skips keep them."""

from __future__ import annotations

import json

from snnlearn.experiment import run_experiment


def test_first_to_last_ratio_by_depth_and_variant(tmp_path):
    run = run_experiment("vanishing_gradients", quick=True, out=tmp_path / "run")
    metrics = json.loads((run / "metrics.json").read_text())
    ratio = metrics["grad_norm_ratio_first_to_last_by_depth"]
    sigmoid = ratio["sigmoid"]
    assert sigmoid["1"] == 1.0
    assert sigmoid["4"] < sigmoid["2"] < 0.5
    assert sigmoid["4"] < 0.05  # Nielsen: 0.003 / 0.285 = 0.011
    for variant in ("relu_he", "sigmoid_residual", "sigmoid_dense"):
        assert ratio[variant]["4"] > 10 * sigmoid["4"], variant
    norms = metrics["bias_grad_norms_at_init_by_depth"]["sigmoid"]["4"]
    assert len(norms) == 4 and all(a < b for a, b in zip(norms, norms[1:], strict=False))
    assert abs(metrics["nielsen_grad_norm_ratio_first_to_last"]["4"] - 0.003 / 0.285) < 1e-12
    assert (run / "grad_norm_per_layer.png").is_file()
