"""Reward-based gradient estimates: their variance and learning time as the network grows.

Reward-based learning estimates the gradient from a scalar reward; the claim to measure is
that the estimate's variance, and so the learning time, grows with the size of the network,
while the true gradient (backprop) and local rules do not pay that price.

Rate half (NumPy, :mod:`snnlearn.ratenet.estimators`): student-teacher regression (Werfel, Xie &
Seung 2005, Neural Comput 17:2699) with linear and one-hidden-layer (sigmoid) networks, sizes N
from 8 to 1024, all layers scaled together (``*_all``) or one varied alone with the others at
``base_size``. Estimators: backprop; weight perturbation; node perturbation; REINFORCE
(Williams 1992) with Gaussian or Bernoulli-logistic hidden units, without and with a running
reward baseline. Per estimator and N, over several seeds (mean and confidence interval):

- ``normalized_variance_by_n``: trace of the covariance of single-trial estimates over many
  draws at the initial weights (summed over several trials), divided by the squared norm of
  the true gradient (summed likewise). Theory for
  weight perturbation: P + 1 (P parameters); for node perturbation on a linear network with one
  trial: n_out + 1. ``variance_slope_by_estimator``: log-log slope against N (theory in
  ``variance_slope_theory_by_estimator``); ``variance_slope_vs_dimension_by_estimator``:
  against the number of perturbed weights (weight perturbation) or units (the others), about 1.
- ``cosine_to_true_gradient``: mean cosine between an estimate and the gradient it estimates.
- ``learning_time_by_n``: updates (one trial each, as Werfel et al.) until the generalisation
  loss falls to ``target_fraction`` of its start, at the best learning rate of a sweep on a
  separate tuning seed, median over seeds (``learning_time_ci_by_n``: the interval of the
  mean, or [fastest, null] when a seed did not get there); ``null`` where no rate reached it
  within the cap (``max_updates``, or
  ``cap_slack`` times the time extrapolated from smaller N; censored: larger N are then not
  run; ``learning_runs.json`` has every sweep). ``learning_time_slope_by_estimator``: log-log slope over uncensored N.
  Werfel et al.: node perturbation is slower than gradient descent by a factor n_out, weight
  perturbation by a further factor n_in (``learning_time_ratio_by_n`` beside
  ``werfel_ratio_by_n``).

Spiking half (Brian2), ``trials_to_criterion_by_n`` per rule against the number of plastic
synapses, as the input neurons and the output populations k grow together:

- the reward-modulated rules (``da_stdp``, ``mstdp``, ``mstdpet``, with the per-stimulus reward
  baseline) on ``reward_choice``, run by that experiment's own code (sub-folders
  ``spiking/reward_choice_<inputs>x<k>``): trials until ``criterion`` of the last
  ``curve_window`` trials are rewarded. The synaptic efficacy J is scaled by
  ``efficacy_inputs`` / inputs so that a pattern drives the outputs equally at every size;
- unsupervised STDP with adaptive thresholds (Diehl & Cook 2015, ``stdp_adaptive_threshold``),
  whose per-synapse update depends on its own pre- and postsynaptic spikes only, on the same
  patterns: trials until, for ``criterion`` of the patterns, some neuron's weights point to the
  pattern (cosine >= ``prototype_cosine``; random initial weights are near 0.6). (Its
  behaviour cannot be scored like the reward task's: with post-hoc labels even random weights
  tell a few patterns apart.)

A rule that does not reach the criterion within ``trials`` is ``null``.

Figures: normalized variance against N (log-log, fitted slopes in the legend), cosine against
N, learning time against N, learning curves at the smallest and largest N, trials to criterion
against the number of synapses. The full run takes about half an hour of CPU time (2 cores:
under an hour); ``--quick`` (rate half only, small N) a few seconds.
"""

from __future__ import annotations

import copy
import json
import math
import time
from collections.abc import Callable, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from brian2 import ms, mV

from snnlearn.analysis import mean_confidence_interval
from snnlearn.engine import backend_session, resolve_backend
from snnlearn.errors import ConfigError, one_of
from snnlearn.experiment import (
    RunContext,
    load_experiment,
    models_dir,
    resolve_model,
    script_main,
)
from snnlearn.overrides import apply_to_model
from snnlearn.params import parse_quantity
from snnlearn.ratenet import Architecture
from snnlearn.ratenet.estimators import (
    ESTIMATORS,
    GradientEstimator,
    Reinforce,
    flatten,
    make_estimator,
    n_parameters,
    n_units,
    needs_hidden_layer,
    trial_costs,
)
from snnlearn.ratenet.student_teacher import (
    LearningRun,
    StudentTeacher,
    learn,
    make_student_teacher,
)
from snnlearn.results import atomic_write_json
from snnlearn.spec import load_model_dict
from snnlearn.tasks.digits import FEEDFORWARD, DigitPresenter, Protocol, fit_model

#: where the rate half's metrics are kept for ``--resume``
RATE_METRICS = "rate_metrics.json"

#: the unsupervised local rule of the spiking half
UNSUPERVISED = "stdp_adaptive_threshold"

#: scan -> (hidden layer?, which layers grow: indices into (n_in, [n_hidden,] n_out))
SCANS: dict[str, tuple[bool, tuple[int, ...]]] = {
    "linear_all": (False, (0, 1)),
    "linear_n_in": (False, (0,)),
    "linear_n_out": (False, (1,)),
    "hidden_all": (True, (0, 1, 2)),
    "hidden_n_in": (True, (0,)),
    "hidden_n_hidden": (True, (1,)),
    "hidden_n_out": (True, (2,)),
}

