"""Reward-driven choice: R-STDP rules with and without a reward baseline, k stimuli, k actions.

Each of k Poisson input patterns should make its own output population (of k) fire most
(models/reward_choice.toml: inputs -> outputs all-to-all, learning; lateral inhibition between
populations). A trial shows one pattern for ``stimulus_on``; the spike counts of its first
``response`` decide it; the reward is +1 if the right population fired strictly most, else -1;
the modulator ``R - baseline`` reaches the synapses as dopamine at the end of the response
window. With ``stimulus_on == response`` the reward comes after the activity and only an
eligibility trace links the two; with ``stimulus_on > response`` the activity goes on while the
dopamine is there (what ``mstdp``, without eligibility, needs). The whole trial sequence (stimuli from
a ``TimedArray``, counting, reward, baseline update) is Brian2 code
(:class:`snnlearn.tasks.reward.ChoiceTask`), one compiled run per chunk of trials; the session
carries the whole state, so nothing depends on ``trials_per_chunk``.

Every rule (``da_stdp``, ``mstdp``, ``mstdpet``) is trained with each baseline: ``none``,
``global`` (one running mean) and ``per_stimulus`` (the critic of Fremaux et al.), from the same
initial state, patterns and trial order.

Reproduces the claim of Fremaux, Sprekeler & Gerstner (2010) J Neurosci 30:13326 (Fig. 2-4):
R-STDP follows the covariance of reward and eligibility only if the reward is centred on its
expectation *for each stimulus*; otherwise the mean reward times the mean eligibility (the
unsupervised STDP term) drifts the weights, Hebbian growth while the mean reward is positive,
depression towards silence while it is negative, and learning fails or slows as the number of
stimuli grows. The task's size (``n_inputs``, ``n_patterns`` k, ``population_size``) is a
parameter, for measuring trials-to-criterion as it grows. Metrics, each per rule and baseline:

- ``accuracy_by_rule``: fraction of rewarded trials over the last ``curve_window`` trials;
- ``learning_curve_by_rule``: that fraction in consecutive blocks of ``curve_window`` trials;
- ``trials_to_80pct_by_rule``: the first trial at which the running accuracy over
  ``curve_window`` trials reaches ``criterion`` (None if never);
- ``weight_drift_by_rule``: change of the mean weight from trial 0 to the end of training
  (weights sampled every ``sample_trials``); ``selectivity_by_rule``: mean
  weight from each pattern's inputs to its own population minus to the other populations.

Figures: learning curves per rule; mean weight and selectivity against trials.
"""

from __future__ import annotations

import copy

import numpy as np
from brian2 import second

from snnlearn import plots
from snnlearn.cli import script_main
from snnlearn.experiment import RunContext
from snnlearn.protocols.choice import DEFAULTS, check_params, run_choice, trials_to_criterion

MODEL = "reward_choice"
BACKEND = "standalone"
#: model keys this experiment sets from its own parameters
OWNED_MODEL_KEYS = {"groups.inputs.n": "n_inputs", "groups.outputs.n": "n_patterns and population_size",
                    "synapses.feedforward.rule": "rule_params.RULE.PARAMETER (and rules)"}
PARAMS = copy.deepcopy(DEFAULTS)
QUICK = {"n_inputs": 40, "n_patterns": 2, "population_size": 5, "pattern_fraction": 0.5, "trials": 200,
         "rules": ["mstdpet"], "baselines": ["none", "per_stimulus"], "curve_window": 40}


def check(ctx: RunContext) -> None:
    check_params(ctx.params)


def run(ctx: RunContext) -> dict:
    out = run_choice(ctx)
    return summarize(ctx, out["results"], out["patterns"], out["compile_seconds"])


def summarize(ctx: RunContext, results: dict, patterns: np.ndarray, compile_seconds: dict) -> dict:
    p = ctx.params
    window = p["curve_window"]
    sampled_at = np.r_[np.arange(0, p["trials"], p["sample_trials"]), p["trials"]]  # from trial 0 to the end
    accuracy, curves, to_criterion, drift, select = {}, {}, {}, {}, {}
    arrays = {"patterns": patterns}
    for rule, by_baseline in results.items():
        accuracy[rule], curves[rule], to_criterion[rule], drift[rule], select[rule] = {}, {}, {}, {}, {}
        for baseline, r in by_baseline.items():
            rewarded = r["rewarded"].astype(float)
            blocks = rewarded[: len(rewarded) // window * window].reshape(-1, window).mean(axis=1)
            accuracy[rule][baseline] = float(rewarded[-window:].mean())
            curves[rule][baseline] = [float(b) for b in blocks]
            to_criterion[rule][baseline] = trials_to_criterion(rewarded, window, p["criterion"])
            drift[rule][baseline] = float(r["w_mean"][-1] - r["w_mean"][0])
            select[rule][baseline] = float(r["selectivity"][-1])
            arrays.update({f"{rule}_{baseline}_rewarded": rewarded, f"{rule}_{baseline}_w_mean": r["w_mean"],
                           f"{rule}_{baseline}_selectivity": r["selectivity"]})
        block_ends = window * np.arange(1, len(next(iter(curves[rule].values()))) + 1)
        ctx.savefig(plots.curves(block_ends, curves[rule], "trial", f"rewarded fraction (blocks of {window})",
                                 f"{rule}: k = {p['n_patterns']} stimuli", marker="o"), f"learning_curves_{rule}.png")
    labels = {f"{rule} / {b}": r for rule, by_b in results.items() for b, r in by_b.items()}
    ctx.savefig(plots.curves(sampled_at, {n: r["w_mean"] for n, r in labels.items()}, "trial", "mean weight",
                             "weight drift"), "weight_drift.png")
    ctx.savefig(plots.curves(sampled_at, {n: r["selectivity"] for n, r in labels.items()}, "trial",
                             "own - other population weight", "selectivity"), "selectivity.png")
    ctx.save_arrays("learning.npz", **arrays)
    return {
        "accuracy_by_rule": accuracy,
        "learning_curve_by_rule": curves,
        "trials_to_80pct_by_rule": to_criterion,
        "weight_drift_by_rule": drift,
        "selectivity_by_rule": select,
        "chance_accuracy": 1.0 / p["n_patterns"],
        "compile_seconds": compile_seconds,
        "simulated_seconds": float(len(results) * len(p["baselines"]) * p["trials"] * p["trial"] / second),
    }


if __name__ == "__main__":
    script_main(__file__)
