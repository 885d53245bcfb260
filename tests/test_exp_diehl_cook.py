"""The Diehl & Cook experiment end to end on the embedded digits (kill-and-resume: test_reliability)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from snnlearn.data import load_dataset
from snnlearn.experiment import check_run, load_experiment, run_experiment
from snnlearn.tasks.digits import trained_classifier


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    return run_experiment("diehl_cook", quick=True, out=tmp_path_factory.mktemp("diehl_cook") / "run")


@pytest.mark.standalone
def test_quick_run_is_far_above_chance(quick_run):
    metrics = json.loads((quick_run / "metrics.json").read_text())
    assert metrics["dataset"] == "digits" and metrics["n_excitatory"] == 50
    assert metrics["test_accuracy"] > 0.35  # chance: 0.10
    assert metrics["test_accuracy_logreg"] > 0.5
    assert metrics["train_examples"] >= 600
    assert sum(metrics["neurons_per_class"]) + metrics["unassigned_neurons"] == 50
    for control in ("control_kmeans", "control_online_kmeans", "control_logreg_pixels"):
        assert 0.8 < metrics[control] <= 1.0  # the simple learners a reviewer compares with
    assert metrics["control_random_weights"] < metrics["control_kmeans"]
    # the network's principle without spikes (protocols.competitive), from its own initial weights
    for control in ("control_competitive", "control_competitive_pixels", "control_competitive_image_start"):
        assert 0.5 < metrics[control] <= 1.0
    assert 0 <= metrics["test_silent_fraction"] <= 1 and 0 < metrics["receptive_field_similarity"] <= 1
    assert 1 <= metrics["test_active_neurons_per_example"] <= 50 and 0 < metrics["test_winner_spike_share"] <= 1
    assert 0 < metrics["curve_evaluation_seconds"] < metrics["evaluation_seconds"]  # a part of the evaluation
    train_s = metrics["train_seconds"]
    assert metrics["curve_evaluation_fraction"] == pytest.approx(metrics["curve_evaluation_seconds"] / train_s)
    for figure in (
        "receptive_fields.png",
        "accuracy_curve.png",
        "raster.png",
        "training_state.png",
        "confusion_matrix.png",
    ):
        assert (quick_run / figure).is_file()


@pytest.mark.standalone
def test_trained_network_classifies_new_images_and_can_be_attacked(quick_run, tmp_path):
    data = load_dataset("digits", "0:8000", "8000:10000")
    classify = trained_classifier(quick_run)
    x, y = data.x_test[:40], data.y_test[:40]
    labels = classify(x)
    assert labels.shape == (40,) and np.array_equal(labels, classify(x))  # same images, same labels
    assert np.mean(labels == y) > 0.3  # chance: 0.10
    # the adversarial experiment attacks it by transfer from backprop's gradient
    m = json.loads(
        (
            run_experiment(
                "adversarial",
                quick=True,
                out=tmp_path / "adv",
                sets=[f"diehl_cook.run={quick_run}", "diehl_cook.examples=30"],
            )
            / "metrics.json"
        ).read_text()
    )
    assert m["diehl_cook"]["status"] == "evaluated" and m["diehl_cook"]["examples"] == 30
    curve = m["accuracy_vs_epsilon"]["fgsm"]["transfer_from_backprop"]["diehl_cook"]
    assert len(curve) == 3 and curve[0] > 0.3


def test_a_model_key_the_experiment_sets_itself_is_refused(tmp_path):
    from snnlearn.errors import ConfigError

    with pytest.raises(ConfigError, match="^groups.excitatory.n: is set by this experiment.*; set n_excitatory"):
        run_experiment("diehl_cook", sets=["groups.excitatory.n=20"], out=tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_the_run_scales_the_file_s_learning_rates_once():
    """The operating point multiplies the model file's STDP rates by ``nu_scale`` exactly once
    (a check that adapted the run's model before ``run`` adapted it again squared the factor)."""
    module, model, ctx = check_run("diehl_cook", sets=["protocol.running_mean=true"])
    spec, _, point = module.adapt_model(ctx, load_dataset("digits", "0:8000", "8000:10000"))
    file_rule = model.raw["synapses"]["input_excitatory"]["rule"]
    rule = spec.synapses["input_excitatory"].rule
    assert 0.1 < point.nu_scale < 0.5
    assert rule.nu_post == pytest.approx(file_rule["nu_post"] * point.nu_scale, rel=1e-12)
    assert rule.nu_pre == pytest.approx(file_rule["nu_pre"] * point.nu_scale, rel=1e-12)
    # n* = the paper's weight total / (its nu_post x its mean sum of presynaptic traces)
    assert rule.memory_spikes == pytest.approx(78.0 / (0.01 * 64.74), rel=1e-9)


@pytest.mark.standalone
def test_checkpoints_are_written_at_the_curve_points_and_then_at_most_once_per_interval(tmp_path, monkeypatch):
    """With an interval longer than the run, only the curve point and the end of training write
    one (of 10 chunks); without the interval, every chunk would (the fault-injection tests use 0)."""
    from snnlearn import results

    written: list[int] = []
    original = results.save_checkpoint
    monkeypatch.setattr(results, "save_checkpoint", lambda path, **a: written.append(1) or original(path, **a))
    sets = ["n_excitatory=10", "epochs=0.12", "slots_per_chunk=20", "curve_points=1", "checkpoint_seconds=3600"]
    sets += ["curve_assign_examples=40", "curve_test_examples=20", "assign_examples=40", "data.test=0:20"]
    run_experiment("diehl_cook", quick=True, seed=3, sets=sets, out=tmp_path / "run")
    assert len(written) == 2  # 2 passes of 81 presentations in chunks of 20: 10 chunks, 2 of them end a pass


def test_epochs_default_to_the_data_set_s_own_and_a_bad_value_is_refused_before_running(tmp_path):
    from snnlearn.errors import ConfigError

    module = load_experiment("diehl_cook")
    assert module.PARAMS["epochs"] == 0
    assert module.epochs_for(0, "digits") == 4.0 and module.epochs_for(0, "mnist") == 8.0
    assert module.epochs_for(2.5, "mnist") == 2.5
    with pytest.raises(ConfigError, match=r"^epochs: -1.0 is out of range; expected 0 \(the data set's own\)"):
        run_experiment("diehl_cook", sets=["epochs=-1"], out=tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_the_threshold_step_is_the_data_set_s_own_in_the_model_that_runs(tmp_path):
    """theta_plus: the paper's 0.05 mV on MNIST, 0.03 mV on the digits (chosen on validation), or
    the setting; the model that runs carries it, and a --set of the model's key is refused."""
    from brian2 import mV

    from snnlearn.errors import ConfigError

    module = load_experiment("diehl_cook")
    assert module.theta_plus_for(0, "mnist") == 0.05 and module.theta_plus_for(0, "digits") == 0.03
    assert module.theta_plus_for(0.07, "digits") == 0.07
    for sets, expected in (([], 0.03), (["theta_plus_mV=0.04"], 0.04)):
        _, _, ctx = check_run("diehl_cook", sets=sets)
        spec, _, _ = module.adapt_model(ctx, load_dataset("digits", "0:8000", "8000:10000"))
        assert float(spec.groups["excitatory"].neuron.theta_plus / mV) == pytest.approx(expected)
    with pytest.raises(ConfigError, match="^groups.excitatory.params.theta_plus: is set by this experiment"):
        run_experiment("diehl_cook", sets=["groups.excitatory.params.theta_plus=0.1 mV"], out=tmp_path / "a")
    with pytest.raises(ConfigError, match=r"^theta_plus_mV: -1.0 is out of range; expected 0 \(the data set's own\)"):
        run_experiment("diehl_cook", sets=["theta_plus_mV=-1"], out=tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
