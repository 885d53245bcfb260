"""The simulation session continues exactly: chunking and resuming do not change spikes or weights.

The network has what a continuation can lose: Poisson input and white noise (random streams),
random synaptic delays (spikes in flight at every boundary), refractoriness (``lastspike``),
event-driven STDP traces (``lastupdate``), a ``run_regularly`` on a clock that does not divide
the chunk, and monitors.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import brian2
import numpy as np
import pytest
from brian2 import Hz, Network, NeuronGroup, PoissonGroup, SpikeMonitor, StateMonitor, Synapses, ms

from snnlearn.engine import backend_session
from snnlearn.errors import ConfigError
from snnlearn.results import atomic_save_npz, load_npz
from snnlearn.session import SUPPORTED_BRIAN2, Session, chunk_count


def build() -> tuple[Network, Synapses, SpikeMonitor, StateMonitor]:
    inputs = PoissonGroup(30, 40 * Hz, name="inp")
    group = NeuronGroup(
        10,
        """dv/dt = (-v + I) / (10 * ms) + 0.2 * xi / sqrt(ms) : 1 (unless refractory)
                               I : 1""",
        threshold="v > 1",
        reset="v = 0",
        refractory=2 * ms,
        method="euler",
        name="grp",
    )
    syn = Synapses(
        inputs,
        group,
        """w : 1
        dapre/dt = -apre / (20 * ms) : 1 (event-driven)
        dapost/dt = -apost / (20 * ms) : 1 (event-driven)""",
        on_pre="v_post += w\napre += 0.01\nw = clip(w + apost, 0, 1)",
        on_post="apost -= 0.012\nw = clip(w + apre, 0, 1)",
        name="syn",
    )
    syn.connect(p=0.5)
    syn.w = "rand() * 0.5"
    syn.delay = "rand() * 5 * ms"
    group.run_regularly("I = 0.5 * rand()", dt=7 * ms, name="grp_noise")
    spikes = SpikeMonitor(group, name="mon")
    trace = StateMonitor(group, "v", record=[0, 3], dt=1 * ms, name="vmon")
    return Network(inputs, group, syn, spikes, trace, name="net"), syn, spikes, trace


def simulate(backend: str, chunk, n: int, *, stop_after: int | None = None, state=None) -> dict:
    """Run ``n`` chunks (or ``stop_after`` of them, returning the state), optionally from ``state``."""
    spikes, samples = [], []
    with backend_session(backend, 5, key=f"session-test-{chunk / ms:g}") as build_dir:
        net, syn, monitor, trace = build()
        session = Session(net, backend=backend, chunk=chunk, build_dir=build_dir)
        if state is not None:
            session.load_state(state)
        for _ in range(session.chunks_run, n if stop_after is None else stop_after):
            session.run()
            i, t = session.spikes(monitor)
            spikes.append(np.c_[i, t])
            samples.append(np.vstack(session.samples(trace, "v")))
        return {
            "spikes": np.concatenate(spikes),
            "samples": np.concatenate(samples, axis=1),
            "w": np.asarray(syn.w[:]).copy(),
            "state": session.state(),
            "t": session.t,
        }


@pytest.fixture(scope="module", params=["runtime", pytest.param("standalone", marks=pytest.mark.standalone)])
def backend(request):
    return request.param


@pytest.fixture(scope="module")
def whole(backend):
    return simulate(backend, 120 * ms, 1)


def test_chunk_length_does_not_change_spikes_or_weights(backend, whole):
    split = simulate(backend, 30 * ms, 4)
    assert len(whole["spikes"]) > 50
    np.testing.assert_array_equal(split["spikes"], whole["spikes"])
    np.testing.assert_array_equal(split["w"], whole["w"])
    np.testing.assert_array_equal(split["samples"], whole["samples"])  # sampled on one absolute grid
    assert split["t"] == pytest.approx(0.12)
    # the recording starts at 0 and has one sample per ms, whatever the chunks
    np.testing.assert_allclose(split["samples"][0], np.arange(120) * 1e-3, atol=1e-12)


def test_resume_from_a_checkpoint_file_equals_the_uninterrupted_run(backend, whole, tmp_path):
    first = simulate(backend, 30 * ms, 4, stop_after=2)
    path = atomic_save_npz(tmp_path / "checkpoint.npz", **first["state"])
    rest = simulate(backend, 30 * ms, 4, state=load_npz(path))
    np.testing.assert_array_equal(np.concatenate([first["spikes"], rest["spikes"]]), whole["spikes"])
    np.testing.assert_array_equal(rest["w"], whole["w"])


def test_spikes_are_in_flight_at_the_boundary(backend, whole):
    # a presynaptic spike less than 5 ms before a boundary is still queued when the chunk ends,
    # so the equality above covers the delay queues
    state = simulate(backend, 30 * ms, 4, stop_after=1)["state"]
    if backend == "standalone":
        raw = np.frombuffer(state["file:snnlearn_queue_syn_pre.bin"].tobytes(), dtype=np.int32)
        assert raw.size > 3 + 8  # threads, offset, slots, then (n, indices...) per slot
        assert raw[3:].sum() > 0
        assert not any("mon" in k for k in state)  # monitors restart with each run: not state
    else:
        with backend_session("runtime", 5, key="session-test-queue"):
            net, syn, _, _ = build()
            session = Session(net, backend="runtime", chunk=30 * ms)
            session.load_state(state)
            _, queued = syn.pre.queue._full_state()
            assert sum(len(spikes) for spikes in queued) > 0  # the checkpoint brought them back


def test_resume_in_another_process(backend, whole, tmp_path):
    first = simulate(backend, 30 * ms, 4, stop_after=3)
    path = atomic_save_npz(tmp_path / "checkpoint.npz", **first["state"])
    script = f"""
