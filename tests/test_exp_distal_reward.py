"""distal_reward: the rewarded synapse stands out and the null control's does not (standalone --quick);
the control's rewards, the statistics grid and the chunk length (runtime); figures; bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from snnlearn.errors import ConfigError
from snnlearn.experiment import run_experiment
from snnlearn.results import WALL_CLOCK_METRICS

SHORT = ["duration=2s", "chunk=1s", "stats_dt=1s", "reward_delay_min=100ms", "reward_delay_max=300ms"]


@pytest.mark.standalone
def test_quick_rewarded_synapse_ends_in_the_top_percent(tmp_path):
    run = run_experiment("distal_reward", quick=True, backend="standalone", out=tmp_path / "run")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["n_rewards"] > 0
    assert metrics["rewarded_top_fraction"] <= 0.01
    assert metrics["rewarded_weight_final"] > metrics["others_weight_p99_final"] > metrics["others_weight_mean_final"]
    # the null control: as many rewards at random times leave the chosen synapse in the bulk
    assert metrics["control_n_rewards"] == metrics["n_rewards"]
    assert metrics["control_rewarded_top_fraction"] > 0.1
    assert metrics["control_rewarded_weight_final"] < 0.5 * metrics["rewarded_weight_final"]
    assert metrics["reward_delay_s"] == [0.2, 1.0] and metrics["reward_delays_as_in_paper"] is False
    for figure in ("rewarded_weight.png", "weight_histogram_final.png", "reward_traces.png", "raster.png"):
        assert (run / figure).is_file()
    assert not list(run.glob("checkpoint*.npz"))


def test_runs_on_the_runtime_backend_beside_the_papers_scheme(tmp_path):
    sets = [*SHORT, "reference_scheme=true"]
    run = run_experiment("distal_reward", quick=True, backend="runtime", sets=sets, out=tmp_path / "run")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["backend"] == "runtime" and metrics["simulated_seconds"] == 2.0
    assert 0 < metrics["rate_exc_hz"] < 50 and 0 <= metrics["rewarded_weight_final"] <= 4.0
    reference = metrics["reference_scheme_rewarded"], metrics["reference_scheme_control"]
    assert all(0 < r["rate_exc_hz"] < 50 for r in reference)
    assert reference[1]["n_rewards"] == reference[0]["n_rewards"]


TIMING = WALL_CLOCK_METRICS | {"params", "model"}


def _result(run):
    metrics = json.loads((run / "metrics.json").read_text())
    arrays = dict(np.load(run / "weights.npz"))
    return {k: v for k, v in metrics.items() if k not in TIMING}, arrays


SMALL = [
    "reward_delay_min=200ms",
    "reward_delay_max=600ms",
    "window=100ms",
    "thalamic_noise=20mV",
    "groups.exc.n=160",
    "groups.inh.n=40",
]


@pytest.mark.parametrize("backend", ["runtime", pytest.param("standalone", marks=pytest.mark.standalone)])
def test_the_chunk_length_does_not_change_the_result(tmp_path, backend):
    """Rewards pending, eligibility and spikes in flight at a boundary all carry over, in both
    conditions: 8 chunks of 0.5 s give the same weights, rewards, statistics and metrics as one of
    4 s (the statistics grid of 0.3 s fits neither)."""
    sets = [*SMALL, "duration=4s", "stats_dt=300ms"]
    one = run_experiment("distal_reward", backend=backend, sets=[*sets, "chunk=4s"], out=tmp_path / "one")
    four = run_experiment("distal_reward", backend=backend, sets=[*sets, "chunk=500ms"], out=tmp_path / "four")
    (m1, a1), (m4, a4) = _result(one), _result(four)
    assert m1["n_rewards"] > 0  # rewards happen, some across a boundary
    assert m1 == m4
    assert a1.keys() == a4.keys()
    for key in a1:
        np.testing.assert_array_equal(a1[key], a4[key], err_msg=key)


def test_control_gets_as_many_rewards_at_random_times_and_statistics_start_at_zero(tmp_path):
    run = run_experiment(
        "distal_reward",
        backend="runtime",
        sets=[*SMALL, "duration=3s", "chunk=1s", "stats_dt=400ms"],
        out=tmp_path / "run",
    )
    m, a = _result(run)
    n = m["n_rewards"]
    assert n > 0 and m["control_n_rewards"] == n
    # the control's rewards arrive at the uniform times drawn for it, to the time step ...
    expected = np.sort(np.random.default_rng((1, 2007)).uniform(0, 3.0, n))
    np.testing.assert_allclose(a["control_reward_times"], expected, atol=0.5e-3 + 1e-12)
    # ... and the pair detector's would-be rewards are counted there but not delivered
    assert m["control_n_pairings_rewardable"] >= 0
    assert not np.array_equal(a["control_reward_times"], a["reward_times"])
    # the other synapses' statistics: every 0.4 s from t = 0 (their initial weight, 1) to the end
    for prefix in ("", "control_"):
        t = a[f"{prefix}stats_t"]
        np.testing.assert_allclose(t, np.r_[np.arange(0, 3.0, 0.4), 3.0], atol=1e-9)
        assert a[f"{prefix}others_mean"][0] == 1.0
        assert np.all(a[f"{prefix}others_percentiles"][0] == 1.0)
        assert a[f"{prefix}others_percentiles"].shape == (t.size, 3)
    assert m["reward_delays_as_in_paper"] is False and m["reward_delay_s"] == [0.2, 0.6]


def test_figures_show_both_conditions_the_grid_and_every_neuron():
    from snnlearn import reward_plots

    t = np.linspace(0, 10, 6)
    panel = {
        "t_trace": np.linspace(0, 10, 101),
        "w_trace": np.linspace(0, 4, 101),
        "stats_t": t,
        "mean": np.ones(6),
        "pct": np.ones((6, 3)),
        "reward_t": np.array([1.0, 5.0]),
    }
    fig = reward_plots.distal_weights({"rewarded": panel, "control": panel}, 4.0, caption="quick run")
    assert len(fig.axes) == 2
    for ax in fig.axes:
        lines = {line.get_label(): line for line in ax.get_lines()}
        assert len(lines["other synapses, mean"].get_xdata()) == 6
        assert lines["w_max = 4"].get_ydata()[0] == 4.0 and lines["criterion 0.9 w_max"].get_ydata()[0] == 3.6
        assert "mV" in ax.get_ylabel()
    assert fig.axes[-1].get_xlabel() == "simulated time (s)"
    assert any("quick run" in text.get_text() for text in fig.texts)
    raster = reward_plots.population_raster(
        {"exc": (np.array([0, 5]), np.array([9.2, 9.5]), 320), "inh": (np.array([3]), np.array([9.7]), 80)}, (9.0, 10.0)
    )
    assert [ax.get_ylim() for ax in raster.axes] == [(-0.5, 319.5), (-0.5, 79.5)]


def test_a_chunk_that_does_not_divide_the_run_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="^chunk: 3. s does not divide"):
        run_experiment("distal_reward", sets=["duration=10s", "chunk=3s"], out=tmp_path / "run")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (
            ["duration=10s", "chunk=5s", "stats_dt=5s", "reward_delay_max=10s"],
            "reward_delay_max: 10. s is not shorter than the run (10. s); expected a delay shorter than duration, "
            "or no reward ever arrives",
        ),
        (
            ["reward_delay_min=4s"],
            "reward_delay_min: 4. s is above reward_delay_max (3. s); expected reward_delay_min <= reward_delay_max",
        ),
        (["window=-20ms"], "window: -20. ms is not positive; expected a duration > 0 s"),
        (
            ["duration=10s", "chunk=5s", "stats_dt=20s"],
            "stats_dt: 20. s is longer than the run (10. s); expected at most duration",
        ),
        (["reward_amount=-1"], "reward_amount: got -1.0; expected a value >= 0"),
        (["reference_scheme=2"], "reference_scheme: got 2; expected true or false"),
        (["synapses.ee.rule.tau_c=-1s"], "synapses.ee.rule.tau_c: -1. s is not positive; expected a value > 0"),
        (
            ["synapses.rewarded.params.rewarded_post=800"],
            "synapses.rewarded.params.rewarded_post: got 800; expected an integer in [0, 800)",
        ),
    ],
)
def test_bad_reward_parameters_are_one_line_errors(tmp_path, sets, message):
    with pytest.raises(ConfigError) as error:
        run_experiment("distal_reward", sets=sets, out=tmp_path / "run")
    assert str(error.value) == message
    assert not (tmp_path / "run").exists()


def test_a_run_stopped_in_the_control_resumes_to_the_uninterrupted_result(tmp_path, monkeypatch):
    """Killed between the conditions: the resumed process loads the finished rewarded condition's
    checkpoint (its end state), and the control must still start from the initial state."""
    from snnlearn.cli import main
    from snnlearn.protocols import distal

    sets = [*SMALL, "duration=2s", "chunk=1s", "stats_dt=500ms"]
    whole = run_experiment("distal_reward", backend="runtime", sets=sets, out=tmp_path / "whole")
    real = distal.run_in_chunks

    def stop_in_the_control(session, n_chunks, record, **kwargs):  # killed as the control starts
        if "control" not in kwargs["label"]:
            return real(session, n_chunks, record, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(distal, "run_in_chunks", stop_in_the_control)
    with pytest.raises(KeyboardInterrupt):
        run_experiment("distal_reward", backend="runtime", sets=sets, out=tmp_path / "stopped")
    monkeypatch.setattr(distal, "run_in_chunks", real)
    assert (tmp_path / "stopped" / "checkpoint.npz").is_file()
    assert not (tmp_path / "stopped" / "checkpoint_control.npz").exists()
    assert main(["run", "--resume", str(tmp_path / "stopped")]) == 0
    (m1, a1), (m2, a2) = _result(whole), _result(tmp_path / "stopped")
    assert m1 == m2
    for key in a1:
        np.testing.assert_array_equal(a1[key], a2[key], err_msg=key)
