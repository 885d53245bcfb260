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

**The drift decomposition.** A reward-modulated rule changes a weight by about
``g M_n e_n`` at the reward of trial n (``M`` the modulator ``R - b``, ``e`` the synapse's
eligibility when the reward arrives, ``g`` the rule's :meth:`~snnlearn.rules.reward.RewardModulatedRule.reward_gain`),
so the expected drift is ``g <M e> = g (Cov(M, e) + <M><e>)`` (Fremaux et al. 2010, Eq. 7-9):
the covariance is the learning signal, ``<M><e>`` the unsupervised STDP term an uncentred reward
adds. Split by stimulus, ``<M e> = sum_s p_s (Cov(M, e | s) + <M|s><e|s>)``: a global baseline
removes ``<M>`` but not ``<M|s>``, a per-stimulus one both. :func:`train` samples every
synapse's eligibility at every reward (rules with an eligibility trace: ``da_stdp``,
``mstdpet``); :func:`drift_decomposition` computes the terms (of the mean over synapses: the
drift of the mean weight); the identities hold exactly on the sample.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from brian2 import Hz, SpikeMonitor, StateMonitor, ms, second

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
    "n_patterns": 4,  # k stimuli and k actions
    "population_size": 10,  # output neurons per action
    "pattern_fraction": 0.25,  # fraction of the inputs a pattern drives
    "rate_on": 40 * Hz,
    "rate_off": 2 * Hz,
    "trial": 400 * ms,
    "stimulus_on": 100 * ms,  # > response: the stimulus stays on after the reward arrives
    "response": 100 * ms,  # the decision counts spikes in this first part of it
    "trials": 1000,
    "trials_per_chunk": 100,  # one compiled run; the session carries the whole state
    "sample_trials": 50,  # weights sampled every this many trials (from trial 0)
    "reward_amount": 1.0,  # dopamine added per unit of modulator
    "baseline": {"trials": 10.0},  # averaging time constant of the baselines, in trials
    "rules": ["da_stdp", "mstdp", "mstdpet"],
    "baselines": ["none", "global", "per_stimulus"],
    # every rule with weights in [0, 1], the same dopamine decay and an STDP window of positive
    # integral (a_plus tau_plus > a_minus tau_minus): co-active pairs leave a positive
    # eligibility, the unsupervised STDP term that an uncentred reward turns into drift
    "rule_params": {
        "da_stdp": {
            "a_plus": 0.002,
            "a_minus": 0.001,
            "tau_c": "1 s",
            "d_tonic": 0.0,
            "w_max": 1.0,
            "tau_d": "100 ms",
            "update_period": "10 ms",
        },
        "mstdp": {"a_plus": 1.0, "a_minus": 0.5, "gamma": 0.1, "w_max": 1.0, "tau_d": "100 ms"},
        "mstdpet": {"a_plus": 1.0, "a_minus": 0.5, "gamma": 0.1, "tau_z": "25 ms", "w_max": 1.0, "tau_d": "100 ms"},
    },
    "curve_window": 50,
    "criterion": 0.8,
}


def check_params(p: dict) -> None:
    """Every check of the choice protocol's parameters (ConfigError naming the first bad one)."""
    for key in (
        "n_inputs",
        "n_patterns",
        "population_size",
        "trials",
        "trials_per_chunk",
        "curve_window",
        "sample_trials",
    ):
        if p[key] < 1:
            raise ConfigError(key, f"got {p[key]}", "expected an integer >= 1")
    if p["n_patterns"] < 2:
        raise ConfigError("n_patterns", f"got {p['n_patterns']}", "expected at least 2 stimuli")
    if p["trials"] % p["trials_per_chunk"]:
        raise ConfigError(
            "trials",
            f"{p['trials']} is not a multiple of trials_per_chunk ({p['trials_per_chunk']})",
            "expected whole chunks",
        )
    if p["trials"] % p["sample_trials"]:
        raise ConfigError(
            "sample_trials",
            f"{p['sample_trials']} does not divide trials ({p['trials']})",
            "expected trials to be a multiple of sample_trials",
        )
    if not 0 * ms < p["response"] <= p["stimulus_on"] <= p["trial"]:
        raise ConfigError(
            "response",
            f"response {p['response']}, stimulus_on {p['stimulus_on']}, trial {p['trial']}",
            "expected 0 ms < response <= stimulus_on <= trial",
        )
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
        if not isinstance(
            make_rule({"name": rule, **p["rule_params"][rule]}, f"rule_params.{rule}"), RewardModulatedRule
        ):
            raise ConfigError(
                f"rule_params.{rule}", "is not a reward-modulated rule", "expected da_stdp, mstdp or mstdpet"
            )
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


