"""Triplet STDP (Pfister & Gerstner 2006) against updates computed by hand, and its presets."""

from __future__ import annotations

import numpy as np
import pytest

from snnlearn.errors import ConfigError
from snnlearn.pairing import protocol_model, run_spike_trains, weight_changes
from snnlearn.rules import make_rule
from snnlearn.rules.triplet import PRESETS

# every term non-zero, so that each one is checked
P = {
    "tau_plus": 16.8,
    "tau_minus": 33.7,
    "tau_x": 101.0,
    "tau_y": 125.0,
    "a2_plus": 0.005,
    "a3_plus": 0.0062,
    "a2_minus": 0.007,
    "a3_minus": 0.0023,
}
RULE = {
    "name": "triplet",
    "w_max": 2.0,
    **{k: (f"{v} ms" if k.startswith("tau") else v) for k, v in P.items()},
}

# (pre spike times, post spike times) in ms, one synapse each
PATTERNS = [
    ([20.0], [30.0]),  # pair pre -> post
    ([30.0], [20.0]),  # pair post -> pre
    ([30.0], [20.0, 40.0]),  # post-pre-post triplet
    ([20.0, 40.0], [30.0]),  # pre-post-pre triplet
    ([20.0], [30.0, 40.0, 50.0]),  # pre then three posts
]


def e(t, tau):
    return np.exp(-t / P[tau])


def expected_all_to_all():
    pair_ltp = e(10, "tau_plus") * P["a2_plus"]
    pair_ltd = -e(10, "tau_minus") * P["a2_minus"]
    return [
        pair_ltp,
        pair_ltd,
        # pre at 30 reads o1 of the post at 20 (r2 = 0); post at 40 reads r1 of the pre and
        # o2 of the earlier post
        pair_ltd + e(10, "tau_plus") * (P["a2_plus"] + P["a3_plus"] * e(20, "tau_y")),
        # post at 30: pair LTP (o2 = 0); pre at 40 reads o1 and r2 of the earlier pre
        pair_ltp - e(10, "tau_minus") * (P["a2_minus"] + P["a3_minus"] * e(20, "tau_x")),
        # posts at 30, 40, 50 read r1 of the pre at 20 and o2 of all earlier posts
        sum(
            e(t - 20, "tau_plus") * (P["a2_plus"] + P["a3_plus"] * sum(e(t - s, "tau_y") for s in (30, 40) if s < t))
            for t in (30, 40, 50)
        ),
    ]


@pytest.fixture(scope="module")
def changes():
    spec = protocol_model(
        {
            "all_to_all": RULE,
            "nearest": {**RULE, "interaction": "nearest"},
            "pair": {
                "name": "stdp_additive",
                "w_max": 2.0,
                "tau_plus": "16.8 ms",
                "tau_minus": "33.7 ms",
                "a_plus": P["a2_plus"],
                "a_minus": P["a2_minus"],
            },
            "no_triplet": {**RULE, "a3_plus": 0.0, "a3_minus": 0.0},
        },
        w_init=1.0,
    )
    pre, post = zip(*PATTERNS, strict=True)
    return weight_changes(run_spike_trains(spec, pre, post))


def test_all_to_all_matches_the_paper_equations(changes):
    np.testing.assert_allclose(changes["all_to_all"], expected_all_to_all(), rtol=1e-9)


def test_nearest_spike_saturates_the_triplet_trace(changes):
    # only the last pattern differs: the third post reads o2 = 1 * e(10) (reset), not the sum
    expected = expected_all_to_all()
    expected[4] = sum(
        e(t - 20, "tau_plus") * (P["a2_plus"] + P["a3_plus"] * (e(10, "tau_y") if t > 30 else 0)) for t in (30, 40, 50)
    )
    np.testing.assert_allclose(changes["nearest"], expected, rtol=1e-9)
    assert changes["nearest"][4] < changes["all_to_all"][4]


def test_without_triplet_terms_it_is_the_pair_rule(changes):
    np.testing.assert_allclose(changes["no_triplet"], changes["pair"], rtol=1e-12)


def test_presets_load_the_published_values_and_explicit_values_win():
    rule = make_rule({"name": "triplet", "preset": "hippocampal_all_to_all_full"}, "rule")
    assert (rule.a2_plus, rule.a3_plus, rule.a2_minus, rule.a3_minus) == (
        6.1e-3,
        6.7e-3,
        1.6e-3,
        1.4e-3,
    )
    assert float(rule.tau_x * 1000) == pytest.approx(946) and float(rule.tau_y * 1000) == pytest.approx(27)
    nearest = make_rule({"name": "triplet", "preset": "visual_cortex_nearest_minimal", "a3_plus": 0.04}, "rule")
    assert nearest.interaction == "nearest" and nearest.a3_plus == 0.04 and nearest.a2_plus == 0.0
    default = make_rule({"name": "triplet"}, "rule")
    assert default == make_rule({"name": "triplet", "preset": "visual_cortex_all_to_all_minimal"}, "rule")
    for values in PRESETS.values():  # every preset is a valid parameter set
        assert set(values) <= set(type(default).field_names())


def test_unknown_preset_is_one_clear_error():
    with pytest.raises(ConfigError) as info:
        make_rule({"name": "triplet", "preset": "cortex"}, "synapses.s.rule")
    message = str(info.value)
    assert message.startswith("synapses.s.rule.preset: unknown preset 'cortex'; allowed: ")
    assert all(name in message for name in PRESETS) and "\n" not in message
