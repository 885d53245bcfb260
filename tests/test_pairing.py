"""Pairing protocols run in a session: the weights, their traces and stdp_window's results do not
depend on the chunk length; a chunk that does not divide the protocol is refused before anything runs."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest

from snnlearn import pairing
from snnlearn.errors import ConfigError
from snnlearn.experiment import load_experiment, run_experiment
from snnlearn.pairing import Pairing, pairing_trains, protocol_model, run_spike_trains
from snnlearn.results import WALL_CLOCK_METRICS

BACKENDS = ["runtime", pytest.param("standalone", marks=pytest.mark.standalone)]
TIMING = WALL_CLOCK_METRICS | {"params", "model"}


def protocol():
    """Two rules on pairings whose traces overlap from one pairing to the next (50 Hz), so that a
    boundary falls while traces are far from zero; 4 pairings last until 20 + 60 + 10 + 10 = 100 ms."""
    spec = protocol_model({"pair": {"name": "stdp_additive"}, "triplet": {"name": "triplet"}}, w_init=0.5)
    trains = pairing_trains([Pairing(lag, 50.0, 4) for lag in (-10.0, 5.0, 10.0)])
    return spec, trains


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_chunk_length_does_not_change_weights_or_traces(backend):
    spec, trains = protocol()
    whole = run_spike_trains(spec, *trains, backend=backend, record_dt_ms=1.0)
    # 10 chunks of 10 ms: spikes fall on chunk boundaries
    split = run_spike_trains(spec, *trains, backend=backend, record_dt_ms=1.0, chunk_ms=10.0)
    assert whole.duration_s == split.duration_s == pytest.approx(0.1)
    assert not np.allclose(whole.weights["triplet"], 0.5)  # the rules did act
    for name in ("pair", "triplet"):
        np.testing.assert_array_equal(split.weights[name], whole.weights[name])
        np.testing.assert_array_equal(split.traces[name], whole.traces[name])
        assert whole.traces[name].shape == (100, 3)  # one sample per ms from 0, time x synapse
        np.testing.assert_array_equal(whole.traces[name][-1], whole.weights[name])  # nothing after 99 ms


def test_a_chunk_that_does_not_divide_the_protocol_is_refused_before_anything_is_built(monkeypatch):
    spec, trains = protocol()

    def built(*args, **kwargs):
        raise AssertionError("the network was built")

    monkeypatch.setattr(pairing, "build_network", built)
    with pytest.raises(ConfigError, match=r"^chunk_ms: 30. ms does not divide the duration \(100. ms\)"):
        run_spike_trains(spec, *trains, chunk_ms=30.0)


def _result(run) -> tuple[dict, dict]:
    metrics = json.loads((run / "metrics.json").read_text())
    return {k: v for k, v in metrics.items() if k not in TIMING}, dict(np.load(run / "window.npz"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_stdp_window_does_not_depend_on_the_chunk_length(tmp_path, monkeypatch, backend):
    """stdp_window with 3 pairings per lag (110 + 2000 + 100 + 10 = 2220 ms) in one chunk and in 6."""
    module = load_experiment("stdp_window")
    sets = ["n_pairings=3", "lag_step_ms=20"]
    runs = {}
    for chunk_ms in (None, 370.0):
        monkeypatch.setattr(module, "run_spike_trains", functools.partial(run_spike_trains, chunk_ms=chunk_ms))
        runs[chunk_ms] = _result(
            run_experiment("stdp_window", quick=True, backend=backend, sets=sets, out=tmp_path / f"chunk-{chunk_ms}")
        )
    (m1, a1), (m6, a6) = runs.values()
    assert m1["simulated_seconds"] == pytest.approx(2.22)
    assert m1["fitted_tau_plus_ms"] == pytest.approx(20.0, rel=1e-6)
    assert m1 == m6
    assert a1.keys() == a6.keys()
    for key in a1:
        np.testing.assert_array_equal(a1[key], a6[key], err_msg=key)
