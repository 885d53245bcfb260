"""Credit assignment as the network grows: reward-based estimates against local rules, bias and variance.

Reward-based learning estimates the gradient from a scalar reward; the claim to measure is
that the estimate's variance, and so the learning time, grows with the size of the network,
while the true gradient (backprop) and local rules do not pay that price. The local rules that
avoid weight transport, feedback alignment (Lillicrap et al. 2016), sign symmetry (Liao, Leibo
& Poggio 2016) and direct feedback alignment (Nokland 2016), are measured beside the estimators
on the same networks and axes (``local_rules``; networks with a hidden layer: without one they
are backprop): every learner's update ``g_hat`` is scored against the true gradient ``g`` of
the loss by ``E|g_hat - g|^2 / |g|^2``, split into bias^2 and variance (a deterministic rule has
variance 0 and all its error in bias; a reward-based estimate, nearly unbiased, has nearly all
of it in variance), by its cosine to ``g``, and by learning time, all against N.

NumPy rate networks (:mod:`snnlearn.ratenet.estimators`, measured by
:mod:`snnlearn.ratenet.variance`): student-teacher regression (Werfel, Xie &
Seung 2005, Neural Comput 17:2699) with linear and one-hidden-layer (sigmoid) networks, sizes N
from 8 to 1024, all layers scaled together (``*_all``) or one varied alone with the others at
``base_size``. Estimators: backprop; weight perturbation; node perturbation; REINFORCE
(Williams 1992) with Gaussian or Bernoulli-logistic hidden units, without and with a running
reward baseline. Per estimator and N, over several seeds (mean and confidence interval):

- ``normalized_variance_by_n``: trace of the covariance of single-trial estimates over many
  draws at the initial weights (summed over several trials), divided by the squared norm of
  the true gradient (summed likewise). Theory for weight perturbation: P + 1 (P parameters);
  for node perturbation on a linear network with one trial: n_out + 1.
  ``variance_slope_by_estimator``: log-log slope against N (theory in
  ``variance_slope_theory_by_estimator``); ``variance_slope_vs_dimension_by_estimator``: against
  the number of perturbed weights (weight perturbation) or units (the others), about 1.
- ``cosine_to_true_gradient``: mean cosine between an estimate and the gradient it estimates
  (for the local rules, the true gradient).
- ``update_nmse_by_n``, ``update_bias2_by_n``, ``update_variance_by_n`` (each with ``*_log_ci_by_n``,
  intervals computed in log space), ``update_cosine_true_by_n`` (with ``*_ci_by_n``): against the
  true gradient of the squared error, every learner; ``update_nmse_slope_by_learner``.
- ``learning_time_by_n``: updates (one trial each, as Werfel et al.) until the generalisation
  loss falls to ``target_fraction`` of its start, at the best learning rate of a sweep on a
  separate tuning seed, median over seeds (``learning_time_ci_by_n``: the interval of the
  mean, or [fastest, null] when a seed did not get there); ``null`` where no rate reached it
  within the cap (``max_updates``, or ``cap_slack`` times the time extrapolated from smaller N;
  censored: larger N are then not run; ``learning_runs.json`` has every sweep).
  ``learning_time_slope_by_estimator``: log-log slope over uncensored N.
  Werfel et al.: node perturbation is slower than gradient descent by a factor n_out, weight
  perturbation by a further factor n_in (``learning_time_ratio_by_n`` beside
  ``werfel_ratio_by_n``).

The spiking counterpart (trials to criterion against the number of synapses): ``reward_scaling``.

Figures: normalized variance against N (log-log, fitted slopes in the legend), cosine of every
learner's update to the true gradient against N (linear axis), bias_variance.png (error,
bias^2 and variance against N for every learner), learning time against N, learning curves at
the smallest and largest N. Sizes are integer ticks, bands of log-axis quantities are intervals
computed in log space. The full run takes over half an hour of CPU time; ``--quick`` half a minute.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from snnlearn.cli import script_main
from snnlearn.errors import ConfigError, one_of
from snnlearn.experiment import RunContext
from snnlearn.ratenet import Architecture, Learner, make_learner
from snnlearn.ratenet.estimators import ESTIMATORS, n_parameters, n_units, needs_hidden_layer
from snnlearn.ratenet.variance import (
    SCANS,
    layer_sizes,
    learning_scan,
    summarise_learning,
    summarise_variance,
    update_error_metrics,
    variance_scan,
)
from snnlearn.ratenet.variance_plots import plot_bias_variance, plot_by_n, plot_learning_curves

LOCAL_RULES = ("feedback_alignment", "sign_symmetry", "direct_feedback_alignment")  #: beside the estimators

#: where the metrics are kept for ``--resume``
RATE_METRICS = "rate_metrics.json"

PARAMS = {
    "scans": list(SCANS),
    "sizes": [8, 16, 32, 64, 128, 256, 512, 1024],
    "base_size": 8,  # size of the layers that do not grow in a single-layer scan
    "estimators": list(ESTIMATORS),
    "local_rules": list(LOCAL_RULES),  # deterministic rules beside them (hidden-layer scans)
    "perturbation_sigma": 1e-5,  # weight and node perturbation size
    "reinforce_sigma": 0.1,  # standard deviation of the Gaussian units
    "baseline_trials": 10.0,  # time constant of the running reward baseline, in trials
    "n_samples": 1,  # perturbation samples averaged per estimate
    "confidence": 0.95,
    "variance": {
        "seeds": 4,  # teachers / initial students / batches per point
        "trials": 8,  # trials (inputs) per seed, each estimated from one trial
        "draws": 32,  # estimates per trial at the fixed weight state
        "max_floats": 100_000_000,  # bound on draws x parameters per estimator and seed
        "chunk_floats": 16_000_000,  # bound on draws x parameters held at once
    },
    "learning": {
        "scans": ["linear_all", "linear_n_in", "linear_n_out", "hidden_all"],
        "sizes": [4, 8, 16, 32, 64, 128, 256, 512, 1024],
        "estimators": list(ESTIMATORS),
        "local_rules": list(LOCAL_RULES),
        "seeds": 3,  # measurement seeds at the tuned learning rate
        "batch_size": 1,  # trials per update (online learning)
        "target_fraction": 0.1,  # loss to reach, as a fraction of the initial loss
        "max_updates": 40_000,  # cap; a point that reaches it is censored
        "lr_factor": 2.0,  # spacing of the learning-rate sweep
        "cap_slack": 10.0,  # sweep runs stop at this times the extrapolated learning time
        "first_lr": 1.0,  # sweep start at the smallest N (a diverging rate is cheap)
        "n_test": 128,  # test trials for the loss of a hidden-layer network
    },
}

QUICK = {
    "scans": ["linear_all", "linear_n_out", "hidden_all"],
    "sizes": [4, 8, 16, 32],
    "base_size": 4,
    "variance.seeds": 2,
    "variance.draws": 16,
    "learning.scans": ["linear_all", "hidden_all"],
    "learning.sizes": [4, 8],
    "learning.estimators": ["backprop", "node_perturbation", "weight_perturbation"],
    "learning.local_rules": ["feedback_alignment"],
    "learning.seeds": 2,
    "learning.max_updates": 5000,
}


def check(ctx: RunContext) -> None:
    p = ctx.params
    for field, names, allowed in (
        ("scans", p["scans"], SCANS),
        ("learning.scans", p["learning"]["scans"], SCANS),
        ("estimators", p["estimators"], ESTIMATORS),
        ("learning.estimators", p["learning"]["estimators"], ESTIMATORS),
        ("local_rules", p["local_rules"], LOCAL_RULES),
        ("learning.local_rules", p["learning"]["local_rules"], LOCAL_RULES),
    ):
        unknown = sorted(set(names) - set(allowed))
        if unknown:
            raise ConfigError(field, f"unknown name {unknown[0]!r}", one_of(allowed))
    for field, sizes in (("sizes", p["sizes"]), ("learning.sizes", p["learning"]["sizes"])):
        if not sizes or min(sizes) < 1 or sorted(set(sizes)) != list(sizes):
            raise ConfigError(field, f"got {sizes}", "expected increasing sizes >= 1")
    if p["variance"]["draws"] < 2 or p["variance"]["seeds"] < 1 or p["learning"]["seeds"] < 1:
        raise ConfigError("variance.draws", "too few draws or seeds", "expected draws >= 2 and seeds >= 1")
    if not 0 < p["learning"]["target_fraction"] < 1:
        raise ConfigError(
            "learning.target_fraction", f"got {p['learning']['target_fraction']}", "expected a fraction in (0, 1)"
        )


def learner_options(name: str, p: dict) -> dict:
    """The options of learner ``name`` from the run's settings (only those it takes)."""
    if name == "backprop":
        return {}
    if "perturbation" in name:
        return {"n_samples": p["n_samples"], "sigma": p["perturbation_sigma"]}
    options = {"n_samples": p["n_samples"], "sigma": p["reinforce_sigma"]}
    return {**options, "baseline_trials": p["baseline_trials"]} if name.endswith("_baseline") else options


