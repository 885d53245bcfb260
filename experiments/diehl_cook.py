"""Diehl & Cook (2015): unsupervised digit recognition with STDP, lateral inhibition and adaptive thresholds.

Poisson-coded images drive excitatory adaptive-threshold LIF neurons through all-to-all STDP
synapses (models/diehl_cook_2015.toml); one-to-one inhibitory neurons inhibit every other
excitatory neuron, so neurons compete and each learns a prototype. After training (learning and
theta frozen), every neuron is assigned the class it responds to most on training examples, and
a test image is classified by the class whose neurons respond most on average; a
logistic-regression readout of the spike counts is a second score.

Paper (full MNIST, 60,000 training images): 82.9% (100 neurons), 87.0% (400), 91.9% (1600),
95.0% (6400). Here by default: scikit-learn's embedded 8x8 digits, presented at the paper's
operating point (``tasks.digits.OperatingPoint``: input rates scaled so that an image brings as
many input spikes as an MNIST image does in the paper, STDP rates scaled so that a postsynaptic
spike changes a weight vector as much; derived from the training images, not tuned) and, as the
one departure from the paper, a running-mean rate schedule over each neuron's first n* = 120 spikes
(``protocol.running_mean``, the rule's ``memory_spikes``; ``false``: the paper's constant rate): the
paper's neurons fire thousands of spikes over 60,000 images and forget their random start, these a
few hundred over 1,347; a neuron's weights average its inputs at its spikes (online k-means). With the
shared MNIST test set (``--set data.path=../shared/data/mnist``) ``train[0:8000]`` trains and
``test[8000:10000]`` tests.

Epochs (``epochs = 0``, the default: the data set's own, 4 for the embedded digits and 8 for
MNIST) were chosen on validation splits of the training images, the test images unused: the
embedded digits (100 neurons, training images 0:1000 against 1000:1347, seeds 0-4;
mean [95% t-interval]) score 0.771 [0.67, 0.87] after 1 epoch, 0.835 [0.80, 0.87] after 2, 0.817
[0.79, 0.84] after 3, 0.823 [0.80, 0.85] after 4, 0.831 [0.80, 0.86] after 5 (one seed after 10:
0.692, as the thresholds keep rising); MNIST (400 neurons, ``train[0:7000]`` against
``train[7000:8000]``, seed 0) 0.673 after 1 epoch, 0.886 after 2, 0.896 after 4, 0.914 after 8
(its k-means control there: 0.943). One pass over 8,000 images gives each of 400 neurons 20
presentations, where the paper's 60,000 gave 150; eight give 160. The adaptive threshold's rise per spike
(``theta_plus_mV = 0``, the default: the data set's own) is the paper's 0.05 mV on MNIST and 0.03 mV
on the embedded digits, chosen on the same digits split (4 epochs, seeds 0-4): 0.05 mV scores
0.823 [0.80, 0.85], 0.03 mV 0.851 [0.835, 0.867] (higher for every seed), 0.02 mV 0.851, 0.015 mV
0.826 (seeds 0-2), 0.1 mV 0.812 (seeds 0-2), and 0.01 mV lets a few neurons win every image (0.08,
0.75, 0.41). Why smaller than the paper's: a dense 8x8 digit drives a neuron whose weights match it
only 1.46 times as much as one whose weights are the mean image (MNIST: 2.66), so one win's threshold
rise must be smaller to leave the best-matching neuron the winner; the idealised learner of
``snnlearn.protocols.competitive`` shows the same optimum and the same collapse below it. A ``--quick`` run
(half an epoch) keeps the paper's step, which recruits neurons faster: with 0.03 mV its 50 neurons
scored 0.46 instead of 0.70, several of them still near their random weights. Input -> excitatory delays are
uniform in 0-10 ms, as in the paper's code. Neurons that never fired on the assignment examples
get no class; a test image with no assigned neuron responding counts as wrong
(``test_silent_fraction``).

How far the network is from the clean competitive learner that online k-means is:
``test_active_neurons_per_example`` (neurons that fire for a test image; online k-means: 1) and
``test_winner_spike_share`` (the most active neuron's share of an image's spikes; 1 for a hard
winner-take-all). The paper's lateral inhibition is soft: by its parameters an inhibitory spike
lowers the other neurons' potentials by about 14 mV (17 x 2 ms x 40 mV / 100 ms) for a few ms, so
several neurons answer each image.

Metrics: ``test_accuracy``, ``test_accuracy_logreg`` and the controls a reviewer asks for, with
the same readout: ``control_kmeans`` (k = n_excitatory), ``control_online_kmeans`` (one pass over
the same presentations, in order), ``control_random_weights`` (this network, initial weights,
frozen), ``control_logreg_pixels``; what the network's learning principle reaches without spikes
(``snnlearn.protocols.competitive``, the same presentations, from the network's initial weights):
``control_competitive`` (dot-product winner-take-all on the inputs' trace with an adaptive
threshold), ``control_competitive_pixels`` (on pixels), ``control_competitive_image_start``
(prototypes started on images); ``receptive_field_similarity`` (median best cosine of a
neuron's weights to a training image), ``operating_point``, ``accuracy_curve``,
``train_images_per_second``. Figures: receptive fields, accuracy curve with the controls,
raster of one presentation (inputs, excitatory, inhibitory), thresholds and weights during
training, confusion matrix.

Training (``snnlearn.protocols.presentation``) is checkpointed after a chunk of examples once
``checkpoint_seconds`` of wall time have passed since the last checkpoint (0: after every chunk),
and at every curve point and the end of training; ``--resume RUN_DIR`` continues a killed run and
gives the same result as an uninterrupted one; nothing depends on ``slots_per_chunk`` or on when
checkpoints were written. Training keeps the initial weights and those at each curve point; every evaluation (the
random-weights control, the curve points, the final readout) runs after training on K frozen
copies of the network compiled without plasticity code (``snnlearn.tasks.frozen``; one copy
responds exactly as the training program's frozen pass), ``evaluation_seconds`` beside
``train_seconds``; ``curve_evaluation_fraction`` is the curve points' share of the training time.
"""

