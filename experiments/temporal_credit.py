"""Credit assignment through time in a recurrent spiking network: BPTT, e-prop, truncated BPTT, reward.

Source: Bellec et al. (2020) "A solution to the learning dilemma for recurrent networks of spiking
neurons", Nat Commun 11:3625, Fig. 3 (cue accumulation): 50 LIF + 50 ALIF neurons, 40 inputs, 1 ms
steps; e-prop comes close to BPTT with ALIF neurons, and a network of LIF neurons only fails at long
delays. The first seed essay: BPTT must store the whole trial, a local online rule need not.

Every learner trains identical networks (same initial weights, same trials, same readout) on the
cue-accumulation task (:mod:`snnlearn.recurrent_snn.cue_task`) at each delay, for ``seeds`` seeds:
surrogate-gradient BPTT, e-prop with symmetric and random feedback, node perturbation from one
scalar reward per trial (noise block-correlated in time, clean run as the per-trial baseline), and
truncated BPTT at each of ``truncations``; BPTT and e-prop again with LIF neurons only.
Targets (a NumPy prototype, one seed): BPTT 0.98-0.99 at 300 and 1200 ms delay within 40-60
iterations of 64 trials; e-prop 0.90-0.94 after 150-200; random e-prop 0.85; node perturbation at
chance; LIF-only BPTT at chance at 1200 ms; e-prop/BPTT cosine 0.94 at the start, 0.5-0.6 later.
The full run (3 seeds, 14 learner-delay pairs, 1,920 trials each) took 45 min on 2 busy shared cores.

Metrics: ``accuracy_<learner>`` (mean over seeds of the final test accuracy at the longest delay;
all delays with 95% intervals in ``accuracy``), learning curves against training trials, bytes
stored against T (``memory_slope_bptt``, ``memory_slope_eprop``: bytes per step, e-prop in its online
trace form), ``eprop_bptt_cosine`` (of the e-prop and BPTT updates of ``W_in``, ``W_rec`` on the
training batch, mean over training), and seconds per update.
"""

from __future__ import annotations

import time

import numpy as np
from threadpoolctl import threadpool_limits

from snnlearn.analysis import mean_confidence_interval
from snnlearn.cli import script_main
from snnlearn.experiment import RunContext
from snnlearn.figures import recurrent as figures
from snnlearn.ratenet import make_learner, make_loss
from snnlearn.ratenet.optim import Adam, ClipNorm
from snnlearn.recurrent_snn import CueTask, SpikingArchitecture, accuracy, init_params, simulate
from snnlearn.recurrent_snn.bptt import surrogate_gradient
from snnlearn.recurrent_snn.memory import memory_against_steps, memory_learners, slopes

PARAMS = {
    "task": {"n_cues": 7, "cue_ms": 100.0, "gap_ms": 50.0, "recall_ms": 150.0, "cue_rate": 40.0, "noise_rate": 10.0},
    "delays_ms": [300.0, 1200.0],
    "network": {"n_lif": 50, "n_alif": 50, "tau_m": 20.0, "tau_a": 2000.0, "tau_out": 20.0, "thr": 0.6, "gamma": 0.3},
    "init": {"w_in": 1.0, "w_rec": 0.5, "w_out": 1.0},
    "learners": ["surrogate_bptt", "eprop", "eprop_random", "reward_node_perturbation", "truncated_bptt"],
    "truncations": [50, 200],  # steps, truncated_bptt only
    "lif_only": ["surrogate_bptt", "eprop"],  # also trained with LIF neurons only ...
    "lif_only_delays_ms": [1200.0],  # ... at these delays
    "node_perturbation": {"sigma": 0.1, "sigma_out": 0.1, "block": 50},  # best alignment of a small sweep
    "seeds": 3,
    "iterations": 60,
    "batch_size": 32,
    "lr": 0.005,
    "lr_by_learner": {},
    "clip_norm": 5.0,
    "eval_every": 10,
    "test_trials": 100,
    "memory": {"steps": [100, 200, 400, 800, 1600], "batch": 16},  # steps [] skips the measurement
    "blas_threads": 1,
}

