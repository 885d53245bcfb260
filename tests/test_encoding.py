"""Input encodings: Poisson rates within statistical tolerance, latency order."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import Hz, ms, second

from snnlearn.build import build_network
from snnlearn.encoding import latency_times, poisson_spike_trains, rates
from snnlearn.engine import backend_session
from snnlearn.errors import ConfigError
from snnlearn.spec import parse_model


def test_poisson_group_fires_at_its_rate():
    spec = parse_model({"name": "p", "groups": {"inputs": {"kind": "poisson", "n": 400, "rate": "20 Hz"}}})
    with backend_session("runtime", 3):
        net = build_network(spec)
        net.network.run(2 * second)
        counts = net.spikes["inputs"].count[:]
    expected = 400 * 20 * 2
    assert abs(counts.sum() - expected) < 4 * np.sqrt(expected)
    assert counts.var() == pytest.approx(counts.mean(), rel=0.25)  # Poisson: variance = mean


def test_numpy_poisson_trains_match_rates():
    values = np.array([0.0, 0.25, 1.0])
    idx, t = poisson_spike_trains(values, 20 * second, 40 * Hz, np.random.default_rng(0))
    counts = np.bincount(idx, minlength=3)
    assert counts[0] == 0
    for value, count in zip(values[1:], counts[1:], strict=True):
        expected = value * 40 * 20
        assert abs(count - expected) < 4 * np.sqrt(expected)
    assert np.all(np.diff(t) >= 0)
    assert rates(values, 63.75 * Hz)[2] == 63.75 * Hz


@pytest.mark.parametrize("kind", ["linear", "log"])
def test_latency_code_fires_stronger_inputs_first_and_once(kind):
    values = np.array([0.2, 0.9, 0.0, 0.5, 1.0])
    idx, t = latency_times(values, t_max=50 * ms, kind=kind)
    assert list(idx) == [4, 1, 3, 0]  # descending value; the zero does not fire
    assert np.all(np.diff(t) > 0)
    assert np.all(t <= 50 * ms)
    if kind == "linear":
        assert t[0] == 0 * ms and float(t[-1] / ms) == pytest.approx(40)


def test_encoders_reject_values_outside_unit_interval():
    with pytest.raises(ConfigError, match=r"\[0, 1\]"):
        rates(np.array([0.5, 1.5]))
    with pytest.raises(ConfigError, match="linear"):
        latency_times(np.array([0.5]), kind="cubic")
