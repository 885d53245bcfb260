"""Weight normalisation inside the simulation (runtime and standalone) and its NumPy twin."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import ms

from snnlearn.build import build_network
from snnlearn.engine import backend_session
from snnlearn.rules.homeostasis import incoming_sums, normalize
from snnlearn.session import Session
from snnlearn.spec import parse_model

TOTAL = 2.5


def test_numpy_normalize_rescales_each_neuron_and_keeps_ratios():
    w, post = np.array([1.0, 3.0, 2.0, 0.0, 0.0]), np.array([0, 0, 1, 2, 2])
    out = normalize(w, post, 3, TOTAL)
    np.testing.assert_allclose(incoming_sums(out, post, 3), [TOTAL, TOTAL, 0.0])
    assert out[1] / out[0] == pytest.approx(3.0)


MODEL = {
    "name": "normalisation",
    "simulation": {"dt": "0.5 ms"},
    "groups": {
        "inputs": {"kind": "poisson", "n": 12, "rate": "30 Hz"},
        "out": {"neuron": "lif_conductance", "n": 3},
    },
    "synapses": {
        # static weights with known initial values, rescaled every 20 ms
        "feed": {
            "pre": "inputs",
            "post": "out",
            "connect": "all",
            "effect": "g_e_post += w",
            "w_init": "0.05 + 0.01 * i + 0.1 * j",
            "normalize": {"total": TOTAL, "period": "20 ms"},
        },
        # plastic weights: the rule moves the sums between normalisations
        "plastic": {
            "pre": "inputs",
            "post": "out",
            "connect": "all",
            "effect": "g_e_post += w",
            "w_init": 0.3,
            "rule": {"name": "diehl_cook"},
            "normalize": {"total": TOTAL, "period": "20 ms"},
        },
    },
}


@pytest.mark.parametrize("backend", ["runtime", pytest.param("standalone", marks=pytest.mark.standalone)])
def test_normalisation_runs_inside_the_simulation(backend):
    spec = parse_model(MODEL)
    with backend_session(backend, 3, key="test-normalisation") as build_dir:
        net = build_network(spec, record_spikes=["out"])
        # one step after a normalisation (at 500 ms): the rule has had one step to move the sums
        session = Session(net.network, backend=backend, chunk=500.5 * ms, build_dir=build_dir)
        session.run()
        feed, plastic = (np.asarray(session.get(net.synapses[name], "w")) for name in ("feed", "plastic"))
        i, j = np.asarray(net.synapses["feed"].i[:]), np.asarray(net.synapses["feed"].j[:])
        plastic_j = np.asarray(net.synapses["plastic"].j[:])
        n_out_spikes = int(session.spike_count(net.spikes["out"]).sum())
    np.testing.assert_allclose(feed, normalize(0.05 + 0.01 * i + 0.1 * j, j, 3, TOTAL), rtol=1e-9)
    assert n_out_spikes > 0
    sums = incoming_sums(plastic, plastic_j, 3)
    one_step = 12 * (0.01 + 0.0001)  # at most one post and one pre update of each of 12 synapses
    assert np.all(np.abs(sums - TOTAL) <= one_step)
    assert not np.allclose(plastic, plastic[0])  # the rule did act
