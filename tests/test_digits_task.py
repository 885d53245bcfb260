"""The Diehl & Cook presentation protocol: repeats with higher intensity, frozen passes."""

from __future__ import annotations

import numpy as np
import pytest

from snnlearn.bench import diehl_cook_spec
from snnlearn.engine import backend_session
from snnlearn.tasks.digits import FEEDFORWARD, DigitPresenter, Protocol


@pytest.fixture(scope="module")
def presenter():
    protocol = Protocol.from_mapping({"max_intensity": 4.0, "t_present": "100 ms", "t_rest": "50 ms",
                                      "pixel_rate": "300 Hz"}, "protocol")
    spec = diehl_cook_spec(n_pixels=16, n_excitatory=4, protocol=protocol)
    session = backend_session("runtime", 3, key="test-digits")
    session.__enter__()
    yield DigitPresenter(spec, protocol, 4, backend="runtime", seed=3)
    session.__exit__(None, None, None)


def test_blank_image_is_repeated_brighter_until_the_cap(presenter):
    bright = np.ones((1, 16))
    blank = np.zeros((1, 16))
    result = presenter.run_chunk(np.concatenate([blank, bright]), 0, learn=False, intensity=2.0)
    # slots: blank at 2, 3, 4 (cap reached: accepted), then the bright image
    assert len(result.final_slots) == 2
    assert result.final_slots[0] == 2
    assert list(result.intensities) == [4.0, 2.0]
    assert result.counts[0].sum() == 0
    assert result.counts[1].sum() >= 5


def test_frozen_pass_leaves_weights_and_thresholds_unchanged(presenter):
    images = np.random.default_rng(0).random((3, 16))
    presenter.runner.state.clear()
    presenter.run_chunk(images, 1, learn=True, intensity=2.0)
    learned = {k: np.asarray(v).copy() for k, v in presenter.runner.state.items()}
    presenter.run_chunk(images, 2, learn=False, intensity=2.0)
    for key, value in presenter.runner.state.items():
        np.testing.assert_allclose(np.asarray(value), learned[key], rtol=1e-12)
    presenter.run_chunk(images, 3, learn=True, intensity=2.0)
    assert not np.allclose(np.asarray(presenter.runner.state[f"{FEEDFORWARD}.w"]), learned[f"{FEEDFORWARD}.w"])


def test_weights_are_normalised_before_each_example(presenter):
    presenter.runner.state.clear()
    presenter.run_chunk(np.random.default_rng(1).random((4, 16)), 4, learn=True, intensity=2.0)
    # the last normalisation was at the start of the last slot; STDP moved weights only a little since
    w = np.asarray(presenter.runner.state[f"{FEEDFORWARD}.w"]).reshape(16, 4)
    assert w.sum(axis=0) == pytest.approx(np.full(4, 78.0 * 16 / 784), rel=0.02)
    assert presenter.spec.synapses[FEEDFORWARD].normalize.period == presenter.protocol.slot