from __future__ import annotations

import time

import numpy as np
from brian2 import ms, mV, second

from snnlearn import plots
from snnlearn.cli import script_main
from snnlearn.data import Dataset, load_dataset
from snnlearn.errors import ConfigError
from snnlearn.experiment import RunContext
from snnlearn.overrides import apply_to_model
from snnlearn.protocols import competitive
from snnlearn.protocols.presentation import curve_bounds, train_in_passes, training_stream
from snnlearn.protocols.unsupervised import (
    competition,
    kmeans_control,
    logreg_counts,
    logreg_pixels_control,
    online_kmeans_control,
    receptive_field_similarity,
)
from snnlearn.results import IntervalCheckpoint
from snnlearn.tasks.digits import OperatingPoint, Protocol, fit_model, replay
from snnlearn.tasks.frozen import score_frozen

MODEL = "diehl_cook_2015"
PAPER = {100: 0.829, 400: 0.870, 1600: 0.919, 6400: 0.950}  # test accuracy, full MNIST, by network size
#: passes over the training images when ``epochs = 0``, chosen on validation splits (see the docstring)
EPOCHS_BY_DATASET = {"digits": 4.0, "mnist": 8.0}
#: the adaptive threshold's rise per spike (mV) when ``theta_plus_mV = 0``: the paper's on MNIST, chosen
#: on validation splits for the digits (see the docstring)
THETA_PLUS_BY_DATASET = {"digits": 0.03, "mnist": 0.05}
BACKEND = "standalone"
#: model keys this experiment sets itself (sized for the data and n_excitatory)
OWNED_MODEL_KEYS = {
    "groups.inputs.n": "the data set (data.path)",
    "groups.excitatory.n": "n_excitatory",
    "groups.inhibitory.n": "n_excitatory",
    "synapses.input_excitatory.normalize.period": "protocol.t_present and protocol.t_rest",
    "groups.excitatory.params.theta_plus": "theta_plus_mV",
}
PARAMS = {
    "data": {"path": "digits", "train": "0:8000", "test": "8000:10000"},
    "n_excitatory": 100,
    "epochs": 0.0,  # passes over the training images; 0: the data set's, chosen on validation splits (docstring)
    "theta_plus_mV": 0.0,  # adaptive-threshold rise per spike; 0: the data set's (THETA_PLUS_BY_DATASET)
    "slots_per_chunk": 100,  # examples per compiled run
    "checkpoint_seconds": 60.0,  # wall time between checkpoints (0: after every chunk); a kill loses at most this
    "curve_points": 2,  # accuracy-curve evaluations during training (<= 20% of its cost)
    "curve_assign_examples": 200,  # training examples used to assign labels at a curve point
    "curve_test_examples": 200,  # test examples scored at a curve point
    "assign_examples": 0,  # final label assignment: 0 = every training example
    "track_every": 20,  # slots between samples of theta and weights (a figure)
    "protocol": {
        "t_present": 350 * ms,
        "t_rest": 150 * ms,
        "base_intensity": 2.0,
        "min_spikes": 5,
        "running_mean": True,
        "match_learning_steps": False,
    },
}
QUICK = {
    "n_excitatory": 50,
    "epochs": 0.5,
    "slots_per_chunk": 50,
    "curve_points": 1,
    "curve_assign_examples": 200,
    "curve_test_examples": 100,
    "assign_examples": 400,
    "theta_plus_mV": 0.05,  # the paper's step: half an epoch needs its faster recruitment (0.03 was chosen for 4)
}


