"""Adversarial robustness of networks trained with and without weight transport (FGSM and PGD).

Source: Akrout (2019) "On the adversarial robustness of neural networks without weight
transport", arXiv:1908.03560: on MNIST, networks trained by feedback alignment (FA) keep an
adversarial accuracy of 98% where backprop (BP) networks fall to 0.03%, and adversarial examples
made on one do not transfer. Those attacks on FA networks follow the FA network's own feedback
path (the fixed random matrices), not its true gradient.

Here networks with one hidden layer are trained by BP, FA and sign symmetry (as in the
``weight_transport`` experiment, same initial weights and batches), then attacked by FGSM
(Goodfellow et al. 2015) and PGD (Madry et al. 2018) with growing L-infinity radius ``eps``,
with the input gradient taken three ways:

- ``white_box``: each network's own true gradient (exact backprop through its trained weights);
- ``transfer_from_backprop``: the perturbed images made on the BP network, shown to the others;
- ``feedback_path``: the gradient each learner's own feedback sends to the input (Akrout's attack).

Each learner trains at its own learning rate, chosen from ``lr_grid`` on a validation split of
the training images (:func:`snnlearn.ratenet.lr_search.select_learning_rates`; metric
``learning_rates``). The learners share their initial weights and batches, which by itself helps examples transfer;
as a control, the learners in ``other_init`` are trained once more from independent initial
weights (``<learner>_other_init``).

The spiking Diehl & Cook (2015) network has no gradient; it is attacked by transfer only, on its
first ``diehl_cook.examples`` test images, through
:func:`snnlearn.tasks.digits.trained_classifier` (``run_dir -> (images -> labels)``), when a
finished ``diehl_cook`` run on the same data split
exists (``diehl_cook.run``, or the latest under ``results/diehl_cook/``); otherwise it is
skipped and the metrics say why.
Metric: ``accuracy_vs_epsilon[attack][gradient][learner]``. Read the feedback-path panels beside the
white-box ones: FA keeps its accuracy under its feedback-path attack but falls like backprop under
the white-box one, so its feedback is an ineffective attack direction, not robustness (the figure
and ``finding`` say so wherever it happens).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from snnlearn import logs
from snnlearn.cli import script_main
from snnlearn.data import Dataset
from snnlearn.errors import ConfigError
from snnlearn.experiment import RunContext, latest_run
from snnlearn.figures.learning import attack_grid
from snnlearn.ratenet import Architecture, init_params, load_data, make_loss, train
from snnlearn.ratenet.adversarial import (
    Attack,
    Classifier,
    accuracy_vs_epsilon,
    classifier,
    fgsm,
    input_gradient,
    pgd,
)
from snnlearn.ratenet.learners import Backprop, ChainLearner, make_learner
from snnlearn.ratenet.lr_search import DEFAULT_LR_GRID, optimizer_from, select_learning_rates, training_score
from snnlearn.ratenet.settings import check_training
from snnlearn.tasks.digits import classifier_for

AKROUT_2019 = (
    "MNIST: adversarial accuracy 98% for networks trained without weight transport "
    "against 0.03% for backprop, attacks following each network's own feedback path"
)

PARAMS = {
    "data": {"path": "digits", "train": "0:8000", "test": "8000:10000"},
    "learners": ["backprop", "feedback_alignment", "sign_symmetry"],
    "other_init": ["backprop", "feedback_alignment"],  # also trained from other initial weights
    "hidden": [500],
    "activation": "sigmoid",
    "init": "xavier",
    "optimizer": "adam",
    "lr": 0.001,
    "lr_by_learner": {},  # a learner's fixed rate, not searched
    "lr_grid": DEFAULT_LR_GRID,  # each learner's rate chosen from these on a validation split
    "validation_fraction": 0.2,
    "momentum": 0.9,  # SGD only
    "epochs": {"digits": 40, "mnist": 10},
    "batch_size": 32,
    "epsilons": [0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3],
    "pgd_steps": 10,  # step size 2.5 eps / steps, random start in the ball
    "test_examples": 2000,  # at most; the first of the test set
    "diehl_cook": {"run": "", "examples": 100},  # run "" = the latest; examples 0 = skip it
    "blas_threads": 1,
}

QUICK = {
    "hidden": [64],
    "epochs.digits": 15,
    "lr": 0.003,
    "lr_grid": [0.003, 0.01],
    "epsilons": [0.0, 0.1, 0.2],
    "pgd_steps": 5,
    "diehl_cook.examples": 0,
    "other_init": ["backprop"],
}

GRADIENTS = ("white_box", "transfer_from_backprop", "feedback_path")


def check(ctx: RunContext) -> None:
    p = ctx.params
    check_training(
        {**p, "learners": p["learners"] + p["other_init"]}, {"hidden": p["hidden"]}, ("pgd_steps", "test_examples")
    )
    if p["diehl_cook"]["examples"] < 0:
        raise ConfigError(
            "diehl_cook.examples",
            f"got {p['diehl_cook']['examples']}",
            "expected >= 0 (0 skips the Diehl & Cook network)",
        )
    if "backprop" not in p["learners"]:
        raise ConfigError("learners", f"got {p['learners']}", "include backprop (the transfer source)")
    if not p["epsilons"] or min(p["epsilons"]) < 0:
        raise ConfigError("epsilons", f"got {p['epsilons']}", "expected radii >= 0")
    if p["diehl_cook"]["run"] and not Path(p["diehl_cook"]["run"]).is_dir():
        raise ConfigError(
            "diehl_cook.run",
            f"{p['diehl_cook']['run']} is not a folder",
            "give a diehl_cook run folder, or '' for the latest",
        )


def attacks(p: dict, seed: int) -> dict[str, Attack]:
    """FGSM and PGD with the run's settings (PGD's random starts are seeded)."""
    rng = np.random.default_rng([seed, 3])
    return {"fgsm": fgsm, "pgd": lambda gradient, x, y, eps: pgd(gradient, x, y, eps, p["pgd_steps"], rng=rng)}


def run(ctx: RunContext) -> dict:
    p = ctx.params
    data = load_data(**p["data"])
    loss = make_loss("softmax_cross_entropy")
    x, y = data.x_test[: p["test_examples"]], data.y_test[: p["test_examples"]]
    arch = Architecture((data.n_pixels, *p["hidden"], 10), activation=p["activation"])
    runs = [(name, name, 0) for name in p["learners"]]
    runs += [(f"{name}_other_init", name, 1) for name in p["other_init"]]
    nets, learners = {}, {}

    with threadpool_limits(p["blas_threads"]):
        score = training_score(
            arch,
            init_params(arch, np.random.default_rng([ctx.seed, 0]), p["init"]),
            loss,
            p,
            p["epochs"][data.name],
            [ctx.seed, 0],
        )
        rates = select_learning_rates(
            list(dict.fromkeys(p["learners"] + p["other_init"])), p, data, score, [ctx.seed, 0, 3]
        )
        ctx.log(f"learning rates: {logs.mapping(rates['lr_by_learner'])} (grid {logs.sequence(rates['lr_grid'])})")
        for label, name, init in runs:  # init 0 as in weight_transport's first network
            learners[label] = make_learner(name, rng=np.random.default_rng([ctx.seed, init, 1]))
            nets[label] = init_params(arch, np.random.default_rng([ctx.seed, init]), p["init"])
            history = train(
                arch,
                nets[label],
                learners[label],
                optimizer_from(p, name, rates["lr_by_learner"][name]),
                loss,
                data,
                epochs=p["epochs"][data.name],
                batch_size=p["batch_size"],
                rng=np.random.default_rng([ctx.seed, init, 2]),
            )
            ctx.log(f"{label}: test accuracy {history.test_accuracy[-1]:.4f}")
        targets = {name: classifier(arch, params) for name, params in nets.items()}
        true_gradient = {name: input_gradient(arch, params, loss) for name, params in nets.items()}
        curves: dict[str, dict[str, dict[str, list[float]]]] = {}
        for attack_name, attack in attacks(p, ctx.seed).items():

            def curve(gradient, chosen, attack=attack):
                return accuracy_vs_epsilon(attack, gradient, chosen, x, y, p["epsilons"])

            by_gradient = curves[attack_name] = {g: {} for g in GRADIENTS}
            for name in nets:
                by_gradient["white_box"].update(curve(true_gradient[name], {name: targets[name]}))
                if isinstance(learners[name], ChainLearner) and not isinstance(learners[name], Backprop):
                    feedback = input_gradient(arch, nets[name], loss, learners[name].feedback)
                    by_gradient["feedback_path"].update(curve(feedback, {name: targets[name]}))
            by_gradient["transfer_from_backprop"] = curve(true_gradient["backprop"], targets)
            ctx.log(
                f"{attack_name}: "
                + "; ".join(f"{g} {n} {c[-1]:.3f}" for g, by in by_gradient.items() for n, c in by.items())
            )
        diehl_cook = attack_diehl_cook(ctx, data, true_gradient["backprop"], x, y, curves)
    plot_curves(ctx, p["epsilons"], curves)
    return {
        **data.describe(),
        "network": list(arch.sizes),
        "epochs": p["epochs"][data.name],
        "learning_rates": rates,
        "attacked_examples": len(y),
        "epsilons": p["epsilons"],
        "clean_accuracy": {name: float(np.mean(targets[name](x) == y)) for name in nets},
        "accuracy_vs_epsilon": curves,
        "diehl_cook": diehl_cook,
        "akrout_2019": AKROUT_2019,
        "finding": finding(p["epsilons"], curves),
    }


def diehl_cook_classifier(ctx: RunContext, data: Dataset) -> tuple[Classifier | None, str]:
    """The trained Diehl & Cook network as a classifier, or None and the reason it is missing."""
    if ctx.params["diehl_cook"]["examples"] == 0:
        return None, "diehl_cook.examples = 0"
    setting = ctx.params["diehl_cook"]["run"]
    run_dir = Path(setting) if setting else latest_run("diehl_cook")
    return classifier_for(run_dir, data, setting or "results/diehl_cook/*")


def attack_diehl_cook(ctx: RunContext, data: Dataset, gradient, x, y, curves: dict) -> dict:
    """Transfer attacks from backprop on the Diehl & Cook network (added to ``curves``)."""
    classify, note = diehl_cook_classifier(ctx, data)
    if classify is None:
        ctx.log(f"Diehl & Cook network skipped: {note}")
        return {"status": "skipped", "reason": note}
    n = ctx.params["diehl_cook"]["examples"]
    for attack_name, attack in attacks(ctx.params, ctx.seed).items():
        curves[attack_name]["transfer_from_backprop"].update(
            accuracy_vs_epsilon(attack, gradient, {"diehl_cook": classify}, x[:n], y[:n], ctx.params["epsilons"])
        )
    return {"status": "evaluated", "source": note, "examples": min(n, len(y))}


def finding(epsilons: list[float], curves: dict) -> str:
    """Accuracies at the middle radius, white box against feedback path."""
    i = len(epsilons) // 2
    parts = []
    for attack_name, by_gradient in curves.items():
        for gradient, by_learner in by_gradient.items():
            values = ", ".join(f"{n} {c[i]:.1%}" for n, c in by_learner.items())
            if values:
                parts.append(f"{attack_name} {gradient}: {values}")
    directions = " ".join(f"{a} feedback path {t}." for (a, _), t in attack_direction_notes(epsilons, curves).items())
    return (f"Accuracy at eps = {epsilons[i]}: " + "; ".join(parts) + ". " + directions.replace("\n", " ")).strip()


def attack_direction_notes(epsilons: list[float], curves: dict) -> dict[tuple[str, str], str]:
    """Per attack, where a learner resists its feedback-path attack but not the white-box one at
    the middle radius: the feedback path is an ineffective attack direction, not robustness."""
    i, notes = len(epsilons) // 2, {}
    for attack_name, by_gradient in curves.items():
        lines = [
            f"{name}: {c[i]:.0%} here, {by_gradient['white_box'][name][i]:.0%} white box"
            for name, c in by_gradient["feedback_path"].items()
            if c[i] > by_gradient["white_box"][name][i] + 0.1
        ]
        if lines:
            notes[(attack_name, "feedback_path")] = (
                f"at eps = {epsilons[i]:g}: " + "; ".join(lines) + "\nan ineffective attack direction,\nnot robustness"
            )
    return notes


def plot_curves(ctx: RunContext, epsilons: list[float], curves: dict) -> None:
    notes = attack_direction_notes(epsilons, curves)
    note = (
        "Feedback path: the attack follows the gradient the learner's own feedback sends to the input. "
        "A learner that keeps its accuracy there but falls under the white-box attack (its true "
        "gradient) is not robust: its feedback points away from the directions that hurt it."
        if notes
        else ""
    )
    ctx.savefig(attack_grid(epsilons, curves, GRADIENTS, chance=0.1, notes=notes), "accuracy_vs_epsilon.png", note=note)


if __name__ == "__main__":
    script_main(__file__)