import sys, numpy as np
sys.path.insert(0, {str(Path(__file__).parent)!r})
from brian2 import ms
from snnlearn.results import load_npz
from test_session import simulate
rest = simulate({backend!r}, 30 * ms, 4, state=load_npz({str(path)!r}))
np.save({str(tmp_path / "w.npy")!r}, rest["w"])
np.save({str(tmp_path / "spikes.npy")!r}, rest["spikes"])
"""
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
    np.testing.assert_array_equal(np.load(tmp_path / "w.npy"), whole["w"])
    np.testing.assert_array_equal(np.concatenate([first["spikes"], np.load(tmp_path / "spikes.npy")]), whole["spikes"])


def test_chunk_must_divide_the_duration():
    assert chunk_count(3600 * brian2.second, 60 * brian2.second) == 60
    with pytest.raises(ConfigError, match="chunk"):
        chunk_count(100 * brian2.second, 30 * brian2.second)
    with pytest.raises(ConfigError, match="chunk"):
        chunk_count(100 * brian2.second, 0 * brian2.second)


def test_written_for_this_brian2():
    """The standalone continuation reaches into Brian2's generated C++ (RandomGenerator's
    private engine, SynapticPathway's queues, Network::t, Clock::set_interval). Check it again,
    then add the version to SUPPORTED_BRIAN2, before trusting it on another Brian2."""
    assert brian2.__version__ in SUPPORTED_BRIAN2, f"brian2 {brian2.__version__}: continuation not verified"
    templates = Path(brian2.__file__).parent / "devices" / "cpp_standalone" / "templates"
    objects = (templates / "objects.cpp").read_text()
    for member in ("std::mt19937 gen;", "double stored_gauss;", "bool has_stored_gauss"):
        assert member in objects
    assert "std::vector< CSpikeQueue * > queue;" in (templates / "synapses_classes.cpp").read_text()


def test_reset_after_loading_a_checkpoint_returns_to_the_initial_state():
    """Runtime: a session that only loaded a checkpoint (no run in this process yet) resets to the
    network's initial state, not to nothing (reset() used to do nothing before a first run)."""
    later = simulate("runtime", 30 * ms, 2)["state"]
    with backend_session("runtime", 5, key="session-test-reset"):
        net, syn, _, _ = build()
        initial_w = np.asarray(syn.w[:]).copy()
        session = Session(net, backend="runtime", chunk=30 * ms)
        session.load_state(later)
        assert session.t == pytest.approx(0.06) and not np.array_equal(np.asarray(syn.w[:]), initial_w)
        session.reset()
        assert session.t == 0.0 and float(net.t / ms) == 0.0
        np.testing.assert_array_equal(np.asarray(syn.w[:]), initial_w)


@pytest.mark.parametrize("backend", ["runtime", pytest.param("standalone", marks=pytest.mark.standalone)])
def test_a_run_between_two_samples_returns_an_empty_recording(backend):
    """A monitor sampling more rarely than the chunk records nothing in some runs: ``samples``
    then gives no times and one empty row per recorded index (it failed on standalone)."""
    with backend_session(backend, 3, key="test-session-sparse-samples") as build_dir:
        group = NeuronGroup(2, "dv/dt = -v / (10 * ms) : 1", dt=0.5 * ms, name="sparse")
        group.v = 1
        monitor = StateMonitor(group, "v", record=True, dt=30 * ms, name="sparse_v")
        session = Session(Network(group, monitor), backend=backend, chunk=20 * ms, build_dir=build_dir)
        session.run()
        t, v = session.samples(monitor, "v")
        assert list(t) == [0.0] and v.shape == (2, 1)
        session.run()  # 20-40 ms: the sample at 30 ms
        session.run()  # 40-60 ms: none
        t, v = session.samples(monitor, "v")
        assert t.shape == (0,) and v.shape == (2, 0)
