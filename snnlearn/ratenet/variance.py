"""Measuring credit assignment as the network grows: variance, cosine and learning time.

The machinery of the ``rl_variance`` experiment, for any :class:`~.learner.Learner` on
student-teacher regression (:mod:`.student_teacher`):

- :func:`measure_update_error`: at a fixed weight state, the normalised variance (trace of the
  covariance of single-trial updates over the squared norm of the gradient they estimate), the
  mean cosine to it, and the error against the true gradient ``g`` of the loss (backprop's),
  ``E|g_hat - g|^2 / |g|^2``, split into bias^2 ``|E g_hat - g|^2 / |g|^2`` and variance; a
  deterministic learner (backprop, feedback alignment, sign symmetry, DFA) has variance 0 and
  all its error in bias (:func:`measure_variance`: the first two only);
- :func:`learning_rate_sweep`: the learning rate with the fewest updates to a target, from a
  geometric sweep that stops early; :func:`extrapolate` predicts the next size's rate and time;
- :func:`loglog_slope`: the least-squares slope of a quantity against N on log-log axes;
- :func:`summarise_variance`, :func:`summarise_learning`: per learner and N, means with
  confidence intervals, slopes, and learning-time ratios beside Werfel et al.'s factors.

A *scan* (:data:`SCANS`) names a family of networks: linear or with one hidden layer, all layers
grown together or one alone with the others at a base size (:func:`layer_sizes`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..analysis import mean_confidence_interval
from .estimators import GradientEstimator, Reinforce, flatten, n_parameters, trial_costs, true_gradient
from .learner import Learner, make_learner
from .network import Architecture
from .student_teacher import LearningRun, StudentTeacher, learn, make_student_teacher

#: ``learners_for(names, scan, rng)``: the learners of ``names`` that apply to the scan's
#: networks, fresh (``rng`` draws what a learner fixes once: feedback matrices)
LearnersFor = Callable[..., list[Learner]]
Log = Callable[[str], None]

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


def layer_sizes(scan: str, n: int, base: int) -> tuple[int, ...]:
    """The layer sizes of the scan ``scan`` at size ``n``.

    Parameters
    ----------
    scan : str
        A key of :data:`SCANS`: with or without a hidden layer, and which layers grow.
    n : int
        The size of the growing layers.
    base : int
        The size of the layers that do not grow.

    Returns
    -------
    tuple of int
        ``(n_in, n_out)`` for a linear scan, ``(n_in, n_hidden, n_out)`` otherwise.
    """
    hidden, growing = SCANS[scan]
    return tuple(n if i in growing else base for i in range(3 if hidden else 2))


def problem(scan: str, n: int, p: Mapping[str, Any], *seed: int, n_test: int = 256) -> StudentTeacher:
    """The student-teacher task of the scan at size ``n`` (``p["base_size"]`` for the layers that
    do not grow), seeded by ``seed``, the scan and ``n``."""
    rng = np.random.default_rng(np.random.SeedSequence([*seed, list(SCANS).index(scan), n]))
    return make_student_teacher(layer_sizes(scan, n, p["base_size"]), rng, n_test=n_test)


def loglog_slope(xs: Sequence[float], ys: Sequence[float | None]) -> float | None:
    """Least-squares slope of log y against log x over the finite positive points."""
    pairs = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None and np.isfinite(y) and y > 0 and x > 0]
    if len(pairs) < 2 or len({x for x, _ in pairs}) < 2:
        return None
    lx, ly = np.log([x for x, _ in pairs]), np.log([y for _, y in pairs])
    return float(np.polyfit(lx, ly, 1)[0])


def hold_expected_baseline(
    estimator: Learner, task: StudentTeacher, params, rng: np.random.Generator, trials: int = 512
) -> None:
    """Fix a running reward baseline at the mean cost of fresh trials at these weights: the
    value it has during learning (averaged over inputs), not one fitted to the fixed batch."""
    if isinstance(estimator, Reinforce) and estimator.baseline != "none":
        x, t = task.batch(rng, trials)
        h, _ = estimator.run(task.arch, params, x, 1, rng)
        estimator.hold_baseline(float(trial_costs(h[-1], t).mean()))


def measure_update_error(
    estimator: Learner, task: StudentTeacher, x, targets, draws: int, rng: np.random.Generator, chunk_floats: int
) -> dict[str, float]:
    """Single-trial updates at the student's initial weights, ``draws`` for each trial of
    ``(x, targets)``, against the gradient the learner is meant to follow and the true one.

    Returns
    -------
    dict
        ``normalized_variance`` (covariance trace over the squared norm of the objective
        gradient, both summed over the trials; for weight perturbation P + 1 whatever the
        trials), ``cosine`` (mean cosine to the objective gradient), and against the true
        gradient ``g`` of the squared error (:func:`~.estimators.true_gradient`), each summed
        over the trials and divided by the summed ``|g|^2``: ``variance`` (the same trace),
        ``bias2`` (``|E g_hat - g|^2``), ``nmse`` (``bias2 + variance``: the expected
        ``|g_hat - g|^2``), and ``cosine_true``.

    ``E g_hat`` of a reward-based estimator (:class:`~.estimators.GradientEstimator`) is the
    objective gradient it is unbiased for (exactly for REINFORCE, whose objective is the expected
    cost of the noisy network; for node and weight perturbation the gradient itself, up to
    O(sigma^2)), so its bias needs no sampling; for any other learner it is the mean of the
    draws. A learner whose draws are all the same (deterministic) has variance exactly 0.
    """
    arch, params = task.arch, task.student
    names = list(params)
    hold_expected_baseline(estimator, task, params, rng)
    k = estimator.n_samples
    trace_sum, norm2_sum, cosine_sum = 0.0, 0.0, 0.0
    bias2_sum, true2_sum, cosine_true_sum = 0.0, 0.0, 0.0
    for trial in range(len(x)):
        xi, ti = x[trial : trial + 1], targets[trial : trial + 1]
        aim = flatten(estimator.objective_gradient(arch, params, xi, ti), names)
        true = flatten(true_gradient(arch, params, xi, ti), names)
        norm, true_norm = float(np.linalg.norm(aim)), float(np.linalg.norm(true))
        per_chunk = max(1, chunk_floats // (aim.size * k))
        deviation_sum, deviation_sq, done, first, identical = np.zeros_like(aim), 0.0, 0, None, True
        while done < draws:
            m = min(per_chunk, draws - done)
            stacked = estimator.samples(arch, params, xi, ti, m * k, rng)
            estimates = flatten(stacked, names, lead=1).reshape(m, k, -1).mean(axis=1)
            deviation = estimates - aim  # exactly zero for an exact estimator
            first = estimates[0] if first is None else first
            identical = identical and bool(np.all(estimates == first))
            deviation_sum += deviation.sum(axis=0)
            deviation_sq += float(np.sum(deviation**2))
            sizes = np.linalg.norm(estimates, axis=1)
            for total, ref, ref_norm in ((0, aim, norm), (1, true, true_norm)):
                norms = sizes * ref_norm
                value = float(np.sum(np.divide(estimates @ ref, norms, out=np.zeros(m), where=norms > 0)))
                if total == 0:
                    cosine_sum += value
                else:
                    cosine_true_sum += value
            done += m
        spread = (
            0.0 if identical else max(0.0, (deviation_sq - float(deviation_sum @ deviation_sum) / draws) / (draws - 1))
        )
        trace_sum += spread
        norm2_sum += norm**2
        bias = (aim if isinstance(estimator, GradientEstimator) else aim + deviation_sum / draws) - true
        bias2_sum += float(bias @ bias)
        true2_sum += true_norm**2
    if isinstance(estimator, Reinforce):
        estimator.hold_baseline(None)
    return {
        "normalized_variance": trace_sum / norm2_sum,
        "cosine": cosine_sum / (draws * len(x)),
        "variance": trace_sum / true2_sum,
        "bias2": bias2_sum / true2_sum,
        "nmse": (bias2_sum + trace_sum) / true2_sum,
        "cosine_true": cosine_true_sum / (draws * len(x)),
    }


def measure_variance(
    estimator: Learner, task: StudentTeacher, x, targets, draws: int, rng: np.random.Generator, chunk_floats: int
) -> tuple[float, float]:
    """(normalized variance, mean cosine) of :func:`measure_update_error`: against the gradient
    the estimator is unbiased for."""
    out = measure_update_error(estimator, task, x, targets, draws, rng, chunk_floats)
    return out["normalized_variance"], out["cosine"]


#: the quantities :func:`variance_scan` records per learner, N and seed
MEASURES = ("normalized_variance", "cosine", "nmse", "bias2", "variance", "cosine_true")


def variance_scan(
    p: Mapping[str, Any], scan: str, seed: int, learners_for: LearnersFor, log: Log = print
) -> dict[str, dict[int, dict[str, list[float]]]]:
    """Per learner and N, the per-seed :data:`MEASURES` (settings ``p``: ``sizes``, ``base_size``,
    ``estimators`` and ``local_rules`` (the deterministic rules beside them, default none),
    ``variance.{seeds, trials, draws, max_floats, chunk_floats}``)."""
    v = p["variance"]
    results: dict[str, dict[int, dict[str, list[float]]]] = {}
    for n in p["sizes"]:
        for s in range(v["seeds"]):
            task = problem(scan, n, p, seed, s)
            rng = np.random.default_rng([seed, s, n, 1])
            x, targets = task.batch(rng, v["trials"])
            size = n_parameters(task.arch) * v["trials"]
            draws = int(np.clip(v["max_floats"] // size, 2, v["draws"]))
            names = [*p["estimators"], *p.get("local_rules", [])]
            for estimator in learners_for(names, scan, np.random.default_rng([seed, s, n, 3])):
                measured = measure_update_error(estimator, task, x, targets, draws, rng, v["chunk_floats"])
                point = results.setdefault(estimator.name, {}).setdefault(n, {k: [] for k in MEASURES})
                for key in MEASURES:
                    point[key].append(measured[key])
        log(
            f"variance {scan} N={n}: "
            + ", ".join(f"{name} {np.mean(r[n]['normalized_variance']):.3g}" for name, r in results.items())
        )
    return results


def learning_rate_sweep(
    run: Callable[[float, int], LearningRun],
    start: float,
    factor: float,
    cap: int,
    patience: int = 2,
    max_tries: int = 40,
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


def learning_point(
    p: Mapping[str, Any], scan: str, estimator: Learner, n: int, start: float, cap: int, seed: int, log: Log = print
) -> dict:
    """Tune the learning rate on a tuning seed, then time the measurement seeds at it."""
    lp = p["learning"]

    def run(lr: float, limit: int, s: int = 10_000) -> LearningRun:
        task = problem(scan, n, p, seed, s, n_test=lp["n_test"])
        return learn(
            task,
            estimator,
            lr,
            target=lp["target_fraction"] * task.loss(task.student),
            max_updates=limit,
            batch_size=lp["batch_size"],
            rng=np.random.default_rng([seed, s, n, 2]),
        )

    best_lr, tried = learning_rate_sweep(run, start, lp["lr_factor"], cap)
    point: dict = {
        "run": True,
        "censored": best_lr is None,
        "cap": cap,
        "sweep": [[lr, None if math.isinf(t) else t, d] for lr, t, d in tried],
    }
    if best_lr is None:
        log(f"learning {scan} {estimator.name} N={n}: no rate reached the target within {cap} updates")
        return point
    runs = [run(best_lr, lp["max_updates"], s) for s in range(lp["seeds"])]
    times = [r.time for r in runs]
    point.update(
        censored=bool(np.isinf(np.median(times))),
        lr=best_lr,
        times=times,
        tune_time=min(t for lr, t, _ in tried if lr == best_lr),
        curve={"updates": runs[0].updates, "loss": runs[0].loss},
    )
    log(f"learning {scan} {estimator.name} N={n}: lr {best_lr:.3g}, updates {np.round(times, 1).tolist()}")
    return point


def learning_scan(
    p: Mapping[str, Any], scan: str, seed: int, learners_for: LearnersFor, log: Log = print
) -> dict[str, dict[int, dict]]:
    """Per learner and N: tuned rate, learning times of the measurement seeds, a curve
    (settings ``p``: ``base_size`` and ``learning.*``).

    The sweep at each N starts above the best rate extrapolated from the smaller N, and its
    runs stop at ``cap_slack`` times the learning time of the slowest seed extrapolated from
    the smaller N (or at ``max_updates``). Once a size is censored, larger ones are not run (a
    larger network learns no faster).
    """
    lp = p["learning"]
    results: dict[str, dict[int, dict]] = {}
    names = [*lp["estimators"], *lp.get("local_rules", [])]
    for name in [learner.name for learner in learners_for(names, scan, None)]:
        by_n = results.setdefault(name, {})
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
            cap = (
                lp["max_updates"]
                if predicted is None
                else int(min(lp["max_updates"], math.ceil(lp["cap_slack"] * predicted)))
            )
            estimator = learners_for([name], scan, np.random.default_rng([seed, n, 3]))[0]
            by_n[n] = learning_point(p, scan, estimator, n, start, cap, seed, log)
            censored = by_n[n]["censored"]
            if not censored:  # the slowest seed that got there sets the next cap
                rates.append((n, by_n[n]["lr"]))
                reached = [t for t in by_n[n]["times"] + [by_n[n]["tune_time"]] if np.isfinite(t)]
                times.append((n, max(reached)))
    return results


def noise_dimension(name: str, sizes: tuple[int, ...]) -> int | None:
    """How many independent noise sources one trial of estimator ``name`` draws."""
    return make_learner(name).dimension(Architecture(sizes))


def log_interval(values: Sequence[float], confidence: float) -> tuple[float, list[float | None]]:
    """The geometric mean of positive ``values`` (seeds) and its confidence interval, computed
    on their logarithms (the interval of a quantity drawn on a log axis: it never reaches 0).
    All zero (a deterministic rule's variance): 0 and [0, 0]; a single value: no interval."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=float)
    if v.size and np.all(v == 0):
        return 0.0, [0.0, 0.0]
    v = v[v > 0]
    if not v.size:
        return float("nan"), [None, None]
    mean, low, high = mean_confidence_interval(np.log(v), confidence)
    bounds = [None if np.isnan(b) else float(np.exp(b)) for b in (low, high)]
    return float(np.exp(mean)), bounds


def summarise_variance(p: dict, scan: str, raw: dict, confidence: float) -> dict:
    """Per learner and N: means (arithmetic, as measured) with t intervals (``*_ci``) of the
    normalized variance and both cosines; intervals in log space (``*_log_ci``, around the
    geometric mean) of the quantities drawn on log axes (normalized variance, nmse, bias2,
    variance); log-log slopes against N and against the noise dimension."""
    sizes = p["sizes"]
    keys = (
        "nvar",
        "nvar_ci",
        "nvar_log_ci",
        "cos",
        "cos_ci",
        "cos_true",
        "cos_true_ci",
        "nmse",
        "nmse_log_ci",
        "bias2",
        "bias2_log_ci",
        "var",
        "var_log_ci",
        "slope",
        "slope_dim",
        "theory",
        "nmse_slope",
    )
    out: dict = {key: {} for key in keys}
    for name, by_n in raw.items():
        for key, measure in (
            ("nvar", "normalized_variance"),
            ("cos", "cosine"),
            ("cos_true", "cosine_true"),
            ("nmse", "nmse"),
            ("bias2", "bias2"),
            ("var", "variance"),
        ):
            if measure not in by_n[sizes[0]]:
                continue
            stats_n = {n: mean_confidence_interval(by_n[n][measure], confidence) for n in sizes}
            out[key][name] = {str(n): stats_n[n][0] for n in sizes}
            if key.startswith("cos"):
                out[f"{key}_ci"][name] = {str(n): [stats_n[n][1], stats_n[n][2]] for n in sizes}
            else:
                out[f"{key}_log_ci"][name] = {str(n): log_interval(by_n[n][measure], confidence)[1] for n in sizes}
        out["nvar_ci"][name] = {
            str(n): list(mean_confidence_interval(by_n[n]["normalized_variance"], confidence)[1:]) for n in sizes
        }
        if name in out["nmse"]:
            out["nmse_slope"][name] = loglog_slope(sizes, [out["nmse"][name][str(n)] for n in sizes])
        means = [out["nvar"][name][str(n)] for n in sizes]
        dims = [noise_dimension(name, layer_sizes(scan, n, p["base_size"])) for n in sizes]
        if all(m == 0 for m in means):  # an exact estimator: zero at every N, flat
            out["slope"][name] = out["slope_dim"][name] = out["theory"][name] = 0.0
            continue
        out["slope"][name] = loglog_slope(sizes, means)
        out["slope_dim"][name] = loglog_slope(dims, means) if len(set(dims)) > 1 else None
        # theory (one trial): P + 1 for weight perturbation, n_units + 1 for node perturbation
        # of a linear network; none in closed form for REINFORCE
        out["theory"][name] = (
            loglog_slope(sizes, [d + 1 for d in dims]) if name in ("weight_perturbation", "node_perturbation") else None
        )
    return out


def update_error_metrics(variance: Mapping[str, dict]) -> dict[str, Any]:
    """The metrics of the bias-variance measurement, per scan, from :func:`summarise_variance`'s
    summaries: ``update_{nmse, bias2, variance, cosine_true}_by_n``, their intervals
    (``*_log_ci_by_n`` in log space, ``update_cosine_true_ci_by_n``), the nmse slopes."""
    keys = (("nmse", "nmse"), ("bias2", "bias2"), ("variance", "var"))
    return {
        **{
            f"update_{name}_by_n": {s: v[key] for s, v in variance.items()}
            for name, key in (*keys, ("cosine_true", "cos_true"))
        },
        **{f"update_{name}_log_ci_by_n": {s: v[f"{key}_log_ci"] for s, v in variance.items()} for name, key in keys},
        "update_cosine_true_ci_by_n": {s: v["cos_true_ci"] for s, v in variance.items()},
        "update_nmse_slope_by_learner": {s: v["nmse_slope"] for s, v in variance.items()},
        "update_error_against": "the true gradient of the squared error (backprop's), per trial, summed over "
        "trials and divided by the summed |g|^2; bias2 + variance = nmse",
    }


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
    out: dict = {
        key: {} for key in ("time", "ci", "log_ci", "lr", "slope", "ratio", "ratio_slope", "werfel", "werfel_slope")
    }
    for name, by_n in raw.items():
        stats_n = {n: None if by_n[n]["censored"] else learning_time(by_n[n]["times"], confidence) for n in sizes}
        out["time"][name] = {str(n): s[0] if s else None for n, s in stats_n.items()}
        out["ci"][name] = {str(n): s[1] if s else None for n, s in stats_n.items()}
        out["log_ci"][name] = {
            str(n): None
            if by_n[n]["censored"] or not all(np.isfinite(by_n[n]["times"]))
            else log_interval(by_n[n]["times"], confidence)[1]
            for n in sizes
        }
        out["lr"][name] = {str(n): by_n[n].get("lr") for n in sizes}
        out["slope"][name] = loglog_slope(sizes, [s[0] if s else None for s in stats_n.values()])
    gd = out["time"].get("backprop", {})
    for name, times in out["time"].items():
        ratio = {n: t / gd[n] if t is not None and gd.get(n) else None for n, t in times.items()}
        out["ratio"][name] = ratio
        out["ratio_slope"][name] = loglog_slope(sizes, list(ratio.values()))
    for name, factor in (
        ("node_perturbation", lambda n_in, n_out: n_out),
        ("weight_perturbation", lambda n_in, n_out: n_in * n_out),
    ):
        values = [factor(s[0], s[-1]) for s in (layer_sizes(scan, n, p["base_size"]) for n in sizes)]
        out["werfel"][name] = dict(zip(map(str, sizes), values, strict=True))
        out["werfel_slope"][name] = loglog_slope(sizes, values) if len(set(values)) > 1 else 0.0
    return out
