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
    m = metrics(
        run_experiment(
            "stdp_window", quick=True, backend="runtime", sets=sets, out=tmp_path / "run"
        )
    )
    assert m["fitted_tau_plus_ms"] == pytest.approx(16.8, rel=0.05)
    assert m["fitted_tau_minus_ms"] == pytest.approx(33.7, rel=0.05)
    assert m["max_relative_error"] < 0.05
