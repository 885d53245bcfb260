"""threshold_gradient --quick: zero gradient through the step, learning with the surrogate."""

from __future__ import annotations

import json

import pytest

from snnlearn.experiment import run_experiment


@pytest.fixture(scope="module")
def metrics(tmp_path_factory):
    run = run_experiment("threshold_gradient", quick=True, out=tmp_path_factory.mktemp("t") / "run")
    assert (run / "learning_curves.png").is_file() and (run / "lif_staircase.png").is_file()
    return json.loads((run / "metrics.json").read_text())


def test_step_hidden_layer_gets_exactly_zero_gradient(metrics):
    norms = metrics["hidden_grad_norm_by_activation"]
    change = metrics["hidden_weight_change_by_activation"]
    assert norms["step"] == 0.0 and change["step"] == 0.0
    for name in ("sigmoid", "relu", "step_surrogate"):
        assert norms[name] > 1e-3 and change[name] > 0.1


def test_surrogate_step_learns_better_than_the_readout_alone(metrics):
    accuracy = metrics["test_accuracy_by_activation"]
    assert accuracy["step_surrogate"] > accuracy["step"] + 0.1
    assert accuracy["relu"] > 0.8


def test_lif_spike_count_is_a_staircase_in_the_weight(metrics):
    assert metrics["lif_spike_count_levels"] >= 3
    assert metrics["lif_derivative_zero_fraction"] > 0.95
    by_step = metrics["lif_finite_difference_by_step_mV"]
    steps = sorted(by_step, key=float)
    # Finer steps: more zero differences, and larger jumps (1/dw): a delta, not a derivative.
    assert by_step[steps[0]]["zero_fraction"] > by_step[steps[-1]]["zero_fraction"]
    assert by_step[steps[0]]["max_abs_per_mV"] > 5 * by_step[steps[-1]]["max_abs_per_mV"]