def learners_for(p: dict):
    """``(names, scan, rng) ->`` the learners of ``names`` that apply to the scan's network
    (Bernoulli units are hidden units; the local rules need a hidden layer to differ from
    backprop), built from the run's settings; ``rng`` draws the local rules' feedback."""

    def make(names: Sequence[str], scan: str, rng=None) -> list[Learner]:
        hidden, _ = SCANS[scan]
        return [
            make_learner(name, rng=rng) if name in LOCAL_RULES else make_learner(name, **learner_options(name, p))
            for name in names
            if hidden or not (needs_hidden_layer(name) or name in LOCAL_RULES)
        ]

    return make


def rate_half(ctx: RunContext) -> dict:
    p = ctx.params
    confidence = p["confidence"]
    variance, learning_raw, learning, make = {}, {}, {}, learners_for(p)
    for scan in p["scans"]:
        variance[scan] = summarise_variance(p, scan, variance_scan(p, scan, ctx.seed, make, ctx.log), confidence)
        archs = [Architecture(layer_sizes(scan, n, p["base_size"])) for n in p["sizes"]]
        variance[scan]["theory_wp"] = [n_parameters(a) + 1 for a in archs]
        variance[scan]["theory_np"] = [n_units(a) + 1 for a in archs]
    for scan in p["learning"]["scans"]:
        learning_raw[scan] = learning_scan(p, scan, ctx.seed, make, ctx.log)
        learning[scan] = summarise_learning(p, scan, learning_raw[scan], confidence)
    sizes, lsizes = p["sizes"], p["learning"]["sizes"]
    if variance:
        ctx.savefig(
            plot_by_n(
                variance,
                "nvar",
                "nvar_log_ci",
                sizes,
                "normalized variance (log axis)",
                "trace Cov / |grad|^2 (legend: log-log slope against N)",
                "slope",
                theory=True,
            ),
            "normalized_variance.png",
        )
        ctx.savefig(
            plot_by_n(
                variance,
                "cos_true",
                "cos_true_ci",
                sizes,
                "cosine to the true gradient (mean)",
                "mean cosine of one update to the true gradient",
                logy=False,
            ),
            "cosine.png",
        )
        ctx.savefig(plot_bias_variance(variance, sizes), "bias_variance.png")
    if learning:
        ctx.savefig(
            plot_by_n(
                learning,
                "time",
                "log_ci",
                lsizes,
                "updates to target (trials, log axis)",
                "learning time at the best rate (legend: slope)",
                "slope",
                count_max=p["learning"]["max_updates"],
            ),
            "learning_time.png",
        )
        ctx.savefig(plot_learning_curves(learning_raw, lsizes, list(learning)), "learning_curves.png")
    ctx.save_json(
        "learning_runs.json",
        {
            scan: {name: {str(n): point for n, point in by_n.items()} for name, by_n in raw.items()}
            for scan, raw in learning_raw.items()
        },
    )
    return {
        "normalized_variance_by_n": {s: v["nvar"] for s, v in variance.items()},
        "normalized_variance_ci_by_n": {s: v["nvar_ci"] for s, v in variance.items()},
        "normalized_variance_theory_by_n": {
            s: {
                "weight_perturbation": dict(zip(map(str, sizes), v["theory_wp"], strict=True)),
                "node_perturbation": dict(zip(map(str, sizes), v["theory_np"], strict=True)),
            }
            for s, v in variance.items()
        },
        "variance_slope_by_estimator": {s: v["slope"] for s, v in variance.items()},
        "variance_slope_theory_by_estimator": {s: v["theory"] for s, v in variance.items()},
        "variance_slope_vs_dimension_by_estimator": {s: v["slope_dim"] for s, v in variance.items()},
        "cosine_to_true_gradient": {s: v["cos"] for s, v in variance.items()},
        "cosine_ci_by_n": {s: v["cos_ci"] for s, v in variance.items()},
        "normalized_variance_log_ci_by_n": {s: v["nvar_log_ci"] for s, v in variance.items()},
        **update_error_metrics(variance),
        "learning_time_by_n": {s: v["time"] for s, v in learning.items()},
        "learning_time_ci_by_n": {s: v["ci"] for s, v in learning.items()},
        "learning_time_log_ci_by_n": {s: v["log_ci"] for s, v in learning.items()},
        "learning_time_censored_at": p["learning"]["max_updates"],
        "best_learning_rate_by_n": {s: v["lr"] for s, v in learning.items()},
        "learning_time_slope_by_estimator": {s: v["slope"] for s, v in learning.items()},
        "learning_time_ratio_by_n": {s: v["ratio"] for s, v in learning.items()},
        "learning_time_ratio_slope_by_estimator": {s: v["ratio_slope"] for s, v in learning.items()},
        "werfel_ratio_by_n": {s: v["werfel"] for s, v in learning.items()},
        "werfel_ratio_slope_by_estimator": {s: v["werfel_slope"] for s, v in learning.items()},
        "n_parameters_by_n": {
            s: {str(n): n_parameters(Architecture(layer_sizes(s, n, p["base_size"]))) for n in sizes}
            for s in p["scans"]
        },
    }


def run(ctx: RunContext) -> dict:
    """The measurements (kept in ``rate_metrics.json``, which ``--resume`` reuses)."""
    saved = ctx.path(RATE_METRICS)
    if ctx.resume and saved.is_file():
        ctx.log(f"metrics taken from {saved}")
        return json.loads(saved.read_text())
    started = time.process_time()
    metrics = rate_half(ctx)
    metrics["rate_half_cpu_seconds"] = round(time.process_time() - started, 1)
    ctx.save_json(RATE_METRICS, metrics)
    return metrics


if __name__ == "__main__":
    script_main(__file__)