PARAMS = {
    "scans": list(SCANS),
    "sizes": [8, 16, 32, 64, 128, 256, 512, 1024],
    "base_size": 8,           # size of the layers that do not grow in a single-layer scan
    "estimators": list(ESTIMATORS),
    "perturbation_sigma": 1e-5,   # weight and node perturbation size
    "reinforce_sigma": 0.1,       # standard deviation of the Gaussian units
    "baseline_trials": 10.0,      # time constant of the running reward baseline, in trials
    "n_samples": 1,               # perturbation samples averaged per estimate
    "confidence": 0.95,
    "variance": {
        "seeds": 4,               # teachers / initial students / batches per point
        "trials": 8,              # trials (inputs) per seed, each estimated from one trial
        "draws": 32,              # estimates per trial at the fixed weight state
        "max_floats": 100_000_000,  # bound on draws x parameters per estimator and seed
        "chunk_floats": 16_000_000,  # bound on draws x parameters held at once
    },
    "learning": {
        "scans": ["linear_all", "linear_n_in", "linear_n_out", "hidden_all"],
        "sizes": [4, 8, 16, 32, 64, 128, 256, 512, 1024],
        "estimators": list(ESTIMATORS),
        "seeds": 3,               # measurement seeds at the tuned learning rate
        "batch_size": 1,          # trials per update (online learning)
        "target_fraction": 0.1,   # loss to reach, as a fraction of the initial loss
        "max_updates": 40_000,    # cap; a point that reaches it is censored
        "lr_factor": 2.0,         # spacing of the learning-rate sweep
        "cap_slack": 10.0,        # sweep runs stop at this times the extrapolated learning time
        "first_lr": 1.0,          # sweep start at the smallest N (a diverging rate is cheap)
        "n_test": 128,            # test trials for the loss of a hidden-layer network
    },
    "spiking": {
        "enabled": True,
        "sizes": [[40, 2], [60, 3], [80, 4], [160, 8]],  # (input neurons, populations k)
        "population_size": 5,     # output neurons per population
        "pattern_fraction": 0.5,  # fraction of the inputs a pattern drives
        "efficacy_inputs": 40,    # inputs at which the model's J applies (scaled as 1/inputs)
        "rules": ["da_stdp", "mstdp", "mstdpet"],
        "baseline": "per_stimulus",  # reward baseline of the reward-modulated rules
        "trials": 1000,           # trials run per rule and size (criterion not reached: null)
        "trials_per_chunk": 100,
        "criterion": 0.8,         # fraction correct over curve_window trials
        "curve_window": 50,
        # the unsupervised network: Diehl & Cook's, with potentiation five times the paper's and
        # at least 20 spikes per presentation, so that it learns within hundreds of trials
        "unsupervised_protocol": {"t_present": 350 * ms, "t_rest": 150 * ms, "min_spikes": 20},
        "unsupervised_rule": {"nu_post": 0.05},
        "unsupervised_total": 10.0,  # sum of a neuron's input weights (the paper's 78 / 784 x 100)
        "prototype_cosine": 0.8,  # weights this close to a pattern count as learned
        "slots_per_chunk": 25,    # presentations per compiled run (the criterion's resolution)
    },
}

QUICK = {
    "scans": ["linear_all", "linear_n_out", "hidden_all"],
    "sizes": [4, 8, 16, 32],
    "base_size": 4,
    "variance.seeds": 2,
    "variance.draws": 16,
    "learning.scans": ["linear_all"],
    "learning.sizes": [4, 8],
    "learning.estimators": ["backprop", "node_perturbation", "weight_perturbation"],
    "learning.seeds": 2,
    "learning.max_updates": 5000,
    "spiking.enabled": False,
}


def check(ctx: RunContext) -> None:
    p = ctx.params
    for field, names, allowed in (("scans", p["scans"], SCANS),
                                  ("learning.scans", p["learning"]["scans"], SCANS),
                                  ("estimators", p["estimators"], ESTIMATORS),
                                  ("learning.estimators", p["learning"]["estimators"], ESTIMATORS)):
        unknown = sorted(set(names) - set(allowed))
        if unknown:
            raise ConfigError(field, f"unknown name {unknown[0]!r}", one_of(allowed))
    for field, sizes in (("sizes", p["sizes"]), ("learning.sizes", p["learning"]["sizes"])):
        if not sizes or min(sizes) < 1 or sorted(set(sizes)) != list(sizes):
            raise ConfigError(field, f"got {sizes}", "expected increasing sizes >= 1")
    if p["variance"]["draws"] < 2 or p["variance"]["seeds"] < 1 or p["learning"]["seeds"] < 1:
        raise ConfigError("variance.draws", "too few draws or seeds",
                          "expected draws >= 2 and seeds >= 1")
    if not 0 < p["learning"]["target_fraction"] < 1:
        raise ConfigError("learning.target_fraction", f"got {p['learning']['target_fraction']}",
                          "expected a fraction in (0, 1)")
    sp = p["spiking"]
    if sp["enabled"]:
        Protocol.from_mapping(sp["unsupervised_protocol"], "spiking.unsupervised_protocol")
        module = load_experiment("reward_choice")
        if sp["trials"] % sp["slots_per_chunk"]:
            raise ConfigError("spiking.trials", f"{sp['trials']} is not a multiple of "
                              f"slots_per_chunk ({sp['slots_per_chunk']})", "expected whole chunks")
        for size in sp["sizes"]:
            if len(size) != 2:
                raise ConfigError("spiking.sizes", f"got {size}", "expected [n_inputs, k] pairs")
            module.check(reward_context(ctx, *size, ctx.backend))


