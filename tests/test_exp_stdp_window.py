"""stdp_window --quick: the fitted window reproduces the rule's time constants and amplitudes."""

from __future__ import annotations

import json

import pytest

from snnlearn.experiment import run_experiment


def metrics(run) -> dict:
    return json.loads((run / "metrics.json").read_text())


def test_window_of_the_default_rule(run_dir):
    m = metrics(run_experiment("stdp_window", quick=True, backend="runtime", out=run_dir))
    assert m["fitted_tau_plus_ms"] == pytest.approx(20.0, rel=0.05)
    assert m["fitted_tau_minus_ms"] == pytest.approx(20.0, rel=0.05)
    assert m["fitted_a_plus"] == pytest.approx(0.005, rel=0.05)
    assert m["fitted_a_minus"] == pytest.approx(0.00525, rel=0.05)
    assert (run_dir / "window.png").is_file()


def test_window_with_bi_and_poo_time_constants(tmp_path):
    sets = ['synapses.pairing.rule.tau_plus="16.8 ms"', 'synapses.pairing.rule.tau_minus="33.7 ms"']
    m = metrics(run_experiment("stdp_window", quick=True, backend="runtime", sets=sets, out=tmp_path / "run"))
    assert m["fitted_tau_plus_ms"] == pytest.approx(16.8, rel=0.05)
    assert m["fitted_tau_minus_ms"] == pytest.approx(33.7, rel=0.05)
    assert m["max_relative_error"] < 0.05


def test_window_beside_bi_and_poo(tmp_path):
    """The default rule (Song et al. 2000: 20 / 20 ms) beside the window fitted to Bi & Poo's data."""
    m = metrics(run_experiment("stdp_window", quick=True, backend="runtime", out=tmp_path / "run"))
    assert m["bi_poo_window"]["tau_plus_ms"] == 16.8 and m["bi_poo_window"]["tau_minus_ms"] == 33.7
    cmp = m["model_vs_bi_poo"]
    assert cmp["ratio"]["tau_plus_ms"] == pytest.approx(20.0 / 16.8, rel=0.05)
    assert cmp["ratio"]["tau_minus_ms"] == pytest.approx(20.0 / 33.7, rel=0.05)
    # 0.005 per pairing from w = 0.5: a 60% change after 60 pairings, against Bi & Poo's 77.7%
    assert cmp["model_relative_change_after_protocol"]["a_plus"] == pytest.approx(0.005 * 60 / 0.5, rel=0.05)
    assert cmp["a_minus_over_a_plus"]["model"] == pytest.approx(1.05, rel=0.05)
    assert cmp["a_minus_over_a_plus"]["bi_poo"] == pytest.approx(0.273 / 0.777)
    assert cmp["area_ratio"]["bi_poo"] == pytest.approx(0.273 * 33.7 / (0.777 * 16.8))
    assert cmp["area_ratio"]["model"] == pytest.approx(1.05, rel=0.1)  # depression-dominated
