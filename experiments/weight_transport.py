"""Weight transport: feedback alignment, sign symmetry and direct feedback alignment against backprop.

Source: Lillicrap, Cownden, Tweed & Akerman (2016) "Random synaptic feedback weights support
error backpropagation for deep learning", Nat Commun 7:13276. Backprop sends errors back through
the transposed forward weights, which no neuron can know. Feedback alignment (FA) uses fixed
random matrices instead; Lillicrap et al.'s MNIST result (784-1000-10 sigmoid network, 60,000
training images): test error 2.4% with backprop, 2.1% with FA, 7.2% when only the output layer
learns. The angle between FA's hidden-layer update and the true gradient starts near 90 degrees
and falls well below it (their Fig. 2): the forward weights come to align with the feedback.
Also here: sign symmetry (feedback = sign of the forward weights; Liao, Leibo & Poggio 2016) and
direct feedback alignment (the output error sent to every hidden layer; Nokland 2016).

Every learner trains the same network from the same initial weights on the same batches, for a
network with one hidden layer and a deeper one, each at its own learning rate: chosen per network
from ``lr_grid`` on a validation split of the training images (``validation_fraction``, by
:func:`snnlearn.ratenet.lr_search.select_learning_rates`; ``lr_by_learner`` fixes a learner's rate
instead, ``lr_grid = []`` runs every learner at ``lr``); metric ``learning_rates`` (the grid, the
chosen rates, the validation accuracy at every rate). Metrics: final test accuracy by learner (goal:
FA within 1 point of backprop on the MNIST split), the alignment angle of each hidden layer
during training (measured on a fixed batch of training images, on the update the learner
computes, before the optimiser), and the epochs each learner needs to reach a target accuracy.
Data: the embedded digits by default; ``--set data.path=/work/shared/data/mnist`` for the MNIST
split (8,000 training, 2,000 test images): 784-500-10 and 784-256-256-256-10 sigmoid networks,
10 epochs of Adam, five learners, about 8 minutes on 2 busy cores. With one hidden layer, direct
feedback alignment is feedback alignment (the same matrix carries the output error back).
"""

from __future__ import annotations

import math
import time

import numpy as np
from threadpoolctl import threadpool_limits

from snnlearn.cli import script_main
from snnlearn.data import Dataset
from snnlearn.errors import ConfigError
from snnlearn.experiment import RunContext
from snnlearn.figures.learning import alignment_angles, error_curves
from snnlearn.ratenet import Architecture, History, Params, forward, init_params, load_data, make_loss, train
from snnlearn.ratenet.learner import Learner
from snnlearn.ratenet.learners import BackwardLearner, make_learner, update_angles
from snnlearn.ratenet.losses import Loss
from snnlearn.ratenet.lr_search import DEFAULT_LR_GRID, optimizer_from, select_learning_rates, training_score
from snnlearn.ratenet.settings import check_training
from snnlearn.ratenet.train import ProbedOptimizer, epochs_to_target

#: Lillicrap et al. (2016), MNIST, 784-1000-10 sigmoid network: test error in percent.
LILLICRAP_2016_TEST_ERROR = {"backprop": 2.4, "feedback_alignment": 2.1, "output_only": 7.2}

PARAMS = {
    "data": {"path": "digits", "train": "0:8000", "test": "8000:10000"},
    "learners": ["backprop", "feedback_alignment", "sign_symmetry", "direct_feedback_alignment", "output_only"],
    "networks": {"one_hidden": [500], "deep": [256, 256, 256]},  # hidden layer widths
    "activation": "sigmoid",
    "init": "xavier",
    "optimizer": "adam",
    "lr": 0.001,
    "lr_by_learner": {},  # a learner's fixed rate, not searched, e.g. {feedback_alignment = 0.002}
    "lr_grid": DEFAULT_LR_GRID,  # each learner's rate chosen from these on a validation split
    "validation_fraction": 0.2,
    "momentum": 0.9,  # SGD only
    "epochs": {"digits": 40, "mnist": 10},  # by data set (1,347 or 8,000 training images)
    "batch_size": 32,
    "target_accuracy": 0.93,  # for epochs_to_target
    "probe_examples": 256,  # training images the alignment angle is measured on
    "probes": 25,  # evenly spaced over training, after steps 0, 1, 2, 4, 8, ...
    "blas_threads": 1,  # small-batch matrix products run fastest on one thread
}

