"""Frozen evaluation on K copies (snnlearn.tasks.frozen): the same responses as the plastic network's
frozen pass, copies that do not see each other, and the block-diagonal wiring."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import mV, prefs, second

from snnlearn.bench import diehl_cook_spec
from snnlearn.build import block_connect
from snnlearn.engine import backend_session
from snnlearn.errors import ConfigError
from snnlearn.tasks.digits import DigitPresenter, Protocol
from snnlearn.tasks.frozen import FrozenCopies, FrozenState, copies_for, synapses_per_copy

PROTOCOL = Protocol.from_mapping(
    {"max_intensity": 4.0, "t_present": "100 ms", "t_rest": "50 ms", "pixel_rate": "300 Hz"}, "protocol"
)
SPEC = diehl_cook_spec(n_pixels=16, n_excitatory=4, protocol=PROTOCOL)
RNG = np.random.default_rng(0)
IMAGES = RNG.random((7, 16))
IMAGES[2] = 0  # a blank image: repeated up to the cap
WEIGHTS = RNG.random(16 * 4) * 0.3
THETA = 20 + RNG.random(4)


def _plastic_network_frozen_pass(seed: int):
    with backend_session("runtime", seed, key="test-frozen-plastic"):
        prefs.codegen.target = "numpy"  # one random draw per input neuron and step, whatever the rates
        presenter = DigitPresenter(SPEC, PROTOCOL, 3, backend="runtime")
        delays = np.asarray(presenter.session.get(presenter.feedforward, "delay") / second)
        presenter.session.set(presenter.feedforward, "w", WEIGHTS)
        presenter.session.set(presenter.excitatory, "theta", THETA * mV)
        return presenter.present(IMAGES, learn=False), delays


def _frozen_copies(seed: int, copies: int, images: np.ndarray, delays: np.ndarray):
    with backend_session("runtime", seed, key="test-frozen-copies"):
        prefs.codegen.target = "numpy"
        frozen = FrozenCopies(SPEC, PROTOCOL, copies, 10, delays_s=delays, backend="runtime", slots_per_chunk=3)
        return frozen.present(images, FrozenState(WEIGHTS, THETA))


def test_one_frozen_copy_gives_the_plastic_network_s_frozen_responses_exactly():
    plastic, delays = _plastic_network_frozen_pass(5)
    frozen = _frozen_copies(5, 1, IMAGES, delays)
    assert plastic.counts.sum() > 20  # the images drive the network
    np.testing.assert_array_equal(frozen.counts, plastic.counts)
    np.testing.assert_array_equal(frozen.intensities, plastic.intensities)
    assert frozen.intensities[2] == PROTOCOL.max_intensity  # the blank image went up to the cap


def test_a_copy_s_responses_do_not_depend_on_the_other_copies_images():
    _, delays = _plastic_network_frozen_pass(5)
    first = _frozen_copies(5, 3, IMAGES, delays)
    other = IMAGES.copy()
    other[1], other[4] = 1.0, RNG.random(16)  # images of copy 1 (images 1, 4, ...)
    second_ = _frozen_copies(5, 3, other, delays)
    copy_0_and_2 = [0, 2, 3, 5, 6]
    np.testing.assert_array_equal(first.counts[copy_0_and_2], second_.counts[copy_0_and_2])
    assert not np.array_equal(first.counts[[1, 4]], second_.counts[[1, 4]])
    assert first.intensities[2] == PROTOCOL.max_intensity


def test_block_connect_keeps_each_copy_s_synapses_inside_it_in_one_copy_s_order():
    all_to_all = block_connect({}, 3, 2, 2, "f")
    assert list(zip(all_to_all["i"], all_to_all["j"], strict=True)) == [
        (0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1), (3, 2), (3, 3), (4, 2), (4, 3), (5, 2), (5, 3)
    ]  # fmt: skip
    one = block_connect({"j": "i"}, 4, 4, 3, "f")
    np.testing.assert_array_equal(one["i"], np.arange(12))
    np.testing.assert_array_equal(one["j"], np.arange(12))
    but_self = block_connect({"condition": "i != j"}, 3, 3, 2, "f")
    assert len(but_self["i"]) == 2 * 6
    assert np.all(but_self["i"] != but_self["j"])
    assert np.all(but_self["i"] // 3 == but_self["j"] // 3)
    with pytest.raises(ConfigError, match="synapses.x.connect"):
        block_connect({"p": 0.1}, 4, 4, 2, "synapses.x.connect")


def test_copies_fit_the_synapse_budget_counting_every_pathway():
    digits_100 = synapses_per_copy(diehl_cook_spec(64, 100))
    assert digits_100 == 64 * 100 + 100 + 100 * 99  # input, one-to-one, lateral inhibition
    assert copies_for(digits_100, 1797) == 32  # MAX_COPIES
    assert copies_for(digits_100, 10) == 10
    assert copies_for(synapses_per_copy(diehl_cook_spec(784, 100)), 10_000) == 11  # 88,400 each
    assert copies_for(synapses_per_copy(diehl_cook_spec(784, 400)), 10_000) == 2  # 473,600 each
    assert copies_for(synapses_per_copy(diehl_cook_spec(64, 1600)), 10_000) == 1  # 2.56 million lateral
    assert copies_for(784 * 6400, 10_000) == 1


def _trained_after(probe: bool) -> tuple[np.ndarray, np.ndarray | None]:
    with backend_session("runtime", 7, key="test-initial-probe"):
        prefs.codegen.target = "numpy"
        presenter = DigitPresenter(SPEC, PROTOCOL, 3, backend="runtime")
        initial = presenter.initial_state()[0] if probe else None
        presenter.present(IMAGES[:4], learn=True)
        return np.asarray(presenter.session.get(presenter.feedforward, "w")), initial


def test_reading_the_initial_weights_leaves_training_exactly_as_without():
    trained, initial = _trained_after(probe=True)
    untouched, _ = _trained_after(probe=False)
    np.testing.assert_array_equal(trained, untouched)
    assert initial is not None and initial.shape == (16 * 4,)
    assert 0.003 <= initial.min() and initial.max() <= 0.303  # the model's w_init, (rand() + 0.01) * 0.3
    assert not np.allclose(initial, trained)
