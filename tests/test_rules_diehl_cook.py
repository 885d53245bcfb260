"""Diehl & Cook (2015) STDP against its original code's updates, computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from snnlearn.pairing import protocol_model, run_spike_trains, weight_changes
from snnlearn.rules import make_rule

NU_PRE, NU_POST = 0.0001, 0.01
TAU_PRE, TAU_POST1, TAU_POST2 = 20.0, 20.0, 40.0


@pytest.fixture(scope="module")
def changes():
    patterns = [
        ([30.0], [20.0]),  # post -> pre: presynaptic depression
        ([20.0], [30.0]),  # one pre -> post pair: no earlier post spike, no change
        ([20.0], [30.0, 50.0]),  # pre, post, post: the second post potentiates
        ([20.0, 25.0], [30.0, 50.0]),  # two pre spikes: the trace is reset, not summed
    ]
    pre, post = zip(*patterns, strict=True)
    return weight_changes(run_spike_trains(protocol_model({"dc": {"name": "diehl_cook"}}, w_init=0.5), pre, post))["dc"]


def test_presynaptic_spike_depresses(changes):
    assert changes[0] == pytest.approx(-NU_PRE * np.exp(-10 / TAU_POST1), rel=1e-9)
    assert changes[0] < 0  # the sign two public ports flipped


def test_potentiation_needs_an_earlier_postsynaptic_spike(changes):
    assert changes[1] == 0.0
    assert changes[2] == pytest.approx(NU_POST * np.exp(-30 / TAU_PRE) * np.exp(-20 / TAU_POST2), rel=1e-9)


def test_traces_are_set_to_one_at_spikes(changes):
    assert changes[3] == pytest.approx(NU_POST * np.exp(-25 / TAU_PRE) * np.exp(-20 / TAU_POST2), rel=1e-9)


def test_defaults_are_the_original_code():
    rule = make_rule({"name": "diehl_cook"}, "rule")
    assert (rule.nu_pre, rule.nu_post, rule.w_max) == (NU_PRE, NU_POST, 1.0)
    assert [round(float(t * 1000), 9) for t in (rule.tau_pre, rule.tau_post1, rule.tau_post2)] == [
        20,
        20,
        40,
    ]
    assert "w - nu_pre * post1" in rule.on_pre()


def test_running_mean_schedule_scales_each_spike_by_memory_over_spikes_learned():
    """With ``memory_spikes`` = m, the k-th postsynaptic spike (k = 0, 1, ...) learns at
    m / (1 + k) times the constant rate, and never below it."""
    m = 10.0
    patterns = [
        ([20.0], [30.0, 50.0]),  # second post spike: k = 1, factor m / 2
        ([30.0], [20.0]),  # depression after one post spike: k = 1, factor m / 2
        ([20.0], [30.0, 50.0] + [60.0 + 10 * j for j in range(12)]),  # factors fall to 1, not below
    ]
    pre, post = zip(*patterns, strict=True)
    rules = {"constant": {"name": "diehl_cook"}, "schedule": {"name": "diehl_cook", "memory_spikes": m}}
    dw = weight_changes(run_spike_trains(protocol_model(rules, w_init=0.5), pre, post))
    assert dw["schedule"][0] == pytest.approx(dw["constant"][0] * m / 2, rel=1e-9)
    assert dw["schedule"][1] == pytest.approx(dw["constant"][1] * m / 2, rel=1e-9)
    assert dw["constant"][2] < dw["schedule"][2] < dw["constant"][2] * m / 2
