"""The engine: pair STDP by hand, same seed -> same spikes, standalone chunks, exact resume."""

from __future__ import annotations

import platform
import re
import shutil
import subprocess

import numpy as np
import pytest
from brian2 import Network, SpikeGeneratorGroup, Synapses, ms, second

from snnlearn.build import build_network
from snnlearn.engine import backend_session
from snnlearn.experiment import models_dir
from snnlearn.overrides import apply_to_model
from snnlearn.rules import make_rule
from snnlearn.session import Session, run_in_chunks
from snnlearn.spec import load_model_dict, parse_model


def small_song(n_inputs: int = 100):
    raw = load_model_dict(models_dir() / "song2000.toml")
    for key, value in {
        "groups.inputs.n": n_inputs,
        "groups.inputs.rate": "80 Hz",
        "groups.inhibitory.n": 10,
        "synapses.feedforward.params.g_max": 0.05,
    }.items():
        raw = apply_to_model(raw, key, value)
    return parse_model(raw)


def pair_dw(rule, pre_times_ms, post_times_ms, w0=0.5):
    """Weight after spike trains through a rule, with both sides driven by spike generators."""
    with backend_session("runtime", 1):
        pre = SpikeGeneratorGroup(1, [0] * len(pre_times_ms), pre_times_ms * ms)
        post = SpikeGeneratorGroup(1, [0] * len(post_times_ms), post_times_ms * ms)
        syn = Synapses(
            pre,
            post,
            model="w : 1\n" + rule.model(),
            on_pre=rule.on_pre(),
            on_post=rule.on_post(),
            namespace=rule.namespace(),
            method="exact",
        )
        syn.connect()
        syn.w = w0
        Network(pre, post, syn).run((max(pre_times_ms + post_times_ms) + 1) * ms)
        return float(syn.w[0]) - w0


@pytest.mark.parametrize("dt_ms", [5.0, 20.0, -5.0, -40.0])
def test_pair_stdp_matches_the_exponential_window(dt_ms):
    rule = make_rule(
        {"name": "stdp_additive", "a_plus": 0.01, "a_minus": 0.012, "tau_plus": "17 ms", "tau_minus": "34 ms"}, "rule"
    )
    dw = pair_dw(rule, [50.0], [50.0 + dt_ms])
    expected = 0.01 * np.exp(-dt_ms / 17) if dt_ms > 0 else -0.012 * np.exp(dt_ms / 34)
    assert dw == pytest.approx(expected, rel=1e-6)


def test_all_to_all_and_nearest_differ_only_with_several_spikes():
    spec = {"name": "stdp_additive", "a_plus": 0.01, "a_minus": 0.0}
    all_to_all, nearest = make_rule(spec, "r"), make_rule({**spec, "interaction": "nearest"}, "r")
    # one pre, one post: identical
    assert pair_dw(all_to_all, [10.0], [15.0]) == pytest.approx(pair_dw(nearest, [10.0], [15.0]))
    # two pre spikes before one post: all-to-all sums both pairs, nearest counts the last one
    both = 0.01 * (np.exp(-5 / 20) + np.exp(-10 / 20))
    assert pair_dw(all_to_all, [10.0, 15.0], [20.0]) == pytest.approx(both, rel=1e-6)
    assert pair_dw(nearest, [10.0, 15.0], [20.0]) == pytest.approx(0.01 * np.exp(-5 / 20), rel=1e-6)


def test_hard_bounds_clip_the_weight():
    rule = make_rule({"name": "stdp_additive", "a_plus": 0.3, "a_minus": 0.3}, "r")
    assert pair_dw(rule, [10.0, 30.0, 50.0], [11.0, 31.0, 51.0], w0=0.9) == pytest.approx(0.1)
    assert pair_dw(rule, [11.0, 31.0, 51.0], [10.0, 30.0, 50.0], w0=0.1) == pytest.approx(-0.1)


class SmallSong:
    """A small Song et al. network on one backend, compiled once, run chunk by chunk."""

    def __init__(self, backend: str, seed: int):
        self.context = backend_session(backend, seed, key="test-song-small")
        build_dir = self.context.__enter__()
        self.net = build_network(small_song(), record_spikes=["out"])
        self.session = Session(self.net.network, backend=backend, chunk=1 * second, build_dir=build_dir)

    def run(self, n_chunks: int, checkpoint=None) -> dict:
        out, synapses = self.net.spikes["out"], self.net.synapses["feedforward"]
        return run_in_chunks(
            self.session,
            n_chunks,
            lambda k: {"t": self.session.spikes(out)[1] * 1e3, "w": self.session.get(synapses, "w")},
            checkpoint=checkpoint,
        )

    def close(self):
        self.context.__exit__(None, None, None)


