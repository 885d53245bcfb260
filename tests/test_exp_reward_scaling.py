"""reward_scaling: its criteria (fast), and trials to criterion at the smallest size (slow, Brian2)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from snnlearn.experiment import run_experiment


def test_spiking_criteria():
    from snnlearn.protocols.unsupervised import fraction_with_prototype

    patterns = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    w = np.array([[1.0, 0.0, 0.5], [1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.0, 1.0, 0.5]])
    assert fraction_with_prototype(w, patterns, 0.9) == 1.0
    assert fraction_with_prototype(w[:, [0, 2]], patterns, 0.9) == 0.5  # the third: cosine 0.71
    assert fraction_with_prototype(w[:, [2]], patterns, 0.7) == 1.0
    assert fraction_with_prototype(np.zeros((4, 2)), patterns, 0.1) == 0.0  # zero weights point nowhere


@pytest.mark.slow
@pytest.mark.standalone
def test_spiking_half_times_reward_and_unsupervised_rules(tmp_path):
    """At the smallest size both kinds of rule reach the criterion within 300 trials."""
    sets = ["sizes=[[40,2]]", "trials=300", 'rules=["mstdpet"]']
    run = run_experiment("reward_scaling", quick=True, sets=sets, out=tmp_path / "run")
    metrics = json.loads((run / "metrics.json").read_text())
    reward, prototype = metrics["trials_to_reward_criterion_by_n"], metrics["trials_to_prototype_criterion_by_n"]
    assert set(reward) == {"mstdpet"} and set(prototype) == {"stdp_adaptive_threshold"}  # two criteria, apart
    assert 0 < reward["mstdpet"]["40x2"] <= 300
    assert 0 < prototype["stdp_adaptive_threshold"]["40x2"] <= 300
    assert (run / "trials_to_criterion.png").is_file()
    assert (run / "spiking" / "reward_choice_40x2" / "metrics.json").is_file()
