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
    yield DigitPresenter(spec, protocol, 4, backend="runtime")
    session.__exit__(None, None, None)


def test_blank_image_is_repeated_brighter_until_the_cap(presenter):
    bright = np.ones((1, 16))
    blank = np.zeros((1, 16))
    result = presenter.present(np.concatenate([blank, bright]), learn=False)
    # slots: blank at 2, 3, 4 (cap reached: accepted), then the bright image once; the pass
    # ends at the start of the slot after (a 5th slot, one time step long)
    assert list(result.intensities) == [4.0, 2.0]
    assert result.counts[0].sum() == 0
    assert result.counts[1].sum() >= 5
    assert result.slots_used == 5


def test_frozen_pass_leaves_weights_and_thresholds_unchanged(presenter):
    images = np.random.default_rng(0).random((3, 16))
    session = presenter.session
    presenter.present(images, learn=True)
    learned = {v: np.asarray(session.get(o, v)).copy() for o, v in ((presenter.feedforward, "w"),
                                                                    (presenter.excitatory, "theta"))}
    presenter.present(images, learn=False)
    for obj, var in ((presenter.feedforward, "w"), (presenter.excitatory, "theta")):
        np.testing.assert_allclose(np.asarray(session.get(obj, var)), learned[var], rtol=1e-12)
    presenter.present(images, learn=True)
    assert not np.allclose(np.asarray(session.get(presenter.feedforward, "w")), learned["w"])


def test_weights_are_normalised_before_each_example(presenter):
    presenter.present(np.random.default_rng(1).random((4, 16)), learn=True)
    # the last normalisation was at the start of the last slot; STDP moved weights only a little since
    w = np.asarray(presenter.session.get(presenter.feedforward, "w")).reshape(16, 4)
    assert w.sum(axis=0) == pytest.approx(np.full(4, 78.0 * 16 / 784), rel=0.02)
    assert presenter.spec.synapses[FEEDFORWARD].normalize.period == presenter.protocol.slot
