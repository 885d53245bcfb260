"""distal_reward: the rewarded synapse stands out (standalone --quick); runtime smoke run; bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from snnlearn.errors import ConfigError
from snnlearn.experiment import run_experiment

SHORT = ["duration=2s", "chunk=1s", "stats_dt=1s", "reward_delay_min=100ms", "reward_delay_max=300ms"]


@pytest.mark.standalone
def test_quick_rewarded_synapse_ends_in_the_top_percent(tmp_path):
    run = run_experiment("distal_reward", quick=True, backend="standalone", out=tmp_path / "run")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["n_rewards"] > 0
    assert metrics["rewarded_top_fraction"] <= 0.01
    assert metrics["rewarded_weight_final"] > metrics["others_weight_p99_final"] > metrics["others_weight_mean_final"]
    for figure in ("rewarded_weight.png", "weight_histogram_final.png", "reward_traces.png"):
        assert (run / figure).is_file()
    assert not list(run.glob("checkpoint*.npz"))


def test_runs_on_the_runtime_backend(tmp_path):
    run = run_experiment("distal_reward", quick=True, backend="runtime", sets=SHORT, out=tmp_path / "run")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["backend"] == "runtime" and metrics["simulated_seconds"] == 2.0
    assert 0 < metrics["rate_exc_hz"] < 50 and 0 <= metrics["rewarded_weight_final"] <= 4.0


TIMING = {"wall_time_s", "peak_memory_mb", "compile_seconds", "params", "model"}


def _result(run):
    metrics = json.loads((run / "metrics.json").read_text())
    arrays = dict(np.load(run / "weights.npz"))
    return {k: v for k, v in metrics.items() if k not in TIMING}, arrays


@pytest.mark.parametrize("backend", ["runtime", pytest.param("standalone", marks=pytest.mark.standalone)])
def test_the_chunk_length_does_not_change_the_result(tmp_path, backend):
    """Rewards pending, eligibility and spikes in flight at a boundary all carry over: 8 chunks of
    0.5 s give the same weights, rewards and metrics as one chunk of 4 s."""
    sets = ["duration=4s", "reward_delay_min=200ms", "reward_delay_max=600ms", "window=100ms", "thalamic_noise=20mV",
            "groups.exc.n=160", "groups.inh.n=40"]
    one = run_experiment("distal_reward", backend=backend, sets=[*sets, "chunk=4s", "stats_dt=4s"],
                         out=tmp_path / "one")
    four = run_experiment("distal_reward", backend=backend, sets=[*sets, "chunk=500ms", "stats_dt=4s"],
                          out=tmp_path / "four")
    (m1, a1), (m4, a4) = _result(one), _result(four)
    assert m1["n_rewards"] > 0  # rewards happen, some across a boundary
    assert m1 == m4
    assert a1.keys() == a4.keys()
    for key in a1:
        np.testing.assert_array_equal(a1[key], a4[key], err_msg=key)


def test_a_chunk_that_does_not_divide_the_run_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="^chunk: 3. s does not divide"):
        run_experiment("distal_reward", sets=["duration=10s", "chunk=3s", "stats_dt=3s"], out=tmp_path / "run")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(("sets", "message"), [
    (["duration=10s", "chunk=5s", "stats_dt=5s", "reward_delay_max=10s"],
     "reward_delay_max: 10. s is not shorter than the run (10. s); expected a delay shorter than duration, "
     "or no reward ever arrives"),
    (["reward_delay_min=4s"], "reward_delay_min: 4. s is above reward_delay_max (3. s); "
                              "expected reward_delay_min <= reward_delay_max"),
    (["window=-20ms"], "window: -20. ms is not positive; expected a duration > 0 s"),
    (["synapses.ee.rule.tau_c=-1s"], "synapses.ee.rule.tau_c: -1. s is not positive; expected a value > 0"),
    (["synapses.rewarded.params.rewarded_post=800"], "synapses.rewarded.params.rewarded_post: got 800; "
                                                     "expected an integer in [0, 800)"),
])
def test_bad_reward_parameters_are_one_line_errors(tmp_path, sets, message):
    with pytest.raises(ConfigError) as error:
        run_experiment("distal_reward", sets=sets, out=tmp_path / "run")
    assert str(error.value) == message
    assert not (tmp_path / "run").exists()
