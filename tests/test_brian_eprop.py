"""e-prop as a Brian2 rule gives the NumPy network's spikes and readout, and the NumPy e-prop updates.

Runtime device with the NumPy code target (tests/conftest.py): nothing is compiled."""

from __future__ import annotations

import numpy as np
import pytest

from snnlearn.ratenet import make_loss
from snnlearn.recurrent_snn import SpikingArchitecture, eprop_gradients, init_params, simulate
from snnlearn.recurrent_snn.brian_eprop import brian_eprop

LOSS = make_loss("softmax_cross_entropy")


@pytest.mark.parametrize("random_feedback", [False, True])
def test_brian2_eprop_equals_numpy_eprop(random_feedback):
    rng = np.random.default_rng(7)
    arch = SpikingArchitecture(n_in=6, n_lif=3, n_alif=3, n_recall=8, tau_a=60.0, beta_alif=0.3)
    params = init_params(arch, rng, w_in=3.0, w_rec=2.0, w_out=0.05)  # a small readout: errors far from 0
    params["b_out"] = np.array([0.1, -0.2])
    x = (rng.random((30, 2, 6)) < 0.3).astype(float)
    labels = np.array([0, 1])
    feedback = rng.normal(size=(2, 6)) if random_feedback else None
    brian = brian_eprop(arch, params, x, labels, feedback)
    trace = simulate(arch, params, x)
    np.testing.assert_array_equal(brian.z, trace.z[1:])  # the same spikes, step by step
    assert 0.05 < brian.z.mean() < 0.8 and brian.z[:, :, 3:].any()  # ALIF neurons spike too
    np.testing.assert_allclose(brian.y, trace.y, rtol=1e-9, atol=1e-12)
    numpy = eprop_gradients(arch, params, x, labels, LOSS, feedback)
    for key in numpy:
        assert np.abs(numpy[key]).max() > 1e-3, key  # not a comparison of zeros
        np.testing.assert_allclose(
            brian.grads[key], numpy[key], rtol=1e-6, atol=1e-9 * np.abs(numpy[key]).max(), err_msg=key
        )
