"""The Diehl & Cook presentation protocol: repeats with higher intensity, frozen passes."""

from __future__ import annotations

import numpy as np
import pytest

from snnlearn.bench import diehl_cook_spec
from snnlearn.engine import backend_session
from snnlearn.tasks.digits import FEEDFORWARD, DigitPresenter, Protocol


@pytest.fixture(scope="module")
def presenter():
    protocol = Protocol.from_mapping(
        {"max_intensity": 4.0, "t_present": "100 ms", "t_rest": "50 ms", "pixel_rate": "300 Hz"}, "protocol"
    )
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
    learned = {
        v: np.asarray(session.get(o, v)).copy()
        for o, v in ((presenter.feedforward, "w"), (presenter.excitatory, "theta"))
    }
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


def _trained(backend: str, slots_per_chunk: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    protocol = Protocol.from_mapping(
        {"max_intensity": 3.0, "t_present": "40 ms", "t_rest": "20 ms", "pixel_rate": "300 Hz", "min_spikes": 3},
        "protocol",
    )
    spec = diehl_cook_spec(n_pixels=16, n_excitatory=4, protocol=protocol)
    images = np.random.default_rng(2).random((5, 16)) * (np.arange(5) != 2)[:, None]  # one blank: repeats
    with backend_session(backend, 4, key="test-digits-continuation") as build_dir:
        presenter = DigitPresenter(spec, protocol, slots_per_chunk, backend=backend, build_dir=build_dir)
        learned = presenter.present(images, learn=True)
        frozen = presenter.present(images[:3], learn=False)
        w = np.asarray(presenter.session.get(presenter.feedforward, "w")).copy()
    return learned.counts, frozen.counts, w


@pytest.mark.parametrize("backend", ["runtime", pytest.param("standalone", marks=pytest.mark.standalone)])
def test_slots_per_chunk_does_not_change_responses_or_weights(backend):
    """Passes end themselves after their last example, the state carries over between chunks
    and passes: 2 and 5 slots per chunk give the same responses and weights."""
    a, b = _trained(backend, 2), _trained(backend, 5)
    assert a[0].shape == (5, 4) and a[1].shape == (3, 4) and a[0].sum() > 0
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_no_input_reaches_the_network_between_two_passes():
    """A pass ends one step into the slot after its last example; the next pass starts at the
    next slot of the grid. In between, the inputs stay silent: the next pass's first image is
    not shown (and learned from) early, in a slot the controller never opened."""
    from brian2 import SpikeMonitor, prefs, second

    protocol = Protocol.from_mapping(
        {"max_intensity": 4.0, "t_present": "100 ms", "t_rest": "50 ms", "pixel_rate": "300 Hz"}, "protocol"
    )
    images = np.random.default_rng(4).random((4, 16)) + 0.5
    with backend_session("runtime", 3, key="test-digits-gap"):
        prefs.codegen.target = "numpy"
        presenter = DigitPresenter(diehl_cook_spec(16, 4, protocol), protocol, 4, backend="runtime")
        monitor = SpikeMonitor(presenter.inputs, name="input_spikes")
        presenter.net.add(monitor)
        presenter.present(images[:2], learn=True)
        end_of_first = presenter.session.t
        presenter.present(images[2:], learn=True)
        times = np.asarray(monitor.t / second)
    slot = float(protocol.slot / second)
    next_slot = np.ceil(end_of_first / slot - 1e-9) * slot
    assert next_slot - end_of_first > 0.05  # a gap of most of a slot
    assert times.size > 50 and times.max() > next_slot  # both passes drove the network
    assert not np.any((times >= end_of_first) & (times < next_slot - 1e-9)), times[times >= end_of_first][:5]


def _per_step_poisson_inputs(n, rate, protocol, variables, *, name, dt, namespace):
    """The straightforward form that ``presentation_inputs`` replaces: the rate evaluated every
    step from the stimulus table and the controller's linked variables (the slot's start, which
    the controller also holds, kept here as ``slot_on``)."""
    from brian2 import NeuronGroup

    group = NeuronGroup(
        n,
        f"""
        rate = stimulus((example - offset) * ms, i) * pixel_rate * intensity * on : Hz
        on = int(t - slot_on < t_present) * int(example < n_examples) : 1
        slot_on : second (shared)
        {variables}
        """,
        threshold="rate > 0 * Hz and rand() < rate * dt",
        name=name,
        dt=dt,
        namespace={**namespace, "t_present": protocol.t_present},
    )
    group.run_regularly("slot_on = t", dt=protocol.slot, when="start", order=-9, name=f"{name}_slot")
    return group


@pytest.mark.parametrize("backend", ["runtime", pytest.param("standalone", marks=pytest.mark.standalone)])
def test_inputs_evaluated_once_per_slot_spike_as_the_per_step_rate_does(monkeypatch, backend):
    """Within a pass, ``presentation_inputs`` draws ``rand()`` for the same inputs at the same steps
    as the per-step Poisson threshold, so input spikes, responses and learned weights are equal."""
    from brian2 import SpikeMonitor, prefs

    from snnlearn.tasks import digits

    protocol = Protocol.from_mapping(
        {"max_intensity": 4.0, "t_present": "100 ms", "t_rest": "50 ms", "pixel_rate": "300 Hz"}, "protocol"
    )
    images = np.random.default_rng(5).random((6, 16))

    def train(inputs):
        monkeypatch.setattr(digits, "presentation_inputs", inputs)
        with backend_session(backend, 9, key=f"test-inputs-{inputs.__name__}") as build_dir:
            if backend == "runtime":
                prefs.codegen.target = "cython"  # the C++ short-circuit: rand() only where the rate is > 0
            presenter = DigitPresenter(
                diehl_cook_spec(16, 4, protocol), protocol, 40, backend=backend, build_dir=build_dir
            )
            monitor = SpikeMonitor(presenter.inputs, name="input_spikes")
            presenter.net.add(monitor)
            shown = presenter.present(images, learn=True)
            spikes = presenter.session.spikes(monitor)
            weights = np.asarray(presenter.session.get(presenter.feedforward, "w"))
        return shown.counts, spikes, weights

    reference, fast = train(_per_step_poisson_inputs), train(digits.presentation_inputs)
    assert reference[1][0].size > 100
    np.testing.assert_array_equal(fast[1][0], reference[1][0])
    np.testing.assert_array_equal(fast[1][1], reference[1][1])
    np.testing.assert_array_equal(fast[0], reference[0])
    np.testing.assert_array_equal(fast[2], reference[2])


def test_training_stream_shows_every_image_once_per_epoch_in_a_new_order():
    from snnlearn.protocols.presentation import training_stream

    stream = training_stream(7, 18, np.random.default_rng(0))
    assert len(stream) == 18
    first, second = stream[:7], stream[7:14]
    assert sorted(first) == list(range(7)) and sorted(second) == list(range(7))
    assert not np.array_equal(first, second)  # a new permutation each epoch
    assert len(set(stream[14:])) == 4  # a partial last epoch repeats no image


def test_curve_bounds_end_the_passes_at_evenly_spaced_points_and_at_the_end():
    from snnlearn.protocols.presentation import curve_bounds

    assert curve_bounds(300, 2) == [0, 100, 200, 300]
    assert curve_bounds(10, 0) == [0, 10]
    assert curve_bounds(5, 4) == [0, 1, 2, 3, 4, 5]
