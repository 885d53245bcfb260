"""The reward-based choice protocol (Florian 2007; Fremaux, Sprekeler & Gerstner 2010), once.

k Poisson input patterns, k output populations; R-STDP rules learn, from a reward of +1 or -1 per
trial centred by a :class:`~snnlearn.rules.reward.RewardBaseline`, to make each pattern's own
population fire most (:class:`~snnlearn.tasks.reward.ChoiceTask` does the trials inside Brian2).
:func:`run_choice` trains every rule with every baseline from the same initial state, patterns
and trial order on a :class:`~snnlearn.session.Session` (so nothing depends on
``trials_per_chunk``); :func:`trials_to_criterion` (from :mod:`snnlearn.criterion`, the one
definition of examples to criterion: the first trial at which the fraction rewarded over the
last ``window`` trials reaches the criterion) is re-exported here for the ``reward_choice`` and
``reward_scaling`` experiments.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from brian2 import Hz, StateMonitor, ms

from ..build import build_network
from ..criterion import trials_to_criterion  # noqa: F401 - re-exported for the experiments
from ..engine import backend_session
from ..errors import ConfigError, one_of
from ..rules import make_rule
from ..rules.reward import BASELINES, RewardBaseline, RewardModulatedRule
from ..session import Session, run_in_chunks
from ..spec import ModelSpec, parse_model
from ..tasks.reward import ChoiceTask

#: the protocol's parameters and defaults (the ``reward_choice`` experiment's ``PARAMS``)
DEFAULTS = {
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
    "trials_per_chunk": 100,        # one compiled run; the session carries the whole state
    "sample_trials": 50,            # weights sampled every this many trials (from trial 0)
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
def check_params(p: dict) -> None:
    """Every check of the choice protocol's parameters (ConfigError naming the first bad one)."""
    for key in ("n_inputs", "n_patterns", "population_size", "trials", "trials_per_chunk", "curve_window",
                "sample_trials"):
        if p[key] < 1:
            raise ConfigError(key, f"got {p[key]}", "expected an integer >= 1")
    if p["n_patterns"] < 2:
        raise ConfigError("n_patterns", f"got {p['n_patterns']}", "expected at least 2 stimuli")
    if p["trials"] % p["trials_per_chunk"]:
        raise ConfigError("trials", f"{p['trials']} is not a multiple of trials_per_chunk ({p['trials_per_chunk']})",
                          "expected whole chunks")
    if p["trials"] % p["sample_trials"]:
        raise ConfigError("sample_trials", f"{p['sample_trials']} does not divide trials ({p['trials']})",
                          "expected trials to be a multiple of sample_trials")
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


def sized_model(model: ModelSpec, task: ChoiceTask, rule: str, rule_params: dict) -> ModelSpec:
    """The model file with the task's group sizes and the given rule on the feedforward synapses."""
    raw = copy.deepcopy(model.raw)
    raw["groups"]["inputs"]["n"] = task.n_inputs
    raw["groups"]["outputs"]["n"] = task.n_outputs
    raw["synapses"]["feedforward"]["rule"] = {"name": rule, **rule_params[rule]}
    return parse_model(raw, source=model.source)


def run_choice(ctx: Any) -> dict:
    """Train every rule x baseline of ``ctx.params`` on the choice task (``ctx``: a RunContext:
    params, model, backend, seed, rng, path, log); returns ``{rule: {baseline: result}}`` with
    ``rewarded`` (per trial), ``w_mean`` and ``selectivity`` (every ``sample_trials`` from trial 0),
    the task's ``patterns`` and ``compile_seconds`` per rule."""
    p = ctx.params
    task = ChoiceTask.from_params(p)
    k, n_per_chunk = task.n_patterns, p["trials_per_chunk"]
    n_chunks = p["trials"] // n_per_chunk
    patterns = task.make_patterns(ctx.rng)
    schedule = task.schedule(ctx.rng, p["trials"])  # one random trial order for the whole run
    results: dict[str, dict[str, dict]] = {}
    compile_seconds = {}
    for rule in p["rules"]:
        spec = sized_model(ctx.model, task, rule, p["rule_params"])
        key = f"reward-choice-{rule}-{task.n_inputs}-{k}-{task.population_size}"
        with backend_session(ctx.backend, ctx.seed, key=key) as build_dir:
            namespace, rates = task.inputs(patterns, p["trials"])
            net = build_network(spec, record_spikes=False, rates={"inputs": rates}, namespace=namespace)
            controller, decisions = task.attach(net, "outputs", namespace["stimulus"])
            if spec.synapses["feedforward"].connect:  # {} is all to all
                raise ConfigError("synapses.feedforward.connect", "is not 'all'", "this experiment connects all to all")
            weights = StateMonitor(net.synapses["feedforward"], "w", record=np.arange(task.n_inputs * task.n_outputs),
                                   dt=p["sample_trials"] * task.trial, when="start", name="weights_sampled")
            net.add(weights)
            session = Session(net.network, backend=ctx.backend, chunk=n_per_chunk * task.trial, build_dir=build_dir)
            compile_seconds[rule] = session.compile()
            results[rule] = {baseline: train(ctx, f"{rule} / {baseline}", baseline, session, task, net, controller,
                                             decisions, weights, patterns, namespace["stimulus"], schedule, n_chunks)
                             for baseline in p["baselines"]}
    return {"results": results, "patterns": patterns, "compile_seconds": compile_seconds}


def train(ctx: Any, label: str, baseline: str, session: Session, task: ChoiceTask, net, controller,
          decisions, weights, patterns: np.ndarray, stimulus, schedule: np.ndarray, n_chunks: int) -> dict:
    """Train one variant from the initial state, chunk after chunk: whether each trial was
    rewarded, and the mean weight and selectivity every ``sample_trials`` trials from trial 0."""
    synapses = net.synapses["feedforward"]
    session.reset()
    session.set_timed(stimulus, schedule)
    for var, value in RewardBaseline(mode=baseline).switches().items():
        session.set(controller, var, value)

    def record(c: int) -> dict:
        sampled = session.samples(weights, "w")[1].T  # (samples, synapses) on the sample grid
        out = {"counts": np.stack([session.event_values(decisions, n) for n in task.counts()], axis=1),
               "w_mean": sampled.mean(axis=1),
               "selectivity": [task.selectivity(w, patterns) for w in sampled]}
        if c == n_chunks - 1:  # and after the last trial
            w = np.asarray(session.get(synapses, "w"))
            out["w_mean"] = np.r_[out["w_mean"], w.mean()]
            out["selectivity"] = np.r_[out["selectivity"], task.selectivity(w, patterns)]
        return out

    safe = label.replace(" / ", "_")
    records = run_in_chunks(session, n_chunks, record, label=label, checkpoint=ctx.path(f"checkpoint_{safe}.npz"))
    rewarded = ChoiceTask.rewarded(np.concatenate(records["counts"]), schedule.astype(int))
    window = ctx.params["curve_window"]
    ctx.log(f"{label}: rewarded in {rewarded[-window:].mean():.2f} of the last {window} trials")
    return {"rewarded": rewarded, "w_mean": np.concatenate(records["w_mean"]),
            "selectivity": np.concatenate(records["selectivity"])}
