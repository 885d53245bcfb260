"""Pair STDP (stdp_additive, stdp_multiplicative) against updates computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from snnlearn.pairing import protocol_model, run_spike_trains, weight_changes

TAU_PLUS, TAU_MINUS, A_PLUS, A_MINUS = 16.8, 33.7, 0.01, 0.012
PAIR = {
    "tau_plus": f"{TAU_PLUS} ms",
    "tau_minus": f"{TAU_MINUS} ms",
    "a_plus": A_PLUS,
    "a_minus": A_MINUS,
}

# (pre spike times, post spike times) in ms, one synapse each
PATTERNS = [
    ([20.0], [30.0]),  # pre -> post, dt = +10
    ([30.0], [20.0]),  # post -> pre, dt = -10
    ([20.0, 30.0], [40.0]),  # two pre then one post
    ([40.0], [20.0, 30.0]),  # two post then one pre
    ([20.0], [20.0]),  # same time step: counts as dt = 0+
]


def ltp(*lags):
    return sum(A_PLUS * np.exp(-lag / TAU_PLUS) for lag in lags)


def ltd(*lags):
    return sum(A_MINUS * np.exp(-lag / TAU_MINUS) for lag in lags)


@pytest.fixture(scope="module")
def pair_changes():
    spec = protocol_model(
        {
            "all_to_all": {"name": "stdp_additive", **PAIR, "interaction": "all_to_all"},
            "nearest": {"name": "stdp_additive", **PAIR, "interaction": "nearest"},
            "soft": {"name": "stdp_multiplicative", **PAIR, "mu": 0.5},
        },
        w_init=0.25,
    )
    pre, post = zip(*PATTERNS, strict=True)
    return weight_changes(run_spike_trains(spec, pre, post))


def test_one_pair_follows_the_window(pair_changes):
    for rule in ("all_to_all", "nearest"):
        dw = pair_changes[rule]
        assert dw[0] == pytest.approx(ltp(10.0), rel=1e-9)
        assert dw[1] == pytest.approx(-ltd(10.0), rel=1e-9)
        assert dw[4] == pytest.approx(A_PLUS, rel=1e-9)


def test_all_to_all_sums_every_pair_and_nearest_only_the_last(pair_changes):
    assert pair_changes["all_to_all"][2] == pytest.approx(ltp(20.0, 10.0), rel=1e-9)
    assert pair_changes["nearest"][2] == pytest.approx(ltp(10.0), rel=1e-9)
    assert pair_changes["all_to_all"][3] == pytest.approx(-ltd(20.0, 10.0), rel=1e-9)
    assert pair_changes["nearest"][3] == pytest.approx(-ltd(10.0), rel=1e-9)


def test_weight_dependence_scales_the_steps(pair_changes):
    w0, mu = 0.25, 0.5
    assert pair_changes["soft"][0] == pytest.approx(ltp(10.0) * (1 - w0) ** mu, rel=1e-9)
    assert pair_changes["soft"][1] == pytest.approx(-ltd(10.0) * w0**mu, rel=1e-9)


def test_soft_bounds_keep_weights_strictly_inside_while_hard_bounds_saturate():
    rng = np.random.default_rng(0)
    n, big = 20, {"a_plus": 0.6, "a_minus": 0.6, "interaction": "nearest"}
    spec = protocol_model(
        {
            "soft": {"name": "stdp_multiplicative", "mu": 1.0, **big},
            "hard": {"name": "stdp_additive", **big},
        },
        w_init=0.5,
    )
    trains = [
        [np.sort(rng.choice(np.arange(1, 2000), size=60, replace=False)).astype(float) for _ in range(n)]
        for _ in range(2)
    ]
    result = run_spike_trains(spec, *trains, record_dt_ms=1.0)
    soft, hard = result.traces["soft"], result.traces["hard"]
    assert soft.min() > 0 and soft.max() < 1
    assert hard.min() == 0 and hard.max() == 1
