"""Backprop through a hard threshold: the gradient below a step is exactly 0; a surrogate fixes it.

Source: the first seed essay ("Rethinking Backpropagation", 2024): backprop needs phi'(z), and
when phi is not differentiable "the entire process grinds to a halt". The surrogate derivative is
SuperSpike's fast sigmoid, 1/(1 + beta|z|)^2 (Zenke & Ganguli 2018, Neural Computation 30:1514).

One network (input - hidden - softmax readout) is trained with the hidden activation set to
sigmoid, ReLU, a hard step (its true derivative is 0 almost everywhere), and the hard step with
the surrogate derivative. Expected: the step's hidden gradient norm and hidden weight change are
exactly 0 (only the readout learns, on fixed random binary features); the surrogate step learns
its hidden layer and approaches the smooth activations.

The same holds for a spiking neuron: the spike count of a Brian2 LIF neuron driven by a fixed
input spike train through a weight w is a staircase in w, so its finite-difference derivative
is 0 almost everywhere and (jump size)/dw where the count changes (unbounded as dw -> 0: a sum
of Dirac deltas, not a derivative). One simulation sweeps all w at once: N
independent copies of the neuron, each with its own w.
"""

from __future__ import annotations

import numpy as np

from snnlearn.cli import script_main
from snnlearn.experiment import RunContext
from snnlearn.figures.learning import staircase as staircase_figure
from snnlearn.figures.learning import threshold_learning
from snnlearn.ratenet import (
    Architecture,
    init_params,
    load_data,
    make_activation,
    make_learner,
    make_loss,
    make_optimizer,
    resolve_data_path,
    train,
)

PARAMS = {
    "data": {"path": "../shared/data/mnist", "train": "0:8000", "test": "8000:10000"},
    "activations": ["sigmoid", "relu", "step", "step_surrogate"],
    "hidden": 100,
    "surrogate_beta": 5.0,
    "init": "xavier",
    "optimizer": "adam",
    "lr": 0.002,
    "epochs": 20,
    "batch_size": 32,
    "lif": {
        "n_weights": 2000,  # copies of the neuron, one per weight value
        "w_max_mV": 20.0,  # weights swept over (0, w_max]
        "input_rate_Hz": 100.0,  # fixed Poisson input spike train, drawn once
        "duration_ms": 200.0,
        "tau_m_ms": 20.0,
        "v_rest_mV": -70.0,
        "v_threshold_mV": -54.0,
        "v_reset_mV": -70.0,
        "refractory_ms": 2.0,
        "coarse_factors": [1, 10, 100],  # finite differences over dw, 10 dw, 100 dw
    },
}

QUICK = {"data.path": "digits", "hidden": 32, "epochs": 4, "lif.n_weights": 400, "lif.duration_ms": 100.0}


def check(ctx: RunContext) -> None:
    resolve_data_path(ctx.params["data"]["path"])
    make_optimizer(ctx.params["optimizer"], ctx.params["lr"])
    for name in ctx.params["activations"]:
        make_activation(name)


def train_activation(ctx: RunContext, data, activation: str):
    """Train one network; returns its history and the change of the hidden weights."""
    p = ctx.params
    arch = Architecture((data.n_pixels, p["hidden"], 10), activation=activation, surrogate_beta=p["surrogate_beta"])
    params = init_params(arch, np.random.default_rng(ctx.seed), p["init"])  # same start for all
    w_start = params["W1_0"].copy()
    history = train(
        arch,
        params,
        make_learner("backprop"),
        make_optimizer(p["optimizer"], p["lr"]),
        make_loss("softmax_cross_entropy"),
        data,
        epochs=p["epochs"],
        batch_size=p["batch_size"],
        rng=np.random.default_rng(ctx.seed + 1),
        log=lambda m: ctx.log(f"{activation}: {m}"),
    )
    return history, float(np.linalg.norm(params["W1_0"] - w_start))