def assert_same_runs(a: dict, b: dict, n: int) -> None:
    for k in range(n):
        np.testing.assert_array_equal(a["t"][k], b["t"][k])
        np.testing.assert_array_equal(a["w"][k], b["w"][k])


def check_reproducible_and_resumable(backend: str, tmp_path) -> None:
    song = SmallSong(backend, 7)
    try:
        full = song.run(3)
        assert len(full["t"][1]) > 0 and np.all(full["t"][1] >= 1000.0)  # absolute times, continuing
        assert not np.array_equal(full["w"][0], full["w"][2])  # weights learn and are carried
        song.session.reset()
        assert_same_runs(full, song.run(3), 3)  # from the initial state again: the same spikes and weights
        # a run stopped after chunk 1 and resumed from its checkpoint equals the full run
        checkpoint = tmp_path / f"{backend}.npz"
        song.session.reset()
        song.run(1, checkpoint)
        song.session.reset()
        assert_same_runs(full, song.run(3, checkpoint), 3)
    finally:
        song.close()


def test_runtime_same_seed_same_spikes_and_exact_resume(tmp_path):
    check_reproducible_and_resumable("runtime", tmp_path)


@pytest.mark.standalone
def test_standalone_same_seed_same_spikes_and_exact_resume(tmp_path):
    check_reproducible_and_resumable("standalone", tmp_path)


def test_a_different_seed_gives_different_spikes():
    a, b = SmallSong("runtime", 1), None
    try:
        first = a.run(1)
    finally:
        a.close()
    b = SmallSong("runtime", 2)
    try:
        assert not np.array_equal(first["t"][0], b.run(1)["t"][0])
    finally:
        b.close()


def test_standalone_code_never_tests_for_nan_or_infinity():
    """Standalone programs are compiled with finite math (``engine.compile_flags``: GCC may then
    assume no NaN or infinity, so such tests in C++ could be optimised away). Brian2's templates,
    its C++ library and its C++ code generator contain none; this project's NaN check reads the
    arrays in Python after each run (``tests/test_reliability.py``)."""
    from pathlib import Path

    import brian2

    from snnlearn import engine

    root = Path(brian2.__file__).parent
    sources = [
        *(root / "devices" / "cpp_standalone").rglob("*.cpp"),
        *(root / "devices" / "cpp_standalone").rglob("*.h"),
        *(root / "devices" / "cpp_standalone" / "templates").rglob("*"),
        root / "codegen" / "generators" / "cpp_generator.py",
        root / "core" / "functions.py",
    ]
    users = [p.name for p in sources if p.is_file() and re.search(r"\bis(nan|inf|finite)\b", p.read_text())]
    assert not users
    assert engine.FINITE_MATH_OFF not in engine.compile_flags(["-O3", "-ffast-math", engine.FINITE_MATH_OFF])


@pytest.mark.standalone
@pytest.mark.skipif(platform.machine() != "x86_64" or shutil.which("nm") is None, reason="x86-64 libmvec, nm")
def test_the_exponential_euler_neuron_update_calls_the_vector_exp():
    """With ``engine.compile_flags`` (finite math and ``ALIAS_CHECKS``) GCC vectorises the
    Diehl & Cook excitatory update, whose ``exp`` then comes from glibc's libmvec (``_ZGV...``).
    Without ``ALIAS_CHECKS`` the loop, which touches 8 arrays, stays scalar."""
    from snnlearn import engine

    spec = parse_model({"name": "update", "groups": {"exc": {"neuron": "adaptive_lif", "n": 400}}})
    with backend_session("standalone", 1, key="test-vector-exp") as build_dir:
        net = build_network(spec, record_spikes=False)
        Session(net.network, backend="standalone", chunk=1 * ms, build_dir=build_dir).run()
        assert engine.ALIAS_CHECKS in (build_dir / "makefile").read_text()
        obj = build_dir / "code_objects" / "exc_stateupdater_codeobject.o"
        symbols = subprocess.run(["nm", str(obj)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"\b_ZGV\w*_exp\b", symbols), symbols
