"""Reward-driven choice: R-STDP rules with and without a reward baseline, k stimuli, k actions.

Each of k Poisson input patterns should make its own output population (of k) fire most
(models/reward_choice.toml: inputs -> outputs all-to-all, learning; lateral inhibition between
populations). A trial shows one pattern for ``stimulus_on``; the spike counts of its first
``response`` decide it; the reward is +1 if the right population fired strictly most, else -1;
the modulator ``R - baseline`` reaches the synapses as dopamine at the end of the response
window. By default the stimulus ends there too, so the reward comes after the activity and
only an eligibility trace links the two; with ``stimulus_on > response`` the activity goes on
while the dopamine is there (what ``mstdp``, without eligibility, needs; but the reward window
then mixes in activity that did not decide the trial). The whole trial sequence (stimuli from
a ``TimedArray``, counting, reward, baseline update) is Brian2 code
(:class:`snnlearn.tasks.reward.ChoiceTask`), one compiled run per chunk of trials.

Every rule (``da_stdp``, ``mstdp``, ``mstdpet``) is trained with each baseline: ``none`` (the
raw reward), ``global`` (one running mean) and ``per_stimulus`` (a running mean per stimulus,
the critic of Fremaux et al.); all variants see the same patterns, the same trial order and the
same initial weights.

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
- ``weight_drift_by_rule``: change of the mean weight from the end of the first chunk of
  trials to the end of training; ``selectivity_by_rule``: mean
  weight from each pattern's inputs to its own population minus to the other populations.

Figures: learning curves per rule; mean weight and selectivity against trials.
"""

from __future__ import annotations

import copy

import numpy as np
from brian2 import Hz, ms, second

from snnlearn import plots
from snnlearn.build import build_network
from snnlearn.engine import ChunkRunner, backend_session, chunk_seed, run_chunks
from snnlearn.errors import ConfigError, one_of
from snnlearn.experiment import RunContext, script_main
from snnlearn.rules import make_rule
from snnlearn.rules.reward import BASELINES, RewardBaseline, RewardModulatedRule
from snnlearn.spec import parse_model
from snnlearn.tasks.reward import ChoiceTask

MODEL = "reward_choice"
BACKEND = "standalone"
PARAMS = {
    "n_inputs": 100,
    "n_patterns": 4,                # k stimuli and k actions
    "population_size": 10,          # output neurons per action
    "pattern_fraction": 0.25,       # fraction of the inputs a pattern drives
    "rate_on": 40 * Hz,
    "rate_off": 2 * Hz,
    "trial": 400 * ms,
    "stimulus_on": 100 * ms,        # > response: the stimulus stays on after the reward arrives
    "response": 100 * ms,           # the decision counts spikes in this first part of it
    "trials": 1000,
    "trials_per_chunk": 100,        # one compiled run; weights and baselines carried
    "reward_amount": 1.0,           # dopamine added per unit of modulator
    "baseline": {"trials": 10.0},   # averaging time constant of the baselines, in trials
    "rules": ["da_stdp", "mstdp", "mstdpet"],
    "baselines": ["none", "global", "per_stimulus"],
    # every rule with weights in [0, 1], the same dopamine decay and an STDP window of positive
    # integral (a_plus tau_plus > a_minus tau_minus): co-active pairs leave a positive
    # eligibility, the unsupervised STDP term that an uncentred reward turns into drift
    "rule_params": {
        "da_stdp": {"a_plus": 0.002, "a_minus": 0.001, "tau_c": "1 s", "d_tonic": 0.0, "w_max": 1.0,
                    "tau_d": "100 ms", "update_period": "10 ms"},
        "mstdp": {"a_plus": 1.0, "a_minus": 0.5, "gamma": 0.1, "w_max": 1.0, "tau_d": "100 ms"},
        "mstdpet": {"a_plus": 1.0, "a_minus": 0.5, "gamma": 0.1, "tau_z": "25 ms", "w_max": 1.0,
                    "tau_d": "100 ms"},
    },
    "curve_window": 50,
    "criterion": 0.8,
}
QUICK = {
    "n_inputs": 40,
    "n_patterns": 2,
    "population_size": 5,
    "pattern_fraction": 0.5,
    "trials": 200,
    "rules": ["mstdpet"],
    "baselines": ["none", "per_stimulus"],
    "curve_window": 40,
}


