"""The exact event-driven weight changes of snnlearn.rulefit against the Brian2 rules, and the fit."""

from __future__ import annotations

import numpy as np
import pytest

from snnlearn.pairing import Pairing, pairing_trains, protocol_model, run_spike_trains, weight_changes
from snnlearn.rulefit import (
    DEFAULT_TAUS_MS,
    RuleFamily,
    as_rule_table,
    fit_rule,
    rule_params,
    sign_matches,
    trace_features,
    weight_change,
)

#: Every amplitude non-zero and unusual time constants, so that each term and trace is exercised.
TRIPLET = {
    "a2_plus": 4e-3,
    "a3_plus": 6e-3,
    "a2_minus": 5e-3,
    "a3_minus": 2e-3,
    "tau_plus": 12.0,
    "tau_minus": 27.0,
    "tau_x": 80.0,
    "tau_y": 55.0,
}
PAIR = {"a2_plus": 7e-3, "a2_minus": 3e-3, "tau_plus": 16.8, "tau_minus": 33.7}


def _trains():
    """Pairings at +-10 ms and 20 / 50 Hz, plus a train with coincident pre and post spikes."""
    pre, post = pairing_trains([Pairing(lag, f, 12) for lag in (10.0, -10.0) for f in (20.0, 50.0)])
    pre.append(np.array([10.0, 30.0, 31.0, 60.0, 64.0]))
    post.append(np.array([12.0, 30.0, 45.0, 61.0, 62.0, 90.0]))
    return pre, post


@pytest.mark.parametrize("interaction", ["all_to_all", "nearest"])
def test_exact_weight_change_equals_the_brian2_simulation(interaction):
    pre, post = _trains()
    triplet = {
        "name": "triplet",
        **{k: v for k, v in TRIPLET.items() if k.startswith("a")},
        **{k: f"{v} ms" for k, v in TRIPLET.items() if k.startswith("tau")},
        "w_max": 3.0,
        "interaction": interaction,
    }
    pair = {
        "name": "stdp_additive",
        "a_plus": PAIR["a2_plus"],
        "a_minus": PAIR["a2_minus"],
        "tau_plus": "16.8 ms",
        "tau_minus": "33.7 ms",
        "w_max": 3.0,
        "interaction": interaction,
    }
    spec = protocol_model({"triplet": triplet, "pair": pair}, w_init=1.0, dt="1 ms")
    simulated = weight_changes(run_spike_trains(spec, pre, post, backend="runtime"))
    for name, params in (("triplet", TRIPLET), ("pair", PAIR)):
        exact = [weight_change(a, b, params, interaction) for a, b in zip(pre, post, strict=True)]
        np.testing.assert_allclose(simulated[name], exact, rtol=0, atol=1e-12, err_msg=name)
        assert rule_params(spec.synapses[name].rule)[1] == interaction
        from_rule = [
            weight_change(a, b, *rule_params(spec.synapses[name].rule)) for a, b in zip(pre, post, strict=True)
        ]
        np.testing.assert_allclose(from_rule, exact, rtol=0, atol=1e-15)


def test_features_of_single_pairs_are_the_exponential_window():
    taus = dict(DEFAULT_TAUS_MS)
    f = trace_features(np.array([0.0]), np.array([10.0]), taus)
    np.testing.assert_allclose(f, [np.exp(-10 / 16.8), 0, 0, 0])
    f = trace_features(np.array([10.0]), np.array([0.0]), taus)
    np.testing.assert_allclose(f, [0, 0, np.exp(-10 / 33.7), 0])
    # post-pre-post: the second post spike reads o2 = exp(-20/tau_y) before its own bump
    f = trace_features(np.array([10.0]), np.array([0.0, 20.0]), taus)
    np.testing.assert_allclose(f, [np.exp(-10 / 16.8), np.exp(-10 / 16.8) * np.exp(-20 / 114), np.exp(-10 / 33.7), 0])
    # coincident spikes: pre first (dt = 0+), so the post spike sees r1 = 1
    np.testing.assert_allclose(trace_features(np.array([5.0]), np.array([5.0]), taus), [1, 0, 0, 0])
    with pytest.raises(ValueError, match="interaction"):
        trace_features(np.array([0.0]), np.array([1.0]), taus, "symmetric")


def test_nearest_resets_where_all_to_all_adds():
    taus = dict(DEFAULT_TAUS_MS)
    pre, post = np.array([0.0, 1.0]), np.array([2.0])
    a2a = trace_features(pre, post, taus, "all_to_all")
    nearest = trace_features(pre, post, taus, "nearest")
    np.testing.assert_allclose(a2a[0], np.exp(-2 / 16.8) + np.exp(-1 / 16.8))
    np.testing.assert_allclose(nearest[0], np.exp(-1 / 16.8))


def test_fit_recovers_a_rule_from_its_own_weight_changes():
    pre, post = pairing_trains([Pairing(lag, f, 20) for lag in (10.0, -10.0) for f in (1.0, 20.0, 40.0)])
    trains = list(zip(pre, post, strict=True))
    truth = {"a3_plus": 6e-3, "a2_minus": 7e-3, "tau_y": 80.0}
    target = [weight_change(a, b, truth) for a, b in trains]
    fixed = fit_rule(trains, target, RuleFamily(("a3_plus", "a2_minus"), (), {**DEFAULT_TAUS_MS, "tau_y": 80.0}))
    assert fixed.rmse < 1e-12 and fixed.free == ["a3_plus", "a2_minus"]
    assert fixed.params["a3_plus"] == pytest.approx(6e-3) and fixed.params["a2_minus"] == pytest.approx(7e-3)
    assert fixed.params["a2_plus"] == 0 and fixed.params["a3_minus"] == 0
    free = fit_rule(trains, target, RuleFamily(("a3_plus", "a2_minus"), ("tau_y",)))
    assert free.params["tau_y"] == pytest.approx(80.0, rel=1e-3) and free.rmse < 1e-6
    np.testing.assert_allclose(free.dw, target, atol=1e-6)
    table = as_rule_table(free, "triplet", "all_to_all", 3.0)
    assert table["a3_plus"] == pytest.approx(6e-3, rel=1e-3) and table["tau_y"].endswith(" ms")
    pair = as_rule_table(fixed, "stdp_additive", "nearest", 2.0)
    assert pair["a_minus"] == pytest.approx(7e-3) and pair["interaction"] == "nearest"


def test_sign_matches_counts_zero_as_wrong():
    assert sign_matches(np.array([0.1, -0.1, 0.0, 0.2]), np.array([0.3, 0.2, -0.1, 0.0])) == [True, False, False, False]
