"""Hebbian learning on rates: Oja's rule finds the first principal component, BCM becomes selective.

Oja (1982) J Math Biol 15:267: a linear neuron ``y = w . x`` learning by
``dw = eta y (x - y w)`` from zero-mean inputs with covariance C converges to the unit-norm
principal eigenvector of C. Here the inputs are Gaussian with a known covariance
``C = Q diag(eigenvalues) Q^T`` (Q a random rotation), so the first principal component is
known exactly. Metrics: ``cosine_to_pc1`` (|cos| of the angle between w and it; the paper's
result: 1, here >= 0.99) and ``weight_norm`` (1).

Bienenstock, Cooper & Munro (1982) J Neurosci 2:32: a rectified linear neuron learning by
``dw = eta x y (y - theta)`` with the sliding threshold ``tau_theta dtheta = y**2 / y0 - theta``
(Intrator & Cooper 1992), shown one of ``n_patterns`` random non-negative, strongly overlapping
input patterns at each step, ends up responding to one pattern only. Metric ``bcm_selectivity``:
BCM's ``1 - mean response / max response`` over the patterns, at most ``1 - 1/n_patterns``
(``bcm_selectivity_max``), reached when it responds to one pattern only.

Both use the rate forms of the rules (:func:`snnlearn.rules.hebbian.oja_step`,
:func:`~snnlearn.rules.hebbian.bcm_step`), which are the same equations as the spiking rules
``oja`` and ``bcm``. Figures: oja.png (cosine to PC1 and |w| during learning, with their fixed
point 1), bcm.png (response to each pattern, and on its own axis the threshold, during learning,
with the selective fixed point y = theta = n_patterns y0: metric ``bcm_fixed_point``).
"""

from __future__ import annotations

import numpy as np

from snnlearn.cli import script_main
from snnlearn.errors import ConfigError
from snnlearn.experiment import RunContext
from snnlearn.figures import plasticity as figures
from snnlearn.rules.hebbian import bcm_step, oja_step

PARAMS = {
    "oja": {
        "eigenvalues": [
            4.0,
            2.0,
            1.0,
            1.0,
            0.5,
            0.5,
            0.25,
            0.25,
            0.1,
            0.1,
        ],  # input covariance spectrum
        "eta": 0.002,
        "samples": 20000,
    },
    "bcm": {
        "n_patterns": 4,
        "n_inputs": 20,
        "eta": 0.005,
        "tau_theta": 50.0,  # samples
        "y0": 1.0,
        "samples": 40000,
    },
    "record_every": 100,
}
QUICK = {"oja.samples": 5000, "bcm.samples": 15000}


def check(ctx: RunContext) -> None:
    oja, bcm = ctx.params["oja"], ctx.params["bcm"]
    spectrum = oja["eigenvalues"]
    if (
        len(spectrum) < 2
        or min(spectrum) <= 0
        or sorted(spectrum, reverse=True) != list(spectrum)
        or spectrum[0] == spectrum[1]
    ):
        raise ConfigError(
            "oja.eigenvalues",
            f"got {spectrum}",
            "expected >= 2 positive values, decreasing, the first one strictly largest",
        )
    if bcm["n_patterns"] < 2 or bcm["n_inputs"] < bcm["n_patterns"]:
        raise ConfigError(
            "bcm.n_patterns",
            f"{bcm['n_patterns']} patterns on {bcm['n_inputs']} inputs",
            "expected 2 <= n_patterns <= n_inputs",
        )
    for key in (
        "oja.eta",
        "oja.samples",
        "bcm.eta",
        "bcm.tau_theta",
        "bcm.y0",
        "bcm.samples",
        "record_every",
    ):
        node = ctx.params
        for part in key.split("."):
            node = node[part]
        if node <= 0:
            raise ConfigError(key, f"{node} is not positive", "expected a value > 0")


def run_oja(p: dict, rng: np.random.Generator, record_every: int) -> dict:
    eigenvalues = np.asarray(p["eigenvalues"], dtype=float)
    n = eigenvalues.size
    rotation, _ = np.linalg.qr(rng.normal(size=(n, n)))
    pc1 = rotation[:, 0]
    inputs = (rng.normal(size=(p["samples"], n)) * np.sqrt(eigenvalues)) @ rotation.T
    w = 0.1 * rng.normal(size=n)
    cosine, norm = [abs(w @ pc1) / np.linalg.norm(w)], [np.linalg.norm(w)]  # from sample 0
    for k, x in enumerate(inputs):
        w = oja_step(w, x, p["eta"])
        if (k + 1) % record_every == 0:
            cosine.append(abs(w @ pc1) / np.linalg.norm(w))
            norm.append(np.linalg.norm(w))
    sample_cov = np.cov(inputs.T)
    return {
        "w": w,
        "pc1": pc1,
        "cosine": np.array(cosine),
        "norm": np.array(norm),
        "sample_pc1": np.linalg.eigh(sample_cov)[1][:, -1],
    }