def lif_spike_counts(lif: dict, weights_mV: np.ndarray, input_times_ms: np.ndarray) -> np.ndarray:
    """Spike counts of independent LIF copies, copy i driven through weight ``weights_mV[i]``."""
    import brian2 as b2

    ms, mV = b2.ms, b2.mV
    n = len(weights_mV)
    source = b2.SpikeGeneratorGroup(1, np.zeros(len(input_times_ms), dtype=int), input_times_ms * ms)
    neurons = b2.NeuronGroup(
        n,
        "dv/dt = (v_rest - v) / tau_m : volt (unless refractory)",
        threshold="v > v_threshold",
        reset="v = v_reset",
        refractory=lif["refractory_ms"] * ms,
        method="exact",
        namespace={
            "v_rest": lif["v_rest_mV"] * mV,
            "tau_m": lif["tau_m_ms"] * ms,
            "v_threshold": lif["v_threshold_mV"] * mV,
            "v_reset": lif["v_reset_mV"] * mV,
        },
    )
    neurons.v = lif["v_rest_mV"] * mV
    synapses = b2.Synapses(source, neurons, "w : volt", on_pre="v_post += w")
    synapses.connect(i=0, j=np.arange(n))
    synapses.w = weights_mV * mV
    monitor = b2.SpikeMonitor(neurons)
    target = b2.prefs.codegen.target
    b2.prefs.codegen.target = "numpy"  # no compilation for one short run
    try:
        b2.Network(source, neurons, synapses, monitor).run(lif["duration_ms"] * ms)
    finally:
        b2.prefs.codegen.target = target
    return np.asarray(monitor.count[:], dtype=float)


def staircase(ctx: RunContext) -> tuple[dict, np.ndarray, np.ndarray]:
    lif = ctx.params["lif"]
    duration = lif["duration_ms"]
    n_in = ctx.rng.poisson(lif["input_rate_Hz"] * duration / 1000.0)
    times = np.unique(np.round(np.sort(ctx.rng.uniform(0.0, duration, n_in)), 1))
    weights = np.linspace(0.0, lif["w_max_mV"], lif["n_weights"] + 1)[1:]
    counts = lif_spike_counts(lif, weights, times)
    dw = weights[1] - weights[0]
    by_step = {}
    for factor in lif["coarse_factors"]:
        fd = np.diff(counts[::factor]) / (factor * dw)
        by_step[f"{factor * dw:.4g}"] = {
            "zero_fraction": float(np.mean(fd == 0)),
            "max_abs_per_mV": float(np.abs(fd).max()),
        }
    metrics = {
        "lif_input_spikes": len(times),
        "lif_weight_step_mV": float(dw),
        "lif_spike_count_levels": int(len(np.unique(counts))),
        "lif_count_range": [float(counts.min()), float(counts.max())],
        "lif_finite_difference_by_step_mV": by_step,
        "lif_derivative_zero_fraction": by_step[f"{dw:.4g}"]["zero_fraction"],
    }
    ctx.log(
        f"LIF staircase: {metrics['lif_spike_count_levels']} count levels, derivative zero "
        f"at {metrics['lif_derivative_zero_fraction']:.3f} of {len(weights) - 1} steps"
    )
    return metrics, weights, counts


def plot_learning(ctx: RunContext, histories: dict) -> None:
    curves = {
        k: {
            "epoch": h.epoch,
            "test_accuracy": h.test_accuracy,
            "train_loss": h.train_loss,
            "hidden_grad_norm": [n[0] if n else np.nan for n in h.grad_norms],
        }
        for k, h in histories.items()
    }
    ctx.savefig(
        threshold_learning(curves, chance=0.1),
        "learning_curves.png",
        note="Gradient norm: Frobenius norm of the hidden weights' gradient, mean over an epoch's batches.",
    )


def plot_staircase(ctx: RunContext, weights: np.ndarray, counts: np.ndarray) -> None:
    lif = ctx.params["lif"]
    ctx.savefig(
        staircase_figure(weights, counts),
        "lif_staircase.png",
        note=f"{lif['n_weights']} independent copies of the neuron, one per weight, one input spike "
        f"train at {lif['input_rate_Hz']:g} Hz for {lif['duration_ms']:g} ms.",
    )


def run(ctx: RunContext) -> dict:
    p = ctx.params
    data = load_data(**p["data"])
    ctx.log(f"data: {data.split}")
    histories, changes = {}, {}
    for activation in p["activations"]:
        histories[activation], changes[activation] = train_activation(ctx, data, activation)
    plot_learning(ctx, histories)
    lif_metrics, weights, counts = staircase(ctx)
    plot_staircase(ctx, weights, counts)
    ctx.save_arrays(
        "curves.npz",
        lif_weights_mV=weights,
        lif_counts=counts,
        **{f"accuracy_{k}": h.test_accuracy for k, h in histories.items()},
    )
    return {
        **data.describe(),
        "hidden_grad_norm_by_activation": {
            k: float(np.mean([n[0] for n in h.grad_norms[1:]])) for k, h in histories.items()
        },
        "test_accuracy_by_activation": {k: h.test_accuracy[-1] for k, h in histories.items()},
        "initial_test_accuracy_by_activation": {k: h.test_accuracy[0] for k, h in histories.items()},
        "hidden_weight_change_by_activation": changes,
        "learning_curves": {k: h.as_dict() for k, h in histories.items()},
        **lif_metrics,
    }


if __name__ == "__main__":
    script_main(__file__)
