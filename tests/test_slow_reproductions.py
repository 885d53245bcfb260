"""The full reproductions with the papers' numbers (``pytest -m slow``; tens of minutes each)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from snnlearn.experiment import run_experiment

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def metrics_of(run: Path) -> dict:
    return json.loads((run / "metrics.json").read_text())


@pytest.mark.slow
def test_song2000_weights_become_bimodal(run_dir):
    m = metrics_of(run_experiment("song2000", out=run_dir))
    # measured (seed 1): 0.785 at 10 Hz after 4000 s, stationary 0.78 (0.76-0.80) over the last
    # 200 s; 0.84 at 40 Hz. The lower peak's width matches the Fokker-Planck prediction for
    # additive STDP (0.063 vs 0.053 g_max), which caps how much of a peak lies within 0.1 g_max.
    assert m["weight_bimodality_late_mean"] >= 0.75
    assert m["weight_bimodality_by_input_rate"]["40"] >= 0.8
    assert m["lower_peak_width"] == pytest.approx(m["lower_peak_width_theory"], rel=0.3)
    rates = m["output_rate_by_input_rate"]
    assert max(rates.values()) / min(rates.values()) < 2.0  # the input rate varies 4x


@pytest.mark.slow
def test_distal_reward_rewarded_synapse_wins_as_in_the_papers_own_scheme(run_dir):
    """Izhikevich (2007), Fig. 1: the rewarded synapse grows to the maximum, the null control's
    does not. The bounds come from the paper's published model, run in its own discrete scheme
    beside this one with the same seed (``reference_scheme``): over seeds 1-3 it ends the rewarded
    synapse at 0.86-0.99 w_max, in the top 0.9-3.4%, with 2.0-2.7% of the other synapses at the
    bound; the control's chosen synapse at rank fraction 0.08-0.86 (README)."""
    m = metrics_of(run_experiment("distal_reward", out=run_dir, sets=["reference_scheme=true"]))
    paper = m["reference_scheme_rewarded"]
    assert m["reward_delays_as_in_paper"] is True and m["reward_delay_s"] == [1.0, 3.0]
    for run in (m, paper):
        assert run["rewarded_weight_final"] >= 0.85 * 4
        assert run["rewarded_top_fraction"] <= 0.05
    assert m["control_rewarded_top_fraction"] > 0.05 and m["reference_scheme_control"]["rewarded_top_fraction"] > 0.05
    assert m["control_n_rewards"] == m["n_rewards"]
    # the same network statistics as the published model: the share of synapses at the bound
    # (the unsupervised drift of tonic dopamine) and the excitatory rate
    assert 0.5 < m["fraction_of_others_above_90pct"] / paper["fraction_of_others_above_90pct"] < 2.5
    assert m["rate_exc_hz"] == pytest.approx(paper["rate_exc_hz"], rel=0.15)


@pytest.mark.slow
@pytest.mark.skipif(not MNIST.is_dir(), reason="the shared MNIST folder is not beside the project")
def test_diehl_cook_on_the_shared_mnist_split(run_dir):
    m = metrics_of(run_experiment("diehl_cook", out=run_dir, sets=[f"data.path={MNIST}", "n_excitatory=400"]))
    assert m["test_accuracy"] >= 0.87  # the paper's 400-neuron network on full MNIST