def run_bcm(p: dict, rng: np.random.Generator, record_every: int) -> dict:
    patterns = rng.uniform(0.0, 1.0, size=(p["n_patterns"], p["n_inputs"]))
    patterns /= np.linalg.norm(patterns, axis=1, keepdims=True)
    w = rng.uniform(0.1, 0.3, size=p["n_inputs"])
    theta = 0.0
    responses, thresholds = [np.maximum(patterns @ w, 0.0)], [theta]  # from sample 0
    for k, shown in enumerate(rng.integers(p["n_patterns"], size=p["samples"])):
        w, theta, _ = bcm_step(w, theta, patterns[shown], p["eta"], p["tau_theta"], p["y0"])
        if (k + 1) % record_every == 0:
            responses.append(np.maximum(patterns @ w, 0.0))
            thresholds.append(theta)
    return {
        "w": w,
        "patterns": patterns,
        "responses": np.array(responses),
        "theta": np.array(thresholds),
    }


def bcm_fixed_point(p: dict) -> float:
    """The selective fixed point of BCM: a neuron answering one of n patterns (shown equally often)
    with y has theta = E[y^2] / y0 = y^2 / (n y0), and its weights stop moving when y = theta, so
    y = theta = n y0."""
    return float(p["n_patterns"] * p["y0"])


def selectivity(responses: np.ndarray) -> float:
    """BCM (1982): 1 - mean / max of a neuron's responses to the patterns (0 if all are 0)."""
    top = float(np.max(responses))
    return 1.0 - float(np.mean(responses)) / top if top > 0 else 0.0


def run(ctx: RunContext) -> dict:
    every = ctx.params["record_every"]
    oja = run_oja(ctx.params["oja"], ctx.rng, every)
    bcm = run_bcm(ctx.params["bcm"], ctx.rng, every)
    samples_oja = every * np.arange(oja["cosine"].size)
    samples_bcm = every * np.arange(bcm["theta"].size)
    ctx.save_arrays(
        "hebbian.npz",
        oja_w=oja["w"],
        pc1=oja["pc1"],
        oja_cosine=oja["cosine"],
        oja_norm=oja["norm"],
        bcm_w=bcm["w"],
        bcm_patterns=bcm["patterns"],
        bcm_responses=bcm["responses"],
        bcm_theta=bcm["theta"],
    )
    ctx.savefig(
        figures.oja(samples_oja, oja["cosine"], oja["norm"]),
        "oja.png",
        note=f"Gaussian inputs, covariance spectrum {ctx.params['oja']['eigenvalues']}.",
    )
    final = bcm["responses"][-1]
    b = ctx.params["bcm"]
    ctx.savefig(
        figures.bcm(samples_bcm, bcm["responses"], bcm["theta"], bcm_fixed_point(b), b["n_patterns"]),
        "bcm.png",
        note=f"Selectivity {selectivity(final):.2f} (at most {1 - 1 / b['n_patterns']:.2f}). At the "
        "fixed point the neuron answers one pattern only, with y = theta = E[y^2] / y0 = n_patterns y0.",
    )
    n_patterns = ctx.params["bcm"]["n_patterns"]
    return {
        "cosine_to_pc1": float(oja["cosine"][-1]),
        "weight_norm": float(oja["norm"][-1]),
        "cosine_to_sample_pc1": float(abs(oja["w"] @ oja["sample_pc1"]) / np.linalg.norm(oja["w"])),
        "bcm_selectivity": selectivity(final),
        "bcm_selectivity_max": 1.0 - 1.0 / n_patterns,
        "bcm_preferred_pattern": int(np.argmax(final)),
        "bcm_responses": final.tolist(),
        "bcm_threshold": float(bcm["theta"][-1]),
        "bcm_fixed_point": bcm_fixed_point(ctx.params["bcm"]),
        "bcm_pattern_overlap_mean": float(
            np.mean((bcm["patterns"] @ bcm["patterns"].T)[np.triu_indices(n_patterns, 1)])
        ),
    }


if __name__ == "__main__":
    script_main(__file__)
