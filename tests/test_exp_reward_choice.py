"""reward_choice: the per-stimulus baseline learns, the raw reward drifts (standalone --quick);
runtime smoke run; the controller's reward rule; bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from snnlearn.errors import ConfigError
from snnlearn.experiment import run_experiment
from snnlearn.tasks.reward import ChoiceTask


@pytest.mark.standalone
def test_quick_per_stimulus_baseline_learns_and_raw_reward_drifts(tmp_path):
    run = run_experiment("reward_choice", quick=True, backend="standalone", out=tmp_path / "run")
    metrics = json.loads((run / "metrics.json").read_text())
    accuracy, drift = metrics["accuracy_by_rule"]["mstdpet"], metrics["weight_drift_by_rule"]["mstdpet"]
    assert accuracy["per_stimulus"] >= 0.8
    assert metrics["trials_to_80pct_by_rule"]["mstdpet"]["per_stimulus"] is not None
    # the uncentred reward moves the weights in the unsupervised (Hebbian) STDP direction
    assert drift["none"] > 0.05 and abs(drift["per_stimulus"]) < drift["none"] / 3
    assert (run / "learning_curves_mstdpet.png").is_file() and (run / "weight_drift.png").is_file()


def test_runs_on_the_runtime_backend(tmp_path):
    sets = ["trials=20", "trials_per_chunk=10", "sample_trials=10", "curve_window=10", 'rules=["da_stdp"]',
            'baselines=["global"]']
    run = run_experiment("reward_choice", quick=True, backend="runtime", sets=sets, out=tmp_path / "run")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["backend"] == "runtime"
    curve = metrics["learning_curve_by_rule"]["da_stdp"]["global"]
    assert len(curve) == 2  # 20 trials, blocks of 10
    # each block is a count of rewarded trials out of 10, and the accuracy is the last block
    assert all(abs(10 * b - round(10 * b)) < 1e-9 for b in curve)
    assert metrics["accuracy_by_rule"]["da_stdp"]["global"] == curve[-1]


def test_reward_needs_the_target_population_strictly_most_active():
    counts = np.array([[5, 3, 1], [5, 5, 0], [0, 0, 0], [1, 2, 7]])
    assert ChoiceTask.rewarded(counts, np.array([0, 0, 1, 2])).tolist() == [True, False, False, True]


@pytest.mark.parametrize(("sets", "message"), [
    (['baselines=["median"]'], "baselines: unknown baseline 'median'; allowed: global, none, per_stimulus"),
    (["trials=150"], "trials: 150 is not a multiple of trials_per_chunk (100); expected whole chunks"),
    (["rule_params.mstdpet.tau_z=-25ms"], "rule_params.mstdpet.tau_z: -25. ms is not positive; expected a value > 0"),
    (["baseline.trials=0.5"], "baseline.trials: 0.5 is below 1; expected trials >= 1"),
    (["synapses.feedforward.rule.tau_plus=10ms"], "synapses.feedforward.rule.tau_plus: is set by this experiment, "
                                                 "so a value given here would be dropped; set rule_params.RULE."
                                                 "PARAMETER (and rules) instead"),
    (["sample_trials=30"], "sample_trials: 30 does not divide trials (1000); expected trials to be a multiple of "
                           "sample_trials"),
])
def test_bad_parameters_are_one_line_errors(tmp_path, sets, message):
    with pytest.raises(ConfigError) as error:
        run_experiment("reward_choice", sets=sets, out=tmp_path / "run")
    assert str(error.value) == message
    assert not (tmp_path / "run").exists()


def test_trials_per_chunk_changes_nothing(tmp_path):
    """The whole state (weights, traces, dopamine, baselines, the controller's clock) carries
    over between chunks: 10 or 20 trials per compiled run give the same trials and weights."""
    sets = ["trials=40", "sample_trials=10", "curve_window=10", 'baselines=["per_stimulus"]']
    runs = {c: run_experiment("reward_choice", quick=True, backend="runtime", sets=[*sets, f"trials_per_chunk={c}"],
                              out=tmp_path / f"c{c}") for c in (10, 20)}
    a, b = (np.load(runs[c] / "learning.npz") for c in (10, 20))
    assert a.files == b.files and len(a["mstdpet_per_stimulus_w_mean"]) == 5  # trials 0, 10, 20, 30, 40
    for key in a.files:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