def check(ctx: RunContext) -> None:
    p = ctx.params
    for key in ("n_inputs", "n_patterns", "population_size", "trials", "trials_per_chunk", "curve_window"):
        if p[key] < 1:
            raise ConfigError(key, f"got {p[key]}", "expected an integer >= 1")
    if p["n_patterns"] < 2:
        raise ConfigError("n_patterns", f"got {p['n_patterns']}", "expected at least 2 stimuli")
    if p["trials"] % p["trials_per_chunk"]:
        raise ConfigError("trials", f"{p['trials']} is not a multiple of trials_per_chunk ({p['trials_per_chunk']})",
                          "expected whole chunks")
    if not 0 * ms < p["response"] <= p["stimulus_on"] <= p["trial"]:
        raise ConfigError("response", f"response {p['response']}, stimulus_on {p['stimulus_on']}, trial {p['trial']}",
                          "expected 0 ms < response <= stimulus_on <= trial")
    if not 0 < p["pattern_fraction"] <= 1:
        raise ConfigError("pattern_fraction", f"got {p['pattern_fraction']}", "expected 0 < fraction <= 1")
    if not 0 < p["criterion"] <= 1:
        raise ConfigError("criterion", f"got {p['criterion']}", "expected 0 < criterion <= 1")
    for key in ("rate_on", "rate_off"):
        if p[key] < 0 * Hz:
            raise ConfigError(key, f"{p[key]} is negative", "expected a rate >= 0 Hz")
    for rule in p["rules"]:
        if rule not in p["rule_params"]:
            raise ConfigError("rules", f"unknown rule {rule!r}", one_of(p["rule_params"]))
        if not isinstance(make_rule({"name": rule, **p["rule_params"][rule]}, f"rule_params.{rule}"),
                          RewardModulatedRule):
            raise ConfigError(f"rule_params.{rule}", "is not a reward-modulated rule",
                              "expected da_stdp, mstdp or mstdpet")
    for baseline in p["baselines"]:
        if baseline not in BASELINES:
            raise ConfigError("baselines", f"unknown baseline {baseline!r}", one_of(BASELINES))
    RewardBaseline.from_mapping(p["baseline"], "baseline")
    if p["n_inputs"] * p["n_patterns"] * p["population_size"] > 5_000_000:
        raise ConfigError("n_inputs", "the network would have over 5 million synapses", "choose smaller sizes")


def make_task(p: dict) -> ChoiceTask:
    return ChoiceTask(n_inputs=p["n_inputs"], n_patterns=p["n_patterns"], population_size=p["population_size"],
                      trial=p["trial"], stimulus_on=p["stimulus_on"], response=p["response"], rate_on=p["rate_on"],
                      rate_off=p["rate_off"], pattern_fraction=p["pattern_fraction"],
                      baseline=RewardBaseline.from_mapping(p["baseline"], "baseline"), amount=p["reward_amount"])


def sized_model(ctx: RunContext, task: ChoiceTask, rule: str):
    """The model file with the task's group sizes and the given rule on the feedforward synapses."""
    raw = copy.deepcopy(ctx.model.raw)
    raw["groups"]["inputs"]["n"] = task.n_inputs
    raw["groups"]["outputs"]["n"] = task.n_outputs
    raw["synapses"]["feedforward"]["rule"] = {"name": rule, **ctx.params["rule_params"][rule]}
    return parse_model(raw, source=ctx.model.source)


def selectivity(w: np.ndarray, patterns: np.ndarray, population_size: int) -> float:
    """Mean weight from each pattern's inputs to its own population minus to the others."""
    k = patterns.shape[0]
    per_population = w.reshape(patterns.shape[1], k, population_size).mean(axis=2)  # input x population
    own = np.mean([per_population[patterns[s] > 0, s].mean() for s in range(k)])
    other = np.mean([np.delete(per_population[patterns[s] > 0], s, axis=1).mean() for s in range(k)])
    return float(own - other)


def run(ctx: RunContext) -> dict:
    p = ctx.params
    task = make_task(p)
    k, n_per_chunk = task.n_patterns, p["trials_per_chunk"]
    n_chunks = p["trials"] // n_per_chunk
    patterns = task.make_patterns(ctx.rng)
    schedules = [task.schedule(np.random.default_rng(chunk_seed(ctx.seed, c)), n_per_chunk) for c in range(n_chunks)]
    results: dict[str, dict[str, dict]] = {}
    compile_seconds = {}
    for rule in p["rules"]:
        spec = sized_model(ctx, task, rule)
        key = f"reward-choice-{rule}-{task.n_inputs}-{k}-{task.population_size}"
        with backend_session(ctx.backend, ctx.seed, key=key) as build_dir:
            namespace, rates = task.inputs(patterns, n_per_chunk)
            net = build_network(spec, record_spikes=False, rates={"inputs": rates}, namespace=namespace)
            controller, decisions = task.attach(net, "outputs", namespace["stimulus"])
            synapses = net.synapses["feedforward"]
            carry = [(synapses, "w")] + [(controller, v) for v in RewardBaseline.variables(k)]
            runner = ChunkRunner(net.network, n_per_chunk * task.trial, backend=ctx.backend, seed=ctx.seed,
                                 carry=carry, build_dir=build_dir)
            compile_seconds[rule] = runner.compile()
            results[rule] = {baseline: train(ctx, f"{rule} / {baseline}", baseline, runner, task, controller,
                                             decisions, patterns, namespace["stimulus"], schedules)
                             for baseline in p["baselines"]}
    return summarize(ctx, results, patterns, compile_seconds)


