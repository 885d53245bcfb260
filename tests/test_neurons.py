"""Neuron models: hard threshold and reset against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import Network, SpikeMonitor, StateMonitor, ms, mV, nA, second

from snnlearn.build import build_network
from snnlearn.engine import backend_session
from snnlearn.spec import parse_model


def single_group(neuron: str, n: int, params: dict | None = None, dt: str = "0.01 ms"):
    raw = {
        "name": "t",
        "simulation": {"dt": dt},
        "groups": {"cells": {"neuron": neuron, "n": n, "params": params or {}}},
    }
    return parse_model(raw)


def lif_count(model, drive, duration):
    """Spikes in ``duration`` from rest: first at t1 (from v_rest), then every period (from v_reset)."""
    v_inf = model.v_rest + drive
    t1 = model.tau_m * np.log((v_inf - model.v_rest) / (v_inf - model.v_threshold))
    period = model.t_ref + model.tau_m * np.log((v_inf - model.v_reset) / (v_inf - model.v_threshold))
    return float((duration - t1) / period) + 1


@pytest.mark.parametrize("neuron", ["lif_current", "lif_conductance"])
def test_lif_with_constant_input_fires_at_the_analytic_rate(neuron):
    spec = single_group(neuron, 3)
    model = spec.groups["cells"].neuron
    drives = np.array([25.0, 40.0, 80.0]) * mV
    with backend_session("runtime", 1):
        net = build_network(spec)
        cells = net.groups["cells"]
        if neuron == "lif_current":
            cells.I_ext = drives / model.r_m
        else:
            cells.v_ext = drives
        net.network.run(0.5 * second)
        counts = net.spikes["cells"].count[:]
    expected = np.floor([lif_count(model, d, 0.5 * second) for d in drives])
    # threshold crossings are detected on the 0.01 ms grid: at most about one step lost per period
    assert np.all(np.abs(counts - expected) <= 1 + 0.01 * expected)
    assert counts[0] < counts[1] < counts[2]


def test_lif_below_threshold_never_fires():
    spec = single_group("lif_current", 1)
    model = spec.groups["cells"].neuron
    with backend_session("runtime", 1):
        net = build_network(spec)
        net.groups["cells"].I_ext = 0.99 * (model.v_threshold - model.v_rest) / model.r_m
        net.network.run(0.2 * second)
        assert net.spikes["cells"].num_spikes == 0


def test_adaptive_threshold_rises_by_theta_plus_per_spike_and_freezes():
    spec = single_group("adaptive_lif", 2, {"theta_plus": "1 mV", "t_ref": "2 ms"})
    with backend_session("runtime", 1):
        net = build_network(spec)
        cells = net.groups["cells"]
        cells.v_ext = [60, 0] * mV
        net.network.run(0.3 * second)
        counts = net.spikes["cells"].count[:].copy()
        theta = cells.theta[:].copy()
        assert counts[0] > 3
        assert theta / mV == pytest.approx(20 + counts * 1.0, rel=1e-4)  # tau_theta = 1e7 ms
        cells.adapting = 0
        net.network.run(0.1 * second)
        assert cells.theta[:] / mV == pytest.approx(theta / mV)
        assert net.spikes["cells"].count[0] > counts[0]


def test_izhikevich_resets_to_c_and_adds_d():
    spec = single_group("izhikevich", 1, dt="0.1 ms")
    model = spec.groups["cells"].neuron
    with backend_session("runtime", 1):
        net = build_network(spec)
        cells = net.groups["cells"]
        cells.I_ext = 10 * mV
        state = StateMonitor(cells, ["v", "u"], record=0, when="after_resets")
        net.add(state)
        net.network.run(0.5 * second)
        spikes = net.spikes["cells"].t[:]
    assert 3 <= len(spikes) <= 30  # regular spiking, tonic
    steps = np.round(spikes / (0.1 * ms)).astype(int)
    v_after, u_after, u_before = state.v[0][steps], state.u[0][steps], state.u[0][steps - 1]
    assert v_after / mV == pytest.approx(np.full(len(steps), float(model.c / mV)))
    assert np.all(state.v[0] < model.v_peak)
    assert (u_after - u_before) / mV == pytest.approx(np.full(len(steps), 8.0), abs=0.05)


def test_current_synapse_input_decays_with_tau_syn():
    spec = single_group("lif_current", 1)
    with backend_session("runtime", 1):
        net = build_network(spec)
        cells = net.groups["cells"]
        cells.I_syn = 1 * nA
        mon = SpikeMonitor(cells)
        Network(cells, mon).run(5 * ms)  # one tau_syn
        assert cells.I_syn[0] / nA == pytest.approx(np.exp(-1), rel=1e-3)