def adapt_model(ctx: RunContext, data: Dataset):
    """The model sized for the data set and ``n_excitatory``, at the paper's operating point
    (``tasks.digits.fit_model`` and ``OperatingPoint``, derived from the training images only)."""
    protocol = Protocol.from_mapping(ctx.params["protocol"], "protocol")
    rule = ctx.model.synapses["input_excitatory"].rule
    point = OperatingPoint.of(
        data.x_train,
        protocol,
        n_excitatory=ctx.params["n_excitatory"],
        epochs=epochs_for(ctx.params["epochs"], data.name),
        tau_pre=getattr(rule, "tau_pre", 20 * ms),  # another rule: the scales of the paper's
        nu_post=float(getattr(rule, "nu_post", 0.01)),
    )
    theta_plus = theta_plus_for(ctx.params["theta_plus_mV"], data.name)
    spec = fit_model(
        apply_to_model(ctx.model.raw, "groups.excitatory.params.theta_plus", f"{theta_plus!r} mV"),
        data.n_pixels,
        ctx.params["n_excitatory"],
        protocol,
        ctx.model.source,
        nu_scale=point.nu_scale,
        memory_spikes=point.memory_spikes,
        tau_pre_scale=point.tau_pre_scale,
    )
    return spec, protocol, point


def epochs_for(setting: float, dataset: str) -> float:
    """The passes over the training images: ``setting``, or for 0 the data set's own."""
    return setting or EPOCHS_BY_DATASET.get(dataset, EPOCHS_BY_DATASET["digits"])


def theta_plus_for(setting: float, dataset: str) -> float:
    """The adaptive threshold's rise per spike in mV: ``setting``, or for 0 the data set's own."""
    return setting or THETA_PLUS_BY_DATASET.get(dataset, THETA_PLUS_BY_DATASET["mnist"])


def check(ctx: RunContext) -> None:
    p = ctx.params
    for key in ("n_excitatory", "slots_per_chunk", "curve_assign_examples", "curve_test_examples"):
        if p[key] < 1:
            raise ConfigError(key, f"{p[key]} is too small", "expected an integer >= 1")
    if not 0 <= p["epochs"] <= 100:
        expected = "expected 0 (the data set's own) or 0 < epochs <= 100"
        raise ConfigError("epochs", f"{p['epochs']} is out of range", expected)
    IntervalCheckpoint.check(p["checkpoint_seconds"], "checkpoint_seconds")
    if not 0 <= p["theta_plus_mV"] <= 10:
        expected = "expected 0 (the data set's own) or 0 < theta_plus_mV <= 10"
        raise ConfigError("theta_plus_mV", f"{p['theta_plus_mV']} is out of range", expected)
    if p["curve_points"] < 0 or p["assign_examples"] < 0:
        raise ConfigError("curve_points", "negative", "expected >= 0")
    data = load_dataset(p["data"]["path"], p["data"]["train"], p["data"]["test"])
    ctx.model_as_run = adapt_model(ctx, data)[0]  # ctx.model stays the file's model: run() adapts it once


