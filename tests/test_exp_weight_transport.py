"""weight_transport --quick: FA and sign symmetry learn nearly as well as backprop, and align."""

from __future__ import annotations

import json

from snnlearn.experiment import run_experiment


def test_weight_transport_quick(tmp_path):
    run = run_experiment("weight_transport", quick=True, out=tmp_path / "run")
    m = json.loads((run / "metrics.json").read_text())
    acc = m["test_accuracy_by_learner"]["one_hidden"]
    assert acc["backprop"] > 0.9
    assert acc["feedback_alignment"] > 0.9 and m["fa_minus_bp_points"]["one_hidden"] > -4
    assert acc["sign_symmetry"] > 0.9
    assert acc["output_only"] < acc["feedback_alignment"] - 0.1  # Lillicrap: 7.2% vs 2.1% error
    # With one hidden layer, DFA's matrix is FA's (same draw), so the two learn identically.
    assert acc["direct_feedback_alignment"] == acc["feedback_alignment"]
    assert m["test_accuracy_by_learner"]["deep"]["backprop"] > 0.8
    assert m["test_accuracy_by_learner"]["deep"]["sign_symmetry"] > 0.8

    first, last = m["initial_alignment_angle_deg"], m["final_alignment_angle_deg"]
    assert 80 < first["one_hidden"]["feedback_alignment"][0] < 100  # B unrelated to W at first
    assert last["one_hidden"]["feedback_alignment"][0] < 60  # ... then aligned
    assert last["one_hidden"]["sign_symmetry"][0] < 45
    assert last["one_hidden"]["backprop"][0] < 1e-3
    assert last["one_hidden"]["output_only"] == [None]  # no hidden update at all
    assert len(last["deep"]["feedback_alignment"]) == 3
    curve = m["alignment_angle_deg"]["one_hidden"]["feedback_alignment"]
    assert curve["epoch"][0] == 0 and curve["epoch"][-1] == m["epochs"]
    assert len(curve["hidden_layer_1"]) == len(curve["epoch"]) > 10

    # every learner's own rate, chosen from the same grid on a validation split
    for net in ("one_hidden", "deep"):
        rates = m["learning_rates"][net]
        assert rates["lr_grid"] == m["params"]["lr_grid"] and rates["validation_examples"] > 200
        assert set(rates["lr_by_learner"]) == set(m["params"]["learners"]) == set(rates["lr_chosen"])
        for name, by_lr in rates["validation_accuracy_by_lr"].items():
            assert rates["lr_chosen"][name] in rates["lr_grid"]
            assert by_lr[f"{rates['lr_chosen'][name]:g}"] == max(by_lr.values())
    to_target = m["epochs_to_target"]["one_hidden"]
    assert to_target["backprop"] is not None and to_target["output_only"] is None
    assert (run / "learning_curves.png").is_file() and (run / "alignment_angle.png").is_file()
