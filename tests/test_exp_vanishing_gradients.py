"""vanishing_gradients --quick: the per-layer gradient norms Nielsen (2015, ch. 5) reports.

Nielsen's [784, 30, ..., 30, 10] sigmoid networks on MNIST, at initialisation: || dC/db^l || =
0.07, 0.31 (2 hidden layers) and 0.003, 0.017, 0.070, 0.285 (4), i.e. each layer back learns
4-6x slower (factors 0.18-0.25) and first/last = 0.011 for 4 hidden layers. The quick run uses
the 8x8 digits (64 inputs, 300 images, 2 initial seeds), so the numbers are compared within
stated factors, not exactly.
"""

from __future__ import annotations

import json

import numpy as np

from snnlearn.experiment import run_experiment

NIELSEN = {2: [0.07, 0.31], 4: [0.003, 0.017, 0.070, 0.285]}


def test_gradient_norms_per_layer_as_nielsen_reports(tmp_path):
    run = run_experiment("vanishing_gradients", quick=True, out=tmp_path / "run")
    metrics = json.loads((run / "metrics.json").read_text())
    ratio = metrics["grad_norm_ratio_first_to_last_by_depth"]
    norms = metrics["bias_grad_norms_at_init_by_depth"]["sigmoid"]
    for depth, book in NIELSEN.items():
        measured = np.array(norms[str(depth)])
        # the last hidden layer's speed of learning: within 30% of Nielsen's 0.285-0.31
        assert abs(measured[-1] / book[-1] - 1) < 0.3, (depth, measured)
        # each layer back: a factor within 2x of Nielsen's (0.18-0.25), never near 1
        factors, book_factors = measured[:-1] / measured[1:], np.array(book[:-1]) / np.array(book[1:])
        assert np.all(factors / book_factors > 0.5) and np.all(factors / book_factors < 2), (depth, factors)
        # the ratio first/last: within 2x of Nielsen's 0.23 (2 hidden) and 0.011 (4 hidden)
        book_ratio = metrics["nielsen_grad_norm_ratio_first_to_last"][str(depth)]
        assert 0.5 < ratio["sigmoid"][str(depth)] / book_ratio < 2, depth
    assert ratio["sigmoid"]["1"] == 1.0
    # ReLU/He and skip connections keep the first layer within 3x of the last at 4 hidden layers
    for variant in ("relu_he", "sigmoid_residual", "sigmoid_dense"):
        assert 1 / 3 < ratio[variant]["4"] < 3, variant
    assert (run / "grad_norm_per_layer.png").is_file() and (run / "grad_norm_ratio.png").is_file()
    # the training figure's time course: one point per epoch from epoch 0, accuracy beside the norms
    epochs = metrics["params"]["epochs"]
    for variant, by_depth in metrics["test_accuracy_during_training"].items():
        for depth, curve in by_depth.items():
            assert len(curve) == len(metrics["bias_grad_norms_during_training"][variant][depth]) == epochs + 1 >= 10