QUICK = {
    "task.n_cues": 3,
    "task.cue_ms": 50.0,
    "task.gap_ms": 25.0,
    "task.recall_ms": 50.0,
    "delays_ms": [50.0, 200.0],
    "network.n_lif": 20,
    "network.n_alif": 20,
    "truncations": [25],
    "lif_only_delays_ms": [200.0],
    "seeds": 2,
    "iterations": 30,
    "batch_size": 16,
    "lr": 0.01,
    "eval_every": 4,
    "test_trials": 32,
    "memory.steps": [50, 100, 200],
    "memory.batch": 4,
}


def variants(p: dict) -> list[tuple[str, str, dict, bool]]:
    """(label, registered learner, options, LIF only) of every learner trained."""
    out = []
    for name in p["learners"]:
        if name == "truncated_bptt":
            out += [(f"truncated_bptt_{k}", name, {"truncation": k}, False) for k in p["truncations"]]
        else:
            out.append((name, name, dict(p["node_perturbation"]) if name == "reward_node_perturbation" else {}, False))
    return out + [(f"{name}_lif_only", name, {}, True) for name in p["lif_only"]]


def train_one(
    p: dict,
    arch: SpikingArchitecture,
    task: CueTask,
    learner_name: str,
    options: dict,
    label: str,
    seed: list[int],
    test: tuple,
) -> dict:
    """Train one network from its seed's initial weights on its seed's trials; the curve, the final
    accuracy, the seconds per update and (e-prop) the cosine to BPTT's update on each batch."""
    params = init_params(arch, np.random.default_rng([*seed, 1]), **p["init"])
    learner = make_learner(learner_name, rng=np.random.default_rng([*seed, 2]), **options)
    optimizer = ClipNorm(Adam(p["lr_by_learner"].get(label, p["lr"])), p["clip_norm"])
    data, noise = np.random.default_rng([*seed, 3]), np.random.default_rng([*seed, 4])
    loss = make_loss("softmax_cross_entropy")
    curve, cosines, seconds = [(0, accuracy(arch, params, *test))], [], 0.0
    for it in range(1, p["iterations"] + 1):
        x, labels, _ = task.sample(p["batch_size"], data)
        began = time.perf_counter()
        grads = learner.update(arch, params, x, labels, loss, noise)
        seconds += time.perf_counter() - began
        if learner_name == "eprop" and (it - 1) % p["eval_every"] == 0:
            exact = surrogate_gradient(arch, params, x, labels, loss)
            a, b = (np.concatenate([g[k].ravel() for k in ("W_in", "W_rec")]) for g in (grads, exact))
            cosines.append((it - 1, float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-30))))
        optimizer.step(params, grads)
        if it % p["eval_every"] == 0 or it == p["iterations"]:
            curve.append((it * p["batch_size"], accuracy(arch, params, *test)))
    return {
        "curve": curve,
        "accuracy": curve[-1][1],
        "seconds_per_update": seconds / p["iterations"],
        "cosine": cosines,
        "params": params,
    }