def run_choice(ctx: Any, prefix: str = "", raster_trials: int = 0, decomposition: bool = False) -> dict:
    """Train every rule x baseline of ``ctx.params`` on the choice task (``ctx``: a RunContext:
    params, model, backend, seed, rng, path, log); returns ``{rule: {baseline: result}}`` with
    ``rewarded`` (per trial), ``w_mean`` and ``selectivity`` (every ``sample_trials`` from trial 0),
    ``modulator`` and, with ``decomposition``, ``eligibility`` (the mean over synapses at each
    reward; rules with an eligibility trace; every synapse is sampled on the grid gcd(trial,
    response)) per trial, the spikes of the last ``raster_trials`` trials (``raster``:
    input and output (neuron, time) rows), the task's ``patterns``, ``schedule`` and
    ``compile_seconds`` per rule. ``prefix`` starts the checkpoint names (one run per seed)."""
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
            synapses, n_synapses = net.synapses["feedforward"], task.n_inputs * task.n_outputs
            monitors = {
                "weights": StateMonitor(
                    synapses,
                    "w",
                    record=np.arange(n_synapses),
                    when="start",
                    dt=p["sample_trials"] * task.trial,
                    name="weights_sampled",
                ),
                "inputs": SpikeMonitor(net.groups["inputs"], name="input_spikes"),
                "outputs": SpikeMonitor(net.groups["outputs"], name="output_spikes"),
            }
            eligibility = synapses_rule(net).eligibility
            if eligibility and decomposition:  # sampled on a grid that holds every reward time
                steps = math.gcd(*(int(round(float(x / spec.dt))) for x in (task.trial, task.response)))
                monitors["eligibility"] = StateMonitor(
                    synapses,
                    [eligibility, "lastupdate"],
                    when="start",
                    record=np.arange(n_synapses),
                    dt=steps * spec.dt,
                    name="eligibility_sampled",
                )
            net.add(*monitors.values())
            session = Session(net.network, backend=ctx.backend, chunk=n_per_chunk * task.trial, build_dir=build_dir)
            compile_seconds[rule] = session.compile()
            run = Variant(
                session,
                task,
                net,
                controller,
                decisions,
                monitors,
                patterns,
                namespace["stimulus"],
                schedule,
                n_chunks,
                raster_trials,
            )
            results[rule] = {
                baseline: train(ctx, f"{prefix}{rule} / {baseline}", baseline, run) for baseline in p["baselines"]
            }
    return {"results": results, "patterns": patterns, "schedule": schedule, "compile_seconds": compile_seconds}


@dataclass
class Variant:
    """What :func:`train` runs on: one compiled network of one rule and its task."""

    session: Session
    task: ChoiceTask
    net: Any
    controller: Any
    decisions: Any
    monitors: dict[str, Any]
    patterns: np.ndarray
    stimulus: Any
    schedule: np.ndarray
    n_chunks: int
    raster_trials: int = 0