def run(ctx: RunContext) -> dict:
    p = ctx.params
    data = load_dataset(p["data"]["path"], p["data"]["train"], p["data"]["test"])
    spec, protocol, point = adapt_model(ctx, data)
    epochs = epochs_for(p["epochs"], data.name)
    n_train_total = int(round(epochs * len(data.y_train)))
    stream = training_stream(len(data.y_train), n_train_total, np.random.default_rng(ctx.seed))
    n_exc = p["n_excitatory"]
    ctx.log(
        f"{data.name}: {len(data.y_train)} training and {len(data.y_test)} test images ({data.split}); "
        f"{n_exc} excitatory neurons; {n_train_total} training presentations"
    )
    training = train_in_passes(
        spec,
        protocol,
        data.x_train,
        stream,
        curve_bounds(n_train_total, p["curve_points"]),
        backend=ctx.backend,
        seed=ctx.seed,
        key=f"diehl_cook-{data.n_pixels}x{n_exc}",
        pixel_rate=point.pixel_rate,
        slots_per_chunk=p["slots_per_chunk"],
        track_every=p["track_every"],
        checkpoint=ctx.path("checkpoint.npz"),
        checkpoint_seconds=p["checkpoint_seconds"],
        log=ctx.log,
    )
    snapshots, track = training.snapshots, training.track
    # every evaluation on K frozen copies without plasticity code (one more compiled program)
    started = time.perf_counter()
    n_assign = min(p["assign_examples"] or len(data.y_train), len(data.y_train))
    n_curve = (p["curve_assign_examples"], p["curve_test_examples"])
    states = snapshots.states()
    passes = [(states[0], n_assign, len(data.y_test)), *((s, *n_curve) for s in states[1:-1])]
    scores, eval_compile_s = score_frozen(
        spec,
        protocol,
        point.pixel_rate,
        data,
        [*passes, (states[-1], n_assign, len(data.y_test))],
        snapshots.delays_s,
        backend=ctx.backend,
        seed=ctx.seed,
    )
    final, evaluation_s = scores[-1], time.perf_counter() - started
    weights, theta = snapshots.w[-1].reshape(data.n_pixels, n_exc), states[-1].theta_mV
    curve = [*((n, s["accuracy"]) for n, s in zip(snapshots.examples[1:], scores[1:], strict=True))]
    ctx.log("accuracy curve: " + ", ".join(f"{a:.3f} after {n} examples" for n, a in curve))
    raster = replay(spec, protocol, point.pixel_rate, weights, theta, data.x_test[0], ctx.seed)
    logreg = logreg_counts(final["train_counts"], data.y_train[:n_assign], final["test_counts"], data.y_test)
    x_assign, y_assign = data.x_train[:n_assign], data.y_train[:n_assign]
    controls = {
        "control_kmeans": kmeans_control(data.x_train, data.y_train, data.x_test, data.y_test, n_exc, ctx.seed),
        "control_online_kmeans": online_kmeans_control(
            data.x_train[stream], x_assign, y_assign, data.x_test, data.y_test, n_exc
        ),
        "control_random_weights": scores[0]["accuracy"],
        "control_logreg_pixels": logreg_pixels_control(data.x_train, data.y_train, data.x_test, data.y_test),
    }
    without_spikes = competitive.ablation(  # the network's principle without spikes (protocols.competitive)
        data.x_train,
        lambda x: point.mean_trace(x, protocol.base_intensity),
        snapshots.w[0].reshape(data.n_pixels, n_exc),
        stream,
        (x_assign, y_assign),
        (data.x_test, data.y_test),
    )
    shown = {"network": final["accuracy"], **controls, **without_spikes}
    ctx.log("accuracy: " + ", ".join(f"{k} {v:.3f}" for k, v in shown.items()))
    ctx.save_arrays(
        "network.npz", weights=weights, theta_mV=theta, assignments=final["assignments"], delays_s=snapshots.delays_s
    )
    drawn = {**controls, "control_principle_without_spikes": without_spikes["control_competitive"]}
    save_figures(ctx, data, spec, weights, final, curve, raster, protocol, drawn, track)
    train_seconds, curve_s = training.train_seconds, sum(s["seconds"] for s in scores[1:-1])
    return {
        "test_accuracy": final["accuracy"],
        "test_accuracy_logreg": logreg,
        **controls,
        **without_spikes,
        "test_silent_fraction": float(np.mean(final["test_counts"].sum(axis=1) == 0)),
        "receptive_field_similarity": receptive_field_similarity(weights, data.x_train),
        "n_excitatory": n_exc,
        **data.describe(),
        "operating_point": point.as_dict(),
        "model_as_run": spec.raw,
        "train_examples": int(n_train_total),
        "epochs": epochs,
        "theta_plus_mV": float(spec.groups["excitatory"].neuron.theta_plus / mV),
        "train_images_per_second": n_train_total / train_seconds if train_seconds else None,
        "train_seconds": train_seconds,
        "compile_seconds": training.compile_seconds,
        "evaluation_seconds": evaluation_s,
        "evaluation_compile_seconds": eval_compile_s,
        "curve_evaluation_seconds": curve_s,
        "curve_evaluation_fraction": curve_s / train_seconds if train_seconds else None,
        "accuracy_curve": [{"examples": int(n), "accuracy": a} for n, a in curve],
        "assignment_examples": int(len(final["train_counts"])),
        "neurons_per_class": np.bincount(final["assignments"][final["assignments"] >= 0], minlength=10).tolist(),
        "unassigned_neurons": int(np.sum(final["assignments"] < 0)),
        "mean_spikes_per_test_example": float(final["test_counts"].sum(axis=1).mean()),
        **{f"test_{k}": v for k, v in competition(final["test_counts"]).items()},
        "paper_accuracy_full_mnist": {str(k): v for k, v in PAPER.items()},
    }


