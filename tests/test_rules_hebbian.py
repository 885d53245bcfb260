"""Oja's rule and BCM: the rate forms against their equations, the spiking forms by hand."""

from __future__ import annotations

import numpy as np
import pytest

from snnlearn.pairing import protocol_model, run_spike_trains, weight_changes
from snnlearn.rules.hebbian import bcm_step, oja_step


def test_oja_step_is_the_equation_and_keeps_the_unit_principal_component():
    w, x = np.array([0.3, -0.2]), np.array([1.0, 2.0])
    y = w @ x
    np.testing.assert_allclose(oja_step(w, x, 0.1), w + 0.1 * y * (x - y * w))
    pc = np.array([0.6, 0.8])
    np.testing.assert_allclose(oja_step(pc, 3.0 * pc, 0.1), pc)  # a fixed point


def test_oja_converges_to_the_first_principal_component():
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(4000, 3)) * np.sqrt([3.0, 1.0, 0.5])
    w = np.array([0.1, 0.5, -0.3])
    for x in inputs:
        w = oja_step(w, x, 0.01)
    assert abs(w[0]) / np.linalg.norm(w) > 0.99
    assert np.linalg.norm(w) == pytest.approx(1.0, abs=0.05)


def test_bcm_step_is_the_equation():
    w, x = np.array([0.5, 0.2]), np.array([1.0, 0.5])
    y = w @ x
    new_w, theta, out = bcm_step(w, 0.3, x, eta=0.1, tau_theta=10.0, y0=2.0)
    np.testing.assert_allclose(new_w, w + 0.1 * x * y * (y - 0.3))
    assert out == pytest.approx(y) and theta == pytest.approx(0.3 + (y * y / 2.0 - 0.3) / 10.0)
    assert bcm_step(-w, 0.3, x, 0.1, 10.0, 2.0)[2] == 0.0  # rectified output
    assert bcm_step(w, 5.0, x, 10.0, 10.0, 2.0, w_min=0.0)[0].min() == 0.0


TAU_RATE = 100.0  # ms


def test_spiking_oja_updates_at_postsynaptic_spikes():
    eta, w0 = 1e-3, 0.5  # eta in seconds
    spec = protocol_model({"oja": {"name": "oja", "tau_rate": f"{TAU_RATE} ms", "eta": f"{eta} s"}}, w_init=w0)
    dw = weight_changes(run_spike_trains(spec, [[10.0], []], [[20.0, 30.0], [20.0]]))["oja"]
    rate = 1000.0 / TAU_RATE  # Hz: a trace's jump 1 / tau_rate
    x1, x2 = rate * np.exp(-10 / TAU_RATE), rate * np.exp(-20 / TAU_RATE)
    w1 = w0 + eta * x1  # first post spike: no earlier post spike, y = 0
    w2 = w1 + eta * (x2 - rate * np.exp(-10 / TAU_RATE) * w1)
    assert dw[0] == pytest.approx(w2 - w0, rel=1e-9)
    assert dw[1] == 0.0  # no presynaptic activity, y = 0: no change


def test_spiking_bcm_threshold_slides_with_postsynaptic_activity():
    eta, y0, tau_theta, w0 = 1e-4, 10.0, 1000.0, 0.5  # s^2, Hz, ms
    spec = protocol_model(
        {
            "bcm": {
                "name": "bcm",
                "tau_rate": f"{TAU_RATE} ms",
                "tau_theta": f"{tau_theta} ms",
                "y0": f"{y0} Hz",
                "eta": f"{eta} s**2",
            }
        },
        w_init=w0,
    )
    posts = [20.0, 30.0, 40.0]
    dw = weight_changes(run_spike_trains(spec, [[10.0]], [posts]))["bcm"][0]
    rate = 1000.0 / TAU_RATE
    w, theta, y, last = w0, 0.0, 0.0, None
    for t in posts:
        if last is not None:
            y *= np.exp(-(t - last) / TAU_RATE)
            theta *= np.exp(-(t - last) / tau_theta)
        x = rate * np.exp(-(t - 10.0) / TAU_RATE)
        w += eta * x * (y - theta)
        theta += y / (tau_theta / 1000.0 * y0)
        y += rate
        last = t
    assert dw == pytest.approx(w - w0, rel=1e-9)
    assert theta > 0