QUICK = {
    "networks.one_hidden": [64],
    "networks.deep": [32, 32, 32],
    "epochs.digits": 15,
    "lr": 0.003,
    "lr_grid": [0.003, 0.01],
    "probes": 10,
}


def check(ctx: RunContext) -> None:
    p = ctx.params
    check_training(
        p, {f"networks.{net}": hidden for net, hidden in p["networks"].items()}, ("probe_examples", "probes")
    )
    if not 0 < p["target_accuracy"] <= 1:
        raise ConfigError("target_accuracy", f"got {p['target_accuracy']}", "expected 0 < target <= 1")


def train_with_probes(
    ctx: RunContext,
    arch: Architecture,
    start: Params,
    learner: Learner,
    loss: Loss,
    data: Dataset,
    probe: tuple[np.ndarray, np.ndarray],
    epochs: int,
    seed: list[int],
    lr: float,
) -> tuple[History, dict]:
    """Train a copy of ``start``; returns the learning curves and the alignment angles."""
    p = ctx.params
    params = {k: v.copy() for k, v in start.items()}
    steps_per_epoch = math.ceil(len(data.y_train) / p["batch_size"])
    every = max(1, steps_per_epoch * epochs // p["probes"])
    angles: dict[str, list] = {"epoch": [], **{f"hidden_layer_{k}": [] for k in range(1, arch.n_layers)}}

    def measure(step: int) -> None:
        cache = forward(arch, params, probe[0])
        _, dout = loss.evaluate(cache.output, probe[1])
        angles["epoch"].append(step / steps_per_epoch)
        measured = (
            update_angles(arch, params, learner, cache, dout)
            if isinstance(learner, BackwardLearner)
            else [math.nan] * (arch.n_layers - 1)
        )  # no error travels back (Forward-Forward)
        for layer, angle in enumerate(measured, start=1):
            angles[f"hidden_layer_{layer}"].append(angle)

    optimizer = ProbedOptimizer(optimizer_from(p, learner.name, lr), every, measure)
    history = train(
        arch,
        params,
        learner,
        optimizer,
        loss,
        data,
        epochs=epochs,
        batch_size=p["batch_size"],
        rng=np.random.default_rng(seed),
    )
    measure(optimizer.steps)
    return history, angles


def run(ctx: RunContext) -> dict:
    p = ctx.params
    data = load_data(**p["data"])
    epochs = p["epochs"][data.name]
    loss = make_loss("softmax_cross_entropy")
    probe = data.x_train[: p["probe_examples"]], data.y_train[: p["probe_examples"]]
    accuracy, curves, angles, to_target, seconds, rates = {}, {}, {}, {}, {}, {}
    with threadpool_limits(p["blas_threads"]):
        for index, (net, hidden) in enumerate(p["networks"].items()):
            arch = Architecture((data.n_pixels, *hidden, 10), activation=p["activation"])
            start = init_params(arch, np.random.default_rng([ctx.seed, index]), p["init"])
            for table in (accuracy, curves, angles, to_target, seconds):
                table[net] = {}

            score = training_score(arch, start, loss, p, epochs, [ctx.seed, index])
            rates[net] = select_learning_rates(p["learners"], p, data, score, [ctx.seed, index, 3])
            ctx.log(f"{net}: learning rates {rates[net]['lr_by_learner']} (grid {rates[net]['lr_grid']})")
            for name in p["learners"]:
                learner = make_learner(name, rng=np.random.default_rng([ctx.seed, index, 1]))
                began = time.perf_counter()
                history, angle = train_with_probes(
                    ctx,
                    arch,
                    start,
                    learner,
                    loss,
                    data,
                    probe,
                    epochs,
                    [ctx.seed, index, 2],
                    rates[net]["lr_by_learner"][name],
                )
                seconds[net][name] = round(time.perf_counter() - began, 1)
                accuracy[net][name] = history.test_accuracy[-1]
                curves[net][name] = {k: v for k, v in history.as_dict().items() if k != "grad_norms"}
                angles[net][name] = angle
                to_target[net][name] = epochs_to_target(history, p["target_accuracy"])
                final = [round(v[-1], 1) for k, v in angle.items() if k != "epoch"]
                ctx.log(
                    f"{net} {name}: test accuracy {accuracy[net][name]:.4f}, final angles "
                    f"{final} deg, {seconds[net][name]} s"
                )
    plot(ctx, curves, angles, accuracy, data.name)
    gap = {
        net: round(100 * (acc["feedback_alignment"] - acc["backprop"]), 2)
        for net, acc in accuracy.items()
        if {"backprop", "feedback_alignment"} <= acc.keys()
    }
    return {
        **data.describe(),
        "epochs": epochs,
        "networks": {net: [data.n_pixels, *hidden, 10] for net, hidden in p["networks"].items()},
        "test_accuracy_by_learner": accuracy,
        "test_error_percent_by_learner": {
            net: {k: round(100 * (1 - a), 2) for k, a in acc.items()} for net, acc in accuracy.items()
        },
        "fa_minus_bp_points": gap,
        "fa_within_1_point_of_bp": {net: g >= -1.0 for net, g in gap.items()},
        "finding": finding(accuracy, angles, gap),
        "alignment_angle_deg": angles,
        "initial_alignment_angle_deg": summary_angles(angles, 0),
        "final_alignment_angle_deg": summary_angles(angles, -1),
        "epochs_to_target": to_target,
        "learning_rates": rates,
        "target_accuracy": p["target_accuracy"],
        "learning_curves": curves,
        "train_seconds": seconds,
        "lillicrap_2016_test_error_percent": LILLICRAP_2016_TEST_ERROR,
        "lillicrap_2016_setting": "MNIST, 60,000 training images, 784-1000-10 sigmoid network",
        "angle_measured_on": "the learner's update of each hidden layer's weights and bias "
        "(before the optimiser) against the true gradient, on a fixed "
        "batch of probe_examples training images",
    }


def finding(accuracy: dict, angles: dict, gap: dict) -> str:
    """Test errors by learner, FA's gap to backprop, and how far FA's updates aligned."""
    parts = []
    for net, by_learner in accuracy.items():
        errors = ", ".join(f"{name} {100 * (1 - a):.2f}%" for name, a in by_learner.items())
        text = f"{net}: test error {errors}"
        if net in gap:
            fa = [v for k, v in angles[net]["feedback_alignment"].items() if k != "epoch"]
            text += (
                f"; {gap_text(accuracy, net)}; FA hidden-update angle "
                f"{', '.join(f'{v[0]:.0f} -> {v[-1]:.0f}' for v in fa)} deg"
            )
        parts.append(text)
    return ". ".join(parts) + "."


def summary_angles(angles: dict, index: int) -> dict:
    """Per network and learner, the angle of each hidden layer at one probe (0 first, -1 last)."""
    return {
        net: {name: [v[index] for k, v in a.items() if k != "epoch"] for name, a in by.items()}
        for net, by in angles.items()
    }


def gap_text(accuracy: dict, net: str) -> str:
    """FA's test error against backprop's, the difference with a sign that reads the right way."""
    fa, bp = (100 * (1 - accuracy[net][k]) for k in ("feedback_alignment", "backprop"))
    worse = "higher" if fa > bp else "lower"
    return f"test error FA {fa:.2f}%, backprop {bp:.2f}%: FA {abs(fa - bp):.2f} points {worse}"


def plot(ctx: RunContext, curves: dict, angles: dict, accuracy: dict, data_name: str) -> None:
    notes = {
        net: gap_text(accuracy, net)
        for net, acc in accuracy.items()
        if {"backprop", "feedback_alignment"} <= acc.keys()
    }
    same = [
        net
        for net, acc in accuracy.items()
        if "direct_feedback_alignment" in acc and len(ctx.params["networks"][net]) == 1
    ]
    note = f"Lillicrap et al.'s values are for MNIST with 60,000 training images (here: {data_name}). " + (
        f"With one hidden layer ({', '.join(same)}) DFA is FA: their curves coincide (hollow markers). " if same else ""
    )
    error = 100 * (1 - ctx.params["target_accuracy"])
    ctx.savefig(
        error_curves(
            curves, paper=LILLICRAP_2016_TEST_ERROR, paper_text="Lillicrap 2016", target_error=error, notes=notes
        ),
        "learning_curves.png",
        note=note,
    )
    ctx.savefig(
        alignment_angles(angles),
        "alignment_angle.png",
        note="Angle of each learner's update of a hidden layer's weights and bias (before the optimiser) "
        "to the true gradient, on a fixed batch of training images.",
    )


if __name__ == "__main__":
    script_main(__file__)
