"""reward_choice: the per-stimulus baseline learns, the raw reward's bias <M><e> drifts the weights
(standalone --quick, 5 seeds); the decomposition's identities and the controller's modulator; the
predicted drift against the measured one (runtime); the controller's reward rule; bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from snnlearn.errors import ConfigError
from snnlearn.experiment import run_experiment
from snnlearn.protocols.choice import drift_decomposition, modulators
from snnlearn.rules.reward import RewardBaseline
from snnlearn.tasks.reward import ChoiceTask


@pytest.mark.standalone
def test_quick_per_stimulus_baseline_learns_and_raw_reward_drifts(tmp_path):
    run = run_experiment("reward_choice", quick=True, backend="standalone", out=tmp_path / "run")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["seeds"] == [1, 2, 3, 4, 5]
    accuracy = metrics["accuracy_ci_by_rule"]["mstdpet"]
    assert accuracy["per_stimulus"]["mean"] >= 0.8 and len(accuracy["per_stimulus"]["values"]) == 5
    assert all(t is not None for t in metrics["trials_to_80pct_by_rule"]["mstdpet"]["per_stimulus"])
    terms = metrics["drift_decomposition_by_rule"]["mstdpet"]
    # the uncentred reward: the bias <M|s><e|s> is positive over seeds and dominates the covariance
    none, centred = terms["none"], terms["per_stimulus"]
    assert none["bias_within_stimulus"]["ci95_low"] > 0
    assert none["bias_within_stimulus"]["mean"] > 3 * abs(none["covariance_within_stimulus"]["mean"])
    # the per-stimulus baseline removes most of it (what is left: the running mean lags the reward)
    assert centred["bias_within_stimulus"]["mean"] < none["bias_within_stimulus"]["mean"] / 5
    drift = metrics["weight_drift_by_rule"]["mstdpet"]
    assert drift["none"] > 0.05 and abs(drift["per_stimulus"]) < drift["none"] / 2
    for figure in (
        "learning_curves_mstdpet.png",
        "weight_drift.png",
        "selectivity.png",
        "drift_decomposition.png",
        "raster_mstdpet_none.png",
    ):
        assert (run / figure).is_file()


def test_runtime_run_predicts_the_drift_from_the_decomposition(tmp_path):
    """Away from the weight bounds the drift of the mean weight is the rule's gain times
    amount x trials x <M e>: the eligibility sampled at each reward and the modulator
    reconstructed from the controller's record account for the weights' change (40 trials)."""
    sets = [
        "seeds=1",
        "trials=40",
        "trials_per_chunk=20",
        "sample_trials=10",
        "curve_window=10",
        'rules=["mstdpet", "da_stdp"]',
        'baselines=["none"]',
    ]
    run = run_experiment("reward_choice", quick=True, backend="runtime", sets=sets, out=tmp_path / "run")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["backend"] == "runtime"
    curve = metrics["learning_curve_by_rule"]["mstdpet"]["none"]
    assert len(curve) == 4 and all(abs(10 * b - round(10 * b)) < 1e-9 for b in curve)  # blocks of 10 trials
    assert metrics["accuracy_by_rule"]["mstdpet"]["none"] == curve[-1]
    terms = metrics["drift_decomposition_by_rule"]["mstdpet"]["none"]
    predicted, measured = terms["predicted_drift"]["mean"], terms["weight_drift"]["mean"]
    assert measured > 0.01 and predicted == pytest.approx(measured, rel=0.35)
    # with R = +-1 and no baseline, M is the reward itself: <M> = 2 x (fraction rewarded) - 1
    arrays = np.load(run / "learning.npz")
    modulator = arrays["mstdpet_none_modulator"][0]
    assert set(np.unique(modulator)) <= {-1.0, 1.0}
    assert terms["modulator_mean"]["mean"] == pytest.approx(2 * np.mean(arrays["mstdpet_none_blocks"][0]) - 1)
    assert "da_stdp" in metrics["drift_decomposition_by_rule"]


def test_drift_decomposition_identities_hold_on_the_sample():
    rng = np.random.default_rng(0)
    stimulus = rng.integers(0, 3, 200)
    modulator = rng.normal(size=200) + stimulus
    eligibility = rng.normal(size=200) + 0.5 * modulator
    t = drift_decomposition(modulator, eligibility, stimulus)
    assert t["reward_eligibility"] == pytest.approx(t["covariance"] + t["bias"], abs=1e-12)
    assert t["reward_eligibility"] == pytest.approx(
        t["covariance_within_stimulus"] + t["bias_within_stimulus"], abs=1e-12
    )
    assert t["bias"] == pytest.approx(modulator.mean() * eligibility.mean())
    # centred within each stimulus: no bias within stimulus, though the overall mean is not 0
    centred = modulator - np.array([modulator[stimulus == s].mean() for s in range(3)])[stimulus]
    c = drift_decomposition(centred, eligibility + stimulus, stimulus)
    assert c["bias_within_stimulus"] == pytest.approx(0.0, abs=1e-12) and abs(c["covariance"]) > 0.1


def test_modulator_is_the_reward_minus_the_baseline_the_controller_used():
    won, targets = np.array([True, False, True]), np.array([0, 1, 1])
    baselines = {
        "baseline_0": np.array([0.5, 0.2, 0.1]),
        "baseline_1": np.array([-0.5, 0.3, 0.4]),
        "baseline_all": np.array([0.0, 0.1, 0.2]),
    }
    assert modulators(won, targets, baselines, RewardBaseline(mode="none")).tolist() == [1, -1, 1]
    assert modulators(won, targets, baselines, RewardBaseline(mode="global")).tolist() == pytest.approx([1, -1.1, 0.8])
    assert modulators(won, targets, baselines, RewardBaseline(mode="per_stimulus")).tolist() == pytest.approx(
        [0.5, -1.3, 0.6]
    )


def test_reward_needs_the_target_population_strictly_most_active():
    counts = np.array([[5, 3, 1], [5, 5, 0], [0, 0, 0], [1, 2, 7]])
    assert ChoiceTask.rewarded(counts, np.array([0, 0, 1, 2])).tolist() == [True, False, False, True]


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (['baselines=["median"]'], "baselines: unknown baseline 'median'; allowed: global, none, per_stimulus"),
        (["trials=150"], "trials: 150 is not a multiple of trials_per_chunk (100); expected whole chunks"),
        (
            ["rule_params.mstdpet.tau_z=-25ms"],
            "rule_params.mstdpet.tau_z: -25. ms is not positive; expected a value > 0",
        ),
        (["baseline.trials=0.5"], "baseline.trials: 0.5 is below 1; expected trials >= 1"),
        (
            ["synapses.feedforward.rule.tau_plus=10ms"],
            "synapses.feedforward.rule.tau_plus: is set by this experiment, "
            "so a value given here would be dropped; set rule_params.RULE."
            "PARAMETER (and rules) instead",
        ),
        (
            ["sample_trials=30"],
            "sample_trials: 30 does not divide trials (1000); expected trials to be a multiple of sample_trials",
        ),
        (["seeds=0"], "seeds: got 0; expected an integer >= 1"),
        (
            ["raster_trials=200"],
            "raster_trials: 200 is above trials_per_chunk (100); expected the raster to fit the last chunk",
        ),
    ],
)
def test_bad_parameters_are_one_line_errors(tmp_path, sets, message):
    with pytest.raises(ConfigError) as error:
        run_experiment("reward_choice", sets=sets, out=tmp_path / "run")
    assert str(error.value) == message
    assert not (tmp_path / "run").exists()


def test_trials_per_chunk_changes_nothing(tmp_path):
    """The whole state (weights, traces, dopamine, baselines, the controller's clock) carries
    over between chunks: 10 or 20 trials per compiled run give the same trials and weights."""
    sets = ["seeds=1", "trials=40", "sample_trials=10", "curve_window=10", 'baselines=["per_stimulus"]']
    runs = {
        c: run_experiment(
            "reward_choice",
            quick=True,
            backend="runtime",
            sets=[*sets, f"trials_per_chunk={c}"],
            out=tmp_path / f"c{c}",
        )
        for c in (10, 20)
    }
    a, b = (np.load(runs[c] / "learning.npz") for c in (10, 20))
    assert a.files == b.files and a["mstdpet_per_stimulus_w_mean"].shape == (1, 5)  # trials 0, 10, 20, 30, 40
    assert a["mstdpet_per_stimulus_eligibility"].shape == (1, 40)  # sampled at every reward, across chunks
    for key in a.files:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