def train(ctx: RunContext, label: str, baseline: str, runner: ChunkRunner, task: ChoiceTask, controller, decisions,
          patterns: np.ndarray, stimulus, schedules: list[np.ndarray]) -> dict:
    """Train one variant from the initial weights, chunk after chunk: whether each trial was
    rewarded, and the mean weight and selectivity at the end of each chunk."""
    runner.state.clear()
    switches = RewardBaseline(mode=baseline).switches()

    def inputs(c: int) -> dict:
        return {stimulus: schedules[c], **{(controller, var): value for var, value in switches.items()}}

    def record(c: int) -> dict:
        w = np.asarray(runner.state["feedforward.w"])
        return {"counts": np.stack([np.asarray(getattr(decisions, n)[:]) for n in task.counts()], axis=1),
                "w_mean": w.mean(), "selectivity": selectivity(w, patterns, task.population_size)}

    safe = label.replace(" / ", "_")
    records = run_chunks(runner, len(schedules), record, inputs=inputs, label=label,
                         checkpoint=ctx.path(f"checkpoint_{safe}.npz"))
    rewarded = ChoiceTask.rewarded(np.concatenate(records["counts"]), np.concatenate(schedules).astype(int))
    window = ctx.params["curve_window"]
    ctx.log(f"{label}: rewarded in {rewarded[-window:].mean():.2f} of the last {window} trials")
    return {"rewarded": rewarded, "w_mean": np.asarray(records["w_mean"]),
            "selectivity": np.asarray(records["selectivity"])}


def summarize(ctx: RunContext, results: dict, patterns: np.ndarray, compile_seconds: dict) -> dict:
    p = ctx.params
    window = p["curve_window"]
    chunk_ends = p["trials_per_chunk"] * np.arange(1, p["trials"] // p["trials_per_chunk"] + 1)
    accuracy, curves, to_criterion, drift, select = {}, {}, {}, {}, {}
    arrays = {"patterns": patterns}
    for rule, by_baseline in results.items():
        accuracy[rule], curves[rule], to_criterion[rule], drift[rule], select[rule] = {}, {}, {}, {}, {}
        for baseline, r in by_baseline.items():
            rewarded = r["rewarded"].astype(float)
            running = np.convolve(rewarded, np.ones(window) / window, mode="valid")  # ends at trial window-1..
            reached = np.flatnonzero(running >= p["criterion"])
            blocks = rewarded[: len(rewarded) // window * window].reshape(-1, window).mean(axis=1)
            accuracy[rule][baseline] = float(rewarded[-window:].mean())
            curves[rule][baseline] = [float(b) for b in blocks]
            to_criterion[rule][baseline] = int(reached[0] + window) if len(reached) else None
            drift[rule][baseline] = float(r["w_mean"][-1] - r["w_mean"][0])
            select[rule][baseline] = float(r["selectivity"][-1])
            arrays.update({f"{rule}_{baseline}_rewarded": rewarded, f"{rule}_{baseline}_w_mean": r["w_mean"],
                           f"{rule}_{baseline}_selectivity": r["selectivity"]})
        block_ends = window * np.arange(1, len(next(iter(curves[rule].values()))) + 1)
        ctx.savefig(plots.curves(block_ends, curves[rule], "trial", f"rewarded fraction (blocks of {window})",
                                 f"{rule}: k = {p['n_patterns']} stimuli", marker="o"), f"learning_curves_{rule}.png")
    labels = {f"{rule} / {b}": r for rule, by_b in results.items() for b, r in by_b.items()}
    ctx.savefig(plots.curves(chunk_ends, {n: r["w_mean"] for n, r in labels.items()}, "trial", "mean weight",
                             "weight drift"), "weight_drift.png")
    ctx.savefig(plots.curves(chunk_ends, {n: r["selectivity"] for n, r in labels.items()}, "trial",
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