# --------------------------------------------------------------------------- set-up


def layer_sizes(scan: str, n: int, base: int) -> tuple[int, ...]:
    hidden, growing = SCANS[scan]
    return tuple(n if i in growing else base for i in range(3 if hidden else 2))


def estimators_for(names: Sequence[str], scan: str, p: dict) -> list[GradientEstimator]:
    """The estimators of ``names`` that apply to the scan's network (Bernoulli units are
    hidden units)."""
    hidden, _ = SCANS[scan]
    return [make_estimator(name, n_samples=p["n_samples"], sigma=p["perturbation_sigma"],
                           reinforce_sigma=p["reinforce_sigma"],
                           baseline_trials=p["baseline_trials"])
            for name in names if hidden or not needs_hidden_layer(name)]


def problem(scan: str, n: int, p: dict, *seed: int, n_test: int = 256) -> StudentTeacher:
    rng = np.random.default_rng(np.random.SeedSequence([*seed, list(SCANS).index(scan), n]))
    return make_student_teacher(layer_sizes(scan, n, p["base_size"]), rng, n_test=n_test)


def loglog_slope(xs: Sequence[float], ys: Sequence[float | None]) -> float | None:
    """Least-squares slope of log y against log x over the finite positive points."""
    pairs = [(x, y) for x, y in zip(xs, ys, strict=True)
             if y is not None and np.isfinite(y) and y > 0 and x > 0]
    if len(pairs) < 2 or len({x for x, _ in pairs}) < 2:
        return None
    lx, ly = np.log([x for x, _ in pairs]), np.log([y for _, y in pairs])
    return float(np.polyfit(lx, ly, 1)[0])


# --------------------------------------------------------------------------- variance


def hold_expected_baseline(estimator: GradientEstimator, task: StudentTeacher, params,
                           rng: np.random.Generator, trials: int = 512) -> None:
    """Fix a running reward baseline at the mean cost of fresh trials at these weights: the
    value it has during learning (averaged over inputs), not one fitted to the fixed batch."""
    if isinstance(estimator, Reinforce) and estimator.baseline != "none":
        x, t = task.batch(rng, trials)
        h, _ = estimator.run(task.arch, params, x, 1, rng)
        estimator.hold_baseline(float(trial_costs(h[-1], t).mean()))