def run(ctx: RunContext) -> dict:
    p = ctx.params
    results: dict[str, dict[str, list[dict]]] = {}
    trained = {}
    with threadpool_limits(p["blas_threads"]):
        for d, delay in enumerate(p["delays_ms"]):
            task = CueTask(delay_ms=delay, **p["task"])
            base = SpikingArchitecture(n_in=task.n_in, n_recall=task.n_recall, **p["network"])
            for label, name, options, lif in variants(p):
                if lif and delay not in p["lif_only_delays_ms"]:
                    continue
                arch = base.replace(n_lif=base.n_rec, n_alif=0) if lif else base
                runs = results.setdefault(label, {}).setdefault(str(delay), [])
                for s in range(p["seeds"]):
                    seed = [ctx.seed, s, d]
                    x, y, _ = task.sample(p["test_trials"], np.random.default_rng([*seed, 5]))
                    out = train_one(p, arch, task, name, options, label, seed, (x, y))
                    trained[(label, delay)] = (arch, task, out.pop("params"))
                    runs.append(out)
                    ctx.log(
                        f"delay {delay:g} ms, {label}, seed {s}: accuracy {out['accuracy']:.3f}, "
                        f"{out['seconds_per_update']:.3f} s/update"
                    )
        memory = measure_memory(ctx, base) if p["memory"]["steps"] else {"bytes": {}, "slopes": {}}
    longest = str(p["delays_ms"][-1])
    acc_stats = {
        label: {delay: summary([r["accuracy"] for r in runs]) for delay, runs in by.items()}
        for label, by in results.items()
    }
    cos = [c for by in results.get("eprop", {}).values() for r in by for _, c in r["cosine"]]
    first = [r["cosine"][0][1] for by in results.get("eprop", {}).values() for r in by]
    plot_curves(ctx, results), plot_alignment(ctx, results), memory["bytes"] and plot_memory(ctx, memory["bytes"])
    if ("surrogate_bptt", p["delays_ms"][-1]) in trained:
        plot_raster(ctx, *trained[("surrogate_bptt", p["delays_ms"][-1])], np.random.default_rng([ctx.seed, 9]))
    metrics = {
        f"accuracy_{key}": acc_stats[label][longest]["mean"]
        for key, label in (
            ("bptt", "surrogate_bptt"),
            ("eprop", "eprop"),
            ("eprop_random", "eprop_random"),
            ("reward", "reward_node_perturbation"),
            ("lif_only_bptt", "surrogate_bptt_lif_only"),
            ("lif_only_eprop", "eprop_lif_only"),
        )
        if longest in acc_stats.get(label, {})
    }
    return {
        **metrics,
        **{
            f"memory_slope_{k}": memory["slopes"].get(name, {}).get("bytes_per_step")
            for k, name in (("bptt", "surrogate_bptt"), ("eprop", "eprop"), ("eprop_random", "eprop_random"))
        },
        "memory": memory,
        "eprop_bptt_cosine": float(np.mean(cos)) if cos else None,
        "eprop_bptt_cosine_initial": float(np.mean(first)) if first else None,
        "accuracy": acc_stats,
        "seconds_per_update": {
            label: {delay: float(np.mean([r["seconds_per_update"] for r in runs])) for delay, runs in by.items()}
            for label, by in results.items()
        },
        "curves": {
            label: {delay: [r["curve"] for r in runs] for delay, runs in by.items()} for label, by in results.items()
        },
        "cosine_curves": {delay: [r["cosine"] for r in runs] for delay, runs in results.get("eprop", {}).items()},
        "trials_per_learner": p["iterations"] * p["batch_size"],
        "longest_delay_ms": p["delays_ms"][-1],
        "trial_steps": {str(d): CueTask(delay_ms=d, **p["task"]).n_steps for d in p["delays_ms"]},
    }


def summary(values: list[float]) -> dict:
    return dict(zip(("mean", "ci95_low", "ci95_high"), mean_confidence_interval(values), strict=True), values=values)


def measure_memory(ctx: RunContext, arch: SpikingArchitecture) -> dict:
    m = ctx.params["memory"]
    learners = memory_learners(ctx.params["truncations"][0] if ctx.params["truncations"] else 100)
    arch = arch.replace(n_recall=min(arch.n_recall, min(m["steps"])))
    curves = memory_against_steps(
        arch, learners, m["steps"], m["batch"], make_loss("softmax_cross_entropy"), np.random.default_rng([ctx.seed, 7])
    )
    ctx.log("memory, bytes per step: " + ", ".join(f"{k} {slopes(v)['bytes_per_step']:.0f}" for k, v in curves.items()))
    return {"bytes": curves, "slopes": {k: slopes(v) for k, v in curves.items()}, "batch": m["batch"]}


def plot_curves(ctx: RunContext, results: dict) -> None:
    p = ctx.params
    ctx.savefig(
        figures.cue_learning_curves(results, p["delays_ms"]),
        "learning_curves.png",
        note=f"{p['seeds']} seeds per learner; band: 95% interval over seeds (from 3 seeds on; "
        "fewer: each seed drawn thin).",
    )


def plot_memory(ctx: RunContext, curves: dict) -> None:
    ctx.savefig(
        figures.memory_against_steps(curves, ctx.params["memory"]["batch"]),
        "memory_vs_T.png",
        note="Legend: bytes per step of the fitted line; e-prop measured in its online trace form.",
    )


def plot_alignment(ctx: RunContext, results: dict) -> None:
    ctx.savefig(
        figures.alignment_over_training(results.get("eprop", {}), ctx.params["batch_size"]), "gradient_alignment.png"
    )


def plot_raster(
    ctx: RunContext, arch: SpikingArchitecture, task: CueTask, params: dict, rng: np.random.Generator
) -> None:
    x, labels, sides = task.sample(1, rng)
    ctx.savefig(figures.cue_raster(arch, task, x, labels, sides, simulate(arch, params, x)), "raster.png")


if __name__ == "__main__":
    script_main(__file__)