def save_figures(ctx, data, spec, weights, final, curve, raster, protocol, controls, track) -> None:
    p, n_test = ctx.params, len(final["test_counts"])
    readouts = (
        f"curve point ({p['curve_assign_examples']} assignment, {min(p['curve_test_examples'], n_test)} test images)",
        f"final ({len(final['train_counts'])} assignment, {n_test} test images; as the controls)",
    )
    from sklearn.metrics import confusion_matrix

    rf_title = "receptive fields (input weights; blue: assigned class, -: none)"
    ctx.savefig(plots.receptive_fields(weights, data.shape, final["assignments"], rf_title), "receptive_fields.png")
    paper = PAPER.get(weights.shape[1])
    ctx.savefig(
        plots.accuracy_with_controls(
            [n for n, _ in curve],
            [a for _, a in curve],
            controls,
            paper=(paper, f"paper, {weights.shape[1]} neurons, full MNIST {paper}") if paper else None,
            readouts=readouts,
        ),
        "accuracy_curve.png",
    )
    ctx.savefig(
        plots.presentation_raster(
            raster,
            {name: spec.groups[name].n for name in raster},
            *(float(x / second) for x in (protocol.slot, protocol.t_present)),
            f"trained network, frozen, test image 0 (class {data.y_test[0]}; shown again"
            f" brighter while < {protocol.min_spikes} spikes)",
        ),
        "raster.png",
    )
    if track.examples:
        ctx.savefig(
            plots.training_state(
                track.examples,
                np.array(track.theta),
                np.array(track.w),
                float(spec.synapses["input_excitatory"].rule.w_max),
            ),
            "training_state.png",
        )
    matrix = confusion_matrix(data.y_test, final["predicted"], labels=range(10))
    ctx.savefig(plots.matrix(matrix, "predicted", "true", "confusion matrix (test set)"), "confusion_matrix.png")


if __name__ == "__main__":
    script_main(__file__)