def measure_variance(estimator: GradientEstimator, task: StudentTeacher, x, targets, draws: int,
                     rng: np.random.Generator, chunk_floats: int) -> tuple[float, float]:
    """(normalized variance, mean cosine) of single-trial estimates at the student's initial
    weights, ``draws`` for each trial of ``(x, targets)``, against the gradient the estimator is
    unbiased for: the covariance trace summed over the trials over their summed squared gradient
    norms (for weight perturbation P + 1 whatever the trials)."""
    arch, params = task.arch, task.student
    names = list(params)
    hold_expected_baseline(estimator, task, params, rng)
    k = estimator.n_samples
    trace_sum, norm2_sum, cosine_sum = 0.0, 0.0, 0.0
    for trial in range(len(x)):
        xi, ti = x[trial:trial + 1], targets[trial:trial + 1]
        true = flatten(estimator.objective_gradient(arch, params, xi, ti), names)
        norm = float(np.linalg.norm(true))
        per_chunk = max(1, chunk_floats // (true.size * k))
        deviation_sum, deviation_sq, done = np.zeros_like(true), 0.0, 0
        while done < draws:
            m = min(per_chunk, draws - done)
            stacked = estimator.samples(arch, params, xi, ti, m * k, rng)
            estimates = flatten(stacked, names, lead=1).reshape(m, k, -1).mean(axis=1)
            deviation = estimates - true  # exactly zero for an exact estimator
            deviation_sum += deviation.sum(axis=0)
            deviation_sq += float(np.sum(deviation**2))
            norms = np.linalg.norm(estimates, axis=1) * norm
            cosine_sum += float(np.sum(np.divide(estimates @ true, norms, out=np.zeros(m),
                                                 where=norms > 0)))
            done += m
        spread = deviation_sq - float(deviation_sum @ deviation_sum) / draws
        trace_sum += max(0.0, spread / (draws - 1))
        norm2_sum += norm**2
    if isinstance(estimator, Reinforce):
        estimator.hold_baseline(None)
    return trace_sum / norm2_sum, cosine_sum / (draws * len(x))


def variance_scan(ctx: RunContext, scan: str) -> dict[str, dict[int, dict[str, list[float]]]]:
    """Per estimator and N, the per-seed normalized variance and cosine."""
    p, v = ctx.params, ctx.params["variance"]
    results: dict[str, dict[int, dict[str, list[float]]]] = {}
    for n in p["sizes"]:
        for seed in range(v["seeds"]):
            task = problem(scan, n, p, ctx.seed, seed)
            rng = np.random.default_rng([ctx.seed, seed, n, 1])
            x, targets = task.batch(rng, v["trials"])
            size = n_parameters(task.arch) * v["trials"]
            draws = int(np.clip(v["max_floats"] // size, 2, v["draws"]))
            for estimator in estimators_for(p["estimators"], scan, p):
                nvar, cosine = measure_variance(estimator, task, x, targets, draws, rng,
                                                v["chunk_floats"])
                point = results.setdefault(estimator.name, {}).setdefault(
                    n, {"normalized_variance": [], "cosine": []})
                point["normalized_variance"].append(nvar)
                point["cosine"].append(cosine)
        ctx.log(f"variance {scan} N={n}: " + ", ".join(
            f"{name} {np.mean(r[n]['normalized_variance']):.3g}" for name, r in results.items()))
    return results


# --------------------------------------------------------------------------- learning time


def learning_rate_sweep(run: Callable[[float, int], LearningRun], start: float, factor: float,
                        cap: int, patience: int = 2, max_tries: int = 40,
                        ) -> tuple[float | None, list[tuple]]:
    """The learning rate with the fewest updates to the target, from a geometric sweep.

    From ``start`` the rate falls by ``factor`` until a run reaches the target within ``cap``
    updates (runs that diverge or stall are too fast; after ``patience`` runs that are merely
    too slow, still learning at the cap, the sweep gives up). If the start itself reaches the target,
    higher rates are tried while they do better; below the best, rates fall while they do
    better. Once a run has reached the target, later runs stop at its number of updates.
    Returns (the best rate, or None if none reached the target; the tried (rate, time,
    diverged) triples).
    """
    tried: list[tuple[float, float, bool]] = []
    best_lr, best_time = None, math.inf

    def attempt(lr: float) -> LearningRun:
        nonlocal best_lr, best_time
        result = run(lr, cap if best_lr is None else min(cap, math.ceil(best_time)))
        tried.append((lr, result.time, result.diverged))
        if result.time < best_time:
            best_lr, best_time = lr, result.time
        return result

    lr, misses = start, 0
    while len(tried) < max_tries:
        result = attempt(lr)
        misses += not result.diverged and best_lr is None
        if best_lr is not None or misses > patience:
            break
        lr /= factor
    if best_lr is None:
        return None, tried
    if len(tried) == 1:  # the start reached the target: look above it
        up = lr
        while len(tried) < max_tries:
            up *= factor
            previous = best_time
            if attempt(up).diverged or best_time >= previous:
                break
    if best_lr == lr:  # the lowest rate tried is the best: look below it
        while len(tried) < max_tries:
            lr /= factor
            previous = best_time
            attempt(lr)
            if best_time >= previous:
                break
    return best_lr, tried


def extrapolate(history: list[tuple[int, float]], n: int, slope: float = -1.0) -> float | None:
    """The log-log extrapolation to ``n`` of ``(size, value)`` pairs (``slope`` from one pair)."""
    if not history:
        return None
    n0, v0 = history[-1]
    if len(history) > 1:
        n1, v1 = history[-2]
        slope = math.log(v0 / v1) / math.log(n0 / n1)
    return v0 * (n / n0) ** slope


def learning_point(ctx: RunContext, scan: str, estimator: GradientEstimator, n: int,
                   start: float, cap: int) -> dict:
    """Tune the learning rate on a tuning seed, then time the measurement seeds at it."""
    p, lp = ctx.params, ctx.params["learning"]

    def run(lr: float, limit: int, seed: int = 10_000) -> LearningRun:
        task = problem(scan, n, p, ctx.seed, seed, n_test=lp["n_test"])
        return learn(task, estimator, lr, target=lp["target_fraction"] * task.loss(task.student),
                     max_updates=limit, batch_size=lp["batch_size"],
                     rng=np.random.default_rng([ctx.seed, seed, n, 2]))

    best_lr, tried = learning_rate_sweep(run, start, lp["lr_factor"], cap)
    point: dict = {"run": True, "censored": best_lr is None, "cap": cap,
                   "sweep": [[lr, None if math.isinf(t) else t, d] for lr, t, d in tried]}
    if best_lr is None:
        ctx.log(f"learning {scan} {estimator.name} N={n}: no rate reached the target within "
                f"{cap} updates")
        return point
    runs = [run(best_lr, lp["max_updates"], seed) for seed in range(lp["seeds"])]
    times = [r.time for r in runs]
    point.update(censored=bool(np.isinf(np.median(times))), lr=best_lr, times=times,
                 tune_time=min(t for lr, t, _ in tried if lr == best_lr),
                 curve={"updates": runs[0].updates, "loss": runs[0].loss})
    ctx.log(f"learning {scan} {estimator.name} N={n}: lr {best_lr:.3g}, "
            f"updates {np.round(times, 1).tolist()}")
    return point


def learning_scan(ctx: RunContext, scan: str) -> dict[str, dict[int, dict]]:
    """Per estimator and N: tuned rate, learning times of the measurement seeds, a curve.

    The sweep at each N starts above the best rate extrapolated from the smaller N, and its
    runs stop at ``cap_slack`` times the learning time of the slowest seed extrapolated from
    the smaller N (or at ``max_updates``). Once a size is censored, larger ones are not run (a
    larger network learns no faster).
    """
    p, lp = ctx.params, ctx.params["learning"]
    results: dict[str, dict[int, dict]] = {}
    for estimator in estimators_for(lp["estimators"], scan, p):
        by_n = results.setdefault(estimator.name, {})
        rates: list[tuple[int, float]] = []
        times: list[tuple[int, float]] = []
        censored = False
        for n in lp["sizes"]:
            if censored:
                by_n[n] = {"run": False, "censored": True}
                continue
            best = extrapolate(rates, n)
            start = lp["first_lr"] if best is None else best * lp["lr_factor"] ** 2
            predicted = extrapolate(times, n, slope=1.0)
            cap = lp["max_updates"] if predicted is None else int(
                min(lp["max_updates"], math.ceil(lp["cap_slack"] * predicted)))
            by_n[n] = learning_point(ctx, scan, estimator, n, start, cap)
            censored = by_n[n]["censored"]
            if not censored:  # the slowest seed that got there sets the next cap
                rates.append((n, by_n[n]["lr"]))
                reached = [t for t in by_n[n]["times"] + [by_n[n]["tune_time"]] if np.isfinite(t)]
                times.append((n, max(reached)))
    return results


# --------------------------------------------------------------------------- summaries


def noise_dimension(name: str, sizes: tuple[int, ...]) -> int | None:
    """How many independent noise sources one trial of estimator ``name`` draws."""
    return make_estimator(name).dimension(Architecture(sizes))


def summarise_variance(p: dict, scan: str, raw: dict, confidence: float) -> dict:
    sizes = p["sizes"]
    out: dict = {key: {} for key in ("nvar", "nvar_ci", "cos", "cos_ci", "slope", "slope_dim",
                                     "theory")}
    for name, by_n in raw.items():
        nvar = {n: mean_confidence_interval(by_n[n]["normalized_variance"], confidence) for n in sizes}
        cos = {n: mean_confidence_interval(by_n[n]["cosine"], confidence) for n in sizes}
        out["nvar"][name] = {str(n): nvar[n][0] for n in sizes}
        out["nvar_ci"][name] = {str(n): [nvar[n][1], nvar[n][2]] for n in sizes}
        out["cos"][name] = {str(n): cos[n][0] for n in sizes}
        out["cos_ci"][name] = {str(n): [cos[n][1], cos[n][2]] for n in sizes}
        means = [nvar[n][0] for n in sizes]
        dims = [noise_dimension(name, layer_sizes(scan, n, p["base_size"])) for n in sizes]
        if all(m == 0 for m in means):  # an exact estimator: zero at every N, flat
            out["slope"][name] = out["slope_dim"][name] = out["theory"][name] = 0.0
            continue
        out["slope"][name] = loglog_slope(sizes, means)
        out["slope_dim"][name] = loglog_slope(dims, means) if len(set(dims)) > 1 else None
        # theory (one trial): P + 1 for weight perturbation, n_units + 1 for node perturbation
        # of a linear network; none in closed form for REINFORCE
        out["theory"][name] = (loglog_slope(sizes, [d + 1 for d in dims])
                               if name in ("weight_perturbation", "node_perturbation") else None)
    return out


def learning_time(times: Sequence[float], confidence: float) -> tuple[float, list]:
    """The median over seeds, and the confidence interval of the mean when every seed reached
    the target, else [fastest seed, None]."""
    finite = [t for t in times if np.isfinite(t)]
    if len(finite) < len(times):
        return float(np.median(times)), [min(finite), None]
    _, low, high = mean_confidence_interval(times, confidence)
    return float(np.median(times)), [low, high]


def summarise_learning(p: dict, scan: str, raw: dict, confidence: float) -> dict:
    """Learning times (mean and interval over seeds; None where censored), their log-log slopes,
    and the ratios to backprop beside Werfel et al.'s factors (n_out for node perturbation,
    n_in n_out for weight perturbation) with the slopes of both."""
    sizes = p["learning"]["sizes"]
    out: dict = {key: {} for key in ("time", "ci", "lr", "slope", "ratio", "ratio_slope",
                                     "werfel", "werfel_slope")}
    for name, by_n in raw.items():
        stats_n = {n: None if by_n[n]["censored"] else learning_time(by_n[n]["times"], confidence)
                   for n in sizes}
        out["time"][name] = {str(n): s[0] if s else None for n, s in stats_n.items()}
        out["ci"][name] = {str(n): s[1] if s else None for n, s in stats_n.items()}
        out["lr"][name] = {str(n): by_n[n].get("lr") for n in sizes}
        out["slope"][name] = loglog_slope(sizes, [s[0] if s else None for s in stats_n.values()])
    gd = out["time"].get("backprop", {})
    for name, times in out["time"].items():
        ratio = {n: t / gd[n] if t is not None and gd.get(n) else None for n, t in times.items()}
        out["ratio"][name] = ratio
        out["ratio_slope"][name] = loglog_slope(sizes, list(ratio.values()))
    for name, factor in (("node_perturbation", lambda n_in, n_out: n_out),
                         ("weight_perturbation", lambda n_in, n_out: n_in * n_out)):
        values = [factor(s[0], s[-1]) for s in (layer_sizes(scan, n, p["base_size"])
                                                for n in sizes)]
        out["werfel"][name] = dict(zip(map(str, sizes), values, strict=True))
        out["werfel_slope"][name] = loglog_slope(sizes, values) if len(set(values)) > 1 else 0.0
    return out


# --------------------------------------------------------------------------- figures


def _grid(n_panels: int) -> tuple[plt.Figure, np.ndarray]:
    cols = min(n_panels, 4)
    rows = math.ceil(n_panels / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    for ax in axes.flat[n_panels:]:
        ax.set_visible(False)
    return fig, axes


def _band(ax, xs, means, cis, label: str, logy: bool = True) -> None:
    """A line of means with its confidence band (on a log axis, cut at a hundredth of the
    mean, where a wide interval of few seeds would reach zero)."""
    pts = [(x, m, ci or [m, m]) for x, m, ci in zip(xs, means, cis, strict=True)
           if m is not None and (m > 0 or not logy)]
    if not pts:
        return
    x, m, ci = (np.asarray(v, dtype=float) for v in zip(*pts, strict=True))
    line, = ax.plot(x, m, marker="o", ms=3, label=label)
    low = np.maximum(ci[:, 0], m / 100) if logy else ci[:, 0]
    ax.fill_between(x, low, ci[:, 1], color=line.get_color(), alpha=0.2)


def _label(name: str, slope: float | None) -> str:
    return f"{name} ({'-' if slope is None else f'{slope:.2f}'})"


def plot_by_n(summaries: dict, key: str, ci_key: str, sizes: Sequence[int], ylabel: str,
              title: str, slope_key: str | None = None, theory: bool = False) -> plt.Figure:
    """One log-log panel per scan, one line per estimator (fitted slope in the legend)."""
    fig, axes = _grid(len(summaries))
    for ax, (scan, s) in zip(axes.flat, summaries.items(), strict=False):
        for name, values in s[key].items():
            means = [values[str(n)] for n in sizes]
            cis = [s[ci_key][name][str(n)] for n in sizes]
            _band(ax, sizes, means, cis, _label(name, s[slope_key][name]) if slope_key else name)
        if theory:
            ax.plot(sizes, [s["theory_wp"][i] for i in range(len(sizes))], "k--", lw=0.8,
                    label="P + 1")
            ax.plot(sizes, [s["theory_np"][i] for i in range(len(sizes))], "k:", lw=0.8,
                    label="units + 1")
        ax.set(xscale="log", yscale="log", xlabel="N", ylabel=ylabel, title=scan)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=6)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_learning_curves(raw: dict, sizes: Sequence[int], scans: Sequence[str]) -> plt.Figure:
    """Loss against updates at the smallest N and at the largest N each estimator reached."""
    fig, axes = plt.subplots(len(scans), 2, figsize=(10, 3.6 * len(scans)), squeeze=False)
    for row, scan in zip(axes, scans, strict=True):
        for ax, which in zip(row, ("smallest", "largest"), strict=True):
            for name, by_n in raw[scan].items():
                reached = [n for n in sizes if by_n[n].get("curve")]
                if not reached:
                    continue
                n = reached[0] if which == "smallest" else reached[-1]
                curve = by_n[n]["curve"]
                ax.plot(np.maximum(curve["updates"], 1), curve["loss"], label=f"{name} (N={n})")
            ax.set(xscale="log", yscale="log", xlabel="updates (trials)",
                   ylabel="generalisation loss", title=f"{scan}: {which} N")
            ax.grid(alpha=0.3, which="both")
            ax.legend(fontsize=6)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- run


def rate_half(ctx: RunContext) -> dict:
    p = ctx.params
    confidence = p["confidence"]
    variance, learning_raw, learning = {}, {}, {}
    for scan in p["scans"]:
        variance[scan] = summarise_variance(p, scan, variance_scan(ctx, scan), confidence)
        archs = [Architecture(layer_sizes(scan, n, p["base_size"])) for n in p["sizes"]]
        variance[scan]["theory_wp"] = [n_parameters(a) + 1 for a in archs]
        variance[scan]["theory_np"] = [n_units(a) + 1 for a in archs]
    for scan in p["learning"]["scans"]:
        learning_raw[scan] = learning_scan(ctx, scan)
        learning[scan] = summarise_learning(p, scan, learning_raw[scan], confidence)
    sizes, lsizes = p["sizes"], p["learning"]["sizes"]
    if variance:
        ctx.savefig(plot_by_n(variance, "nvar", "nvar_ci", sizes, "normalized variance",
                              "trace Cov / |grad|^2 (legend: log-log slope against N)", "slope",
                              theory=True), "normalized_variance.png")
        ctx.savefig(plot_by_n(variance, "cos", "cos_ci", sizes, "cosine to the true gradient",
                              "mean cosine of one estimate to the gradient it estimates"),
                    "cosine.png")
    if learning:
        ctx.savefig(plot_by_n(learning, "time", "ci", lsizes, "updates to target",
                              "learning time at the best rate (legend: log-log slope)", "slope"),
                    "learning_time.png")
        ctx.savefig(plot_learning_curves(learning_raw, lsizes, list(learning)),
                    "learning_curves.png")
    ctx.save_json("learning_runs.json", {scan: {name: {str(n): point for n, point in by_n.items()}
                                               for name, by_n in raw.items()}
                                        for scan, raw in learning_raw.items()})
    return {
        "normalized_variance_by_n": {s: v["nvar"] for s, v in variance.items()},
        "normalized_variance_ci_by_n": {s: v["nvar_ci"] for s, v in variance.items()},
        "normalized_variance_theory_by_n": {
            s: {"weight_perturbation": dict(zip(map(str, sizes), v["theory_wp"], strict=True)),
                "node_perturbation": dict(zip(map(str, sizes), v["theory_np"], strict=True))}
            for s, v in variance.items()},
        "variance_slope_by_estimator": {s: v["slope"] for s, v in variance.items()},
        "variance_slope_theory_by_estimator": {s: v["theory"] for s, v in variance.items()},
        "variance_slope_vs_dimension_by_estimator": {s: v["slope_dim"]
                                                     for s, v in variance.items()},
        "cosine_to_true_gradient": {s: v["cos"] for s, v in variance.items()},
        "cosine_ci_by_n": {s: v["cos_ci"] for s, v in variance.items()},
        "learning_time_by_n": {s: v["time"] for s, v in learning.items()},
        "learning_time_ci_by_n": {s: v["ci"] for s, v in learning.items()},
        "learning_time_censored_at": p["learning"]["max_updates"],
        "best_learning_rate_by_n": {s: v["lr"] for s, v in learning.items()},
        "learning_time_slope_by_estimator": {s: v["slope"] for s, v in learning.items()},
        "learning_time_ratio_by_n": {s: v["ratio"] for s, v in learning.items()},
        "learning_time_ratio_slope_by_estimator": {s: v["ratio_slope"]
                                                   for s, v in learning.items()},
        "werfel_ratio_by_n": {s: v["werfel"] for s, v in learning.items()},
        "werfel_ratio_slope_by_estimator": {s: v["werfel_slope"] for s, v in learning.items()},
        "n_parameters_by_n": {
            s: {str(n): n_parameters(Architecture(layer_sizes(s, n, p["base_size"])))
                for n in sizes} for s in p["scans"]},
    }


# --------------------------------------------------------------------------- spiking half


def spiking_backend(ctx: RunContext) -> str:
    """The backend asked for on the command line, else standalone (the reward task's own
    default) when a compiler is there."""
    return ctx.backend if ctx.backend_explicit else resolve_backend("standalone", explicit=False)


def size_label(n_inputs: int, k: int) -> str:
    return f"{n_inputs}x{k}"


def reward_context(ctx: RunContext, n_inputs: int, k: int, backend: str) -> RunContext:
    """A ``reward_choice`` run of this size, in a sub-folder of this run."""
    module = load_experiment("reward_choice")
    params = copy.deepcopy(module.PARAMS)
    sp = ctx.params["spiking"]
    params.update(n_inputs=n_inputs, n_patterns=k, population_size=sp["population_size"],
                  pattern_fraction=sp["pattern_fraction"], trials=sp["trials"],
                  trials_per_chunk=sp["trials_per_chunk"], rules=sp["rules"],
                  baselines=[sp["baseline"]], criterion=sp["criterion"],
                  curve_window=sp["curve_window"])
    return RunContext(name="reward_choice", seed=ctx.seed, quick=ctx.quick, backend=backend,
                      out_dir=ctx.path(f"spiking/reward_choice_{size_label(n_inputs, k)}"),
                      params=params, model=reward_model(module, n_inputs, sp["efficacy_inputs"]),
                      backend_explicit=True)


def reward_model(module, n_inputs: int, efficacy_inputs: int):
    """``reward_choice``'s model with its synaptic efficacy ``J`` scaled by ``efficacy_inputs /
    n_inputs``: a pattern (a fixed fraction of the inputs) then drives the outputs as much at
    every size as at ``efficacy_inputs`` inputs with the file's J."""
    base = resolve_model(module, None, [])
    key = "synapses.feedforward.params.J"
    efficacy = parse_quantity(base.raw["synapses"]["feedforward"]["params"]["J"], mV, key)
    scaled = efficacy * efficacy_inputs / n_inputs
    return resolve_model(module, None, [(key, f"{float(scaled / mV)!r} mV")])


def reward_rules_trials(ctx: RunContext, n_inputs: int, k: int, backend: str
                        ) -> dict[str, int | None]:
    """Trials to criterion of each reward-modulated rule on ``reward_choice`` at this size, run
    by that experiment's own code."""
    module = load_experiment("reward_choice")
    sub = reward_context(ctx, n_inputs, k, backend)
    sub.out_dir.mkdir(parents=True, exist_ok=True)
    module.check(sub)
    metrics = module.run(sub)
    atomic_write_json(sub.path("metrics.json"), metrics)
    baseline = ctx.params["spiking"]["baseline"]
    return {rule: metrics["trials_to_80pct_by_rule"][rule][baseline]
            for rule in ctx.params["spiking"]["rules"]}


def trials_to_criterion(values: Sequence[float], trials: Sequence[int], criterion: float
                        ) -> int | None:
    """The first of ``trials`` at which ``values`` reaches ``criterion`` (None if never)."""
    reached = [t for v, t in zip(values, trials, strict=True) if v >= criterion]
    return int(reached[0]) if reached else None


def patterns_learned(w: np.ndarray, patterns: np.ndarray, cosine: float) -> float:
    """Fraction of the patterns to which some neuron's incoming weights (``w``: input x neuron)
    point, at cosine >= ``cosine``."""
    norms = np.linalg.norm(patterns, axis=1)[:, None] * np.linalg.norm(w, axis=0)[None, :]
    similarity = np.divide(patterns @ w, norms, out=np.zeros(norms.shape), where=norms > 0)
    return float(np.mean(similarity.max(axis=1) >= cosine))


def unsupervised_trials(ctx: RunContext, n_inputs: int, k: int, backend: str
                        ) -> tuple[int | None, list[list[float]]]:
    """Trials to criterion of STDP with adaptive thresholds (Diehl & Cook 2015, no reward) on
    the reward task's patterns: each trial presents one pattern (its inputs on, the others
    silent; shown again brighter after too few spikes, which counts as another trial) to
    ``k x population_size`` competing neurons. The criterion: for a fraction ``criterion`` of
    the patterns some neuron's weights point to the pattern (cosine >= ``prototype_cosine``),
    checked after every compiled chunk of trials. Returns it and the (trials, fraction of
    patterns learned) curve."""
    sp = ctx.params["spiking"]
    module = load_experiment("reward_choice")
    task = module.make_task(reward_context(ctx, n_inputs, k, backend).params)
    patterns = task.make_patterns(np.random.default_rng(ctx.seed))  # as the reward runs draw them
    labels = task.schedule(np.random.default_rng([ctx.seed, n_inputs, k]), sp["trials"]).astype(int)
    protocol = Protocol.from_mapping(sp["unsupervised_protocol"], "spiking.unsupervised_protocol")
    raw = load_model_dict(models_dir() / "diehl_cook_2015.toml")
    overrides = {f"synapses.{FEEDFORWARD}.rule.{key}": v for key, v in sp["unsupervised_rule"].items()}
    # the same total weight onto a neuron at every size: a pattern drives it equally
    overrides.update({"groups.inputs.n": n_inputs,
                      f"synapses.{FEEDFORWARD}.normalize.total": sp["unsupervised_total"]})
    for key, value in overrides.items():
        raw = apply_to_model(raw, key, value)
    spec = fit_model(raw, n_inputs, k * sp["population_size"], protocol)
    slots = sp["slots_per_chunk"]
    curve: list[list[float]] = [[0, 0.0]]
    with backend_session(backend, ctx.seed, key=f"rl_variance-stdp-{n_inputs}x{k}") as build_dir:
        presenter = DigitPresenter(spec, protocol, slots, backend=backend, seed=ctx.seed,
                                   build_dir=build_dir)
        position, intensity = 0, protocol.base_intensity
        for chunk in range(sp["trials"] // slots):
            result = presenter.run_chunk(patterns[labels[position:position + slots]], chunk,
                                         learn=True, intensity=intensity)
            position, intensity = position + len(result.final_slots), result.next_intensity
            w = np.asarray(presenter.runner.state[f"{FEEDFORWARD}.w"]).reshape(n_inputs, -1)
            curve.append([(chunk + 1) * slots,
                          patterns_learned(w, patterns, sp["prototype_cosine"])])
    trials, values = [t for t, _ in curve], [v for _, v in curve]
    return trials_to_criterion(values, trials, sp["criterion"]), curve


def spiking_half(ctx: RunContext) -> dict:
    """Trials to criterion against the number of plastic synapses: reward-modulated rules on
    ``reward_choice`` beside unsupervised STDP with adaptive thresholds."""
    sp = ctx.params["spiking"]
    backend = spiking_backend(ctx)
    by_rule: dict[str, dict[str, int | None]] = {}
    sizes, synapses, curves = {}, [], {}
    for n_inputs, k in sp["sizes"]:
        label = size_label(n_inputs, k)
        n_synapses = n_inputs * k * sp["population_size"]
        sizes[label] = {"n_inputs": n_inputs, "n_patterns": k, "plastic_synapses": n_synapses}
        synapses.append(n_synapses)
        for rule, trials in reward_rules_trials(ctx, n_inputs, k, backend).items():
            by_rule.setdefault(rule, {})[label] = trials
        trials, curves[label] = unsupervised_trials(ctx, n_inputs, k, backend)
        by_rule.setdefault(UNSUPERVISED, {})[label] = trials
        ctx.log(f"spiking {label} ({n_synapses} synapses): trials to criterion "
                + ", ".join(f"{rule} {by_n[label]}" for rule, by_n in by_rule.items()))
    slopes = {rule: loglog_slope(synapses, list(by_n.values())) for rule, by_n in by_rule.items()}
    fig, ax = plt.subplots(figsize=(6, 4))
    for rule, by_n in by_rule.items():
        points = [(x, t) for x, t in zip(synapses, by_n.values(), strict=True) if t is not None]
        if points:
            ax.plot(*zip(*points, strict=True), marker="o", label=_label(rule, slopes[rule]))
    ax.axhline(sp["trials"], color="k", ls=":", lw=0.8, label="trials run (not reached above)")
    ax.set(xscale="log", yscale="log", xlabel="plastic synapses", ylabel="trials to criterion",
           title=f"trials to {sp['criterion']:.0%} correct (legend: log-log slope)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    ctx.savefig(fig, "trials_to_criterion.png")
    return {"trials_to_criterion_by_n": by_rule,
            "trials_to_criterion_slope_by_rule": slopes,
            "trials_to_criterion_censored_at": sp["trials"],
            "spiking_sizes": sizes,
            "unsupervised_patterns_learned_by_n": curves,
            "spiking_backend": backend}


def run(ctx: RunContext) -> dict:
    """The rate half (its metrics kept in ``rate_metrics.json``, which ``--resume`` reuses),
    then the spiking half."""
    saved = ctx.path(RATE_METRICS)
    if ctx.resume and saved.is_file():
        metrics = json.loads(saved.read_text())
        ctx.log(f"rate half taken from {saved}")
    else:
        started = time.process_time()
        metrics = rate_half(ctx)
        metrics["rate_half_cpu_seconds"] = round(time.process_time() - started, 1)
        ctx.save_json(RATE_METRICS, metrics)
    if ctx.params["spiking"]["enabled"]:
        started = time.perf_counter()  # wall time: the standalone programs run in child processes
        metrics.update(spiking_half(ctx))
        metrics["spiking_half_wall_seconds"] = round(time.perf_counter() - started, 1)
    return metrics


if __name__ == "__main__":
    script_main(__file__)