def train(ctx: Any, label: str, baseline: str, v: Variant) -> dict:
    """Train one variant from the initial state, chunk after chunk: whether each trial was
    rewarded, its modulator and mean eligibility at the reward, the mean weight and selectivity
    every ``sample_trials`` trials from trial 0, and the spikes of the last ``raster_trials``."""
    session, task, monitors = v.session, v.task, v.monitors
    synapses = v.net.synapses["feedforward"]
    rule = synapses_rule(v.net)
    trial_s, response_s = float(task.trial / second), float(task.response / second)
    per_chunk = len(v.schedule) // v.n_chunks
    session.reset()
    session.set_timed(v.stimulus, v.schedule)
    mode = RewardBaseline(mode=baseline)
    for var, value in mode.switches().items():
        session.set(v.controller, var, value)

    def record(c: int) -> dict:
        sampled = session.samples(monitors["weights"], "w")[1].T  # (samples, synapses) on the sample grid
        counts = np.stack([session.event_values(v.decisions, n) for n in task.counts()], axis=1)
        trials = np.arange(c * per_chunk, (c + 1) * per_chunk)
        won = ChoiceTask.rewarded(counts, v.schedule[trials].astype(int))
        baselines = {n: session.event_values(v.decisions, n) for n in RewardBaseline.variables(task.n_patterns)}
        out = {
            "counts": counts,
            "w_mean": sampled.mean(axis=1),
            "modulator": modulators(won, v.schedule[trials].astype(int), baselines, mode),
            "selectivity": [task.selectivity(w, v.patterns) for w in sampled],
        }
        if "eligibility" in monitors:  # at each reward: the sample at t = n trial + response
            t, e = session.samples(monitors["eligibility"], rule.eligibility)
            lastupdate = session.samples(monitors["eligibility"], "lastupdate")[1]
            at = np.searchsorted(t, trials * trial_s + response_s - 1e-9)
            tau = float(getattr(rule, rule.eligibility_tau) / second)
            out["eligibility"] = (e[:, at] * np.exp(-(t[at] - lastupdate[:, at]) / tau)).mean(axis=0)
        if c == v.n_chunks - 1:  # and after the last trial
            w = np.asarray(session.get(synapses, "w"))
            out["w_mean"] = np.r_[out["w_mean"], w.mean()]
            out["selectivity"] = np.r_[out["selectivity"], task.selectivity(w, v.patterns)]
            since = session.t - v.raster_trials * trial_s
            for name in ("inputs", "outputs"):
                i, t = session.spikes(monitors[name])
                out[f"raster_{name}"] = np.stack([i, t])[:, t >= since - 1e-9]
        return out

    safe = label.replace(" / ", "_")
    records = run_in_chunks(session, v.n_chunks, record, label=label, checkpoint=ctx.path(f"checkpoint_{safe}.npz"))
    rewarded = ChoiceTask.rewarded(np.concatenate(records["counts"]), v.schedule.astype(int))
    window = ctx.params["curve_window"]
    ctx.log(f"{label}: rewarded in {rewarded[-window:].mean():.2f} of the last {window} trials")
    out = {
        "rewarded": rewarded,
        "w_mean": np.concatenate(records["w_mean"]),
        "selectivity": np.concatenate(records["selectivity"]),
        "modulator": np.concatenate(records["modulator"]),
        "raster": {name: records[f"raster_{name}"][-1] for name in ("inputs", "outputs")},
    }
    if "eligibility" in records:
        out["eligibility"] = np.concatenate(records["eligibility"])
    return out


def synapses_rule(net: Any) -> RewardModulatedRule:
    """The reward-modulated rule of the feedforward synapses."""
    rule = net.spec.synapses["feedforward"].rule
    if not isinstance(rule, RewardModulatedRule):
        raise ConfigError("synapses.feedforward.rule", "is not reward-modulated", "expected da_stdp, mstdp or mstdpet")
    return rule


def modulators(
    won: np.ndarray, targets: np.ndarray, baselines: dict[str, np.ndarray], mode: RewardBaseline
) -> np.ndarray:
    """The modulator ``M = R - b`` of each decision, as the controller computed it: R = +1 or -1,
    ``baselines`` the running means recorded with each decision (before its update)."""
    reward = np.where(won, 1.0, -1.0)
    if mode.mode == "per_stimulus":
        return (
            reward
            - np.stack([baselines[f"baseline_{s}"] for s in range(len(baselines) - 1)], axis=1)[
                np.arange(len(reward)), targets
            ]
        )
    if mode.mode == "global":
        return reward - baselines["baseline_all"]
    return reward


def drift_decomposition(modulator: np.ndarray, eligibility: np.ndarray, stimulus: np.ndarray) -> dict[str, float]:
    """``<M e> = Cov(M, e) + <M><e>`` over trials, and split by stimulus,
    ``<M e> = sum_s p_s (Cov(M, e | s) + <M|s><e|s>)`` (population covariances, so that both
    identities hold exactly); ``eligibility``: per trial (e.g. the mean over synapses)."""
    m, e, s = (np.asarray(x, dtype=float) for x in (modulator, eligibility, stimulus))
    within_cov = within_bias = 0.0
    for value in np.unique(s):
        own = s == value
        p = own.mean()
        within_bias += p * m[own].mean() * e[own].mean()
        within_cov += p * np.mean((m[own] - m[own].mean()) * (e[own] - e[own].mean()))
    return {
        "reward_eligibility": float(np.mean(m * e)),
        "covariance": float(np.mean((m - m.mean()) * (e - e.mean()))),
        "bias": float(m.mean() * e.mean()),
        "covariance_within_stimulus": float(within_cov),
        "bias_within_stimulus": float(within_bias),
        "modulator_mean": float(m.mean()),
        "eligibility_mean": float(e.mean()),
    }
