"""Exact weight changes of pair and triplet STDP on prescribed spike trains, and least-squares fits.

The rules of :mod:`snnlearn.rules.stdp` (additive pair rule) and :mod:`snnlearn.rules.triplet`
(Pfister & Gerstner 2006) are event-driven: between spikes the traces decay exponentially, at a
spike the weight jumps by an amount read from the traces just before it. Far from the weight
bounds (the unbounded models of Pfister & Gerstner) the change over a protocol is therefore a
linear function of the four amplitudes,

``dw = a2_plus F1 + a3_plus F2 - a2_minus F3 - a3_minus F4``,

with ``F1 = sum_post r1``, ``F2 = sum_post r1 o2``, ``F3 = sum_pre o1``, ``F4 = sum_pre o1 r2``,
every trace read before the spike's own update (Pfister & Gerstner 2006, Eqs. 1-4).
:func:`trace_features` computes the four sums by one loop over the merged spike trains, with the
project's conventions: a pre and a post spike at the same time count as dt = 0+ (pre first, as
the Brian2 pathways run), ``all_to_all`` adds 1 to a trace at a spike, ``nearest`` resets it to 1.
The additive pair rule is the triplet rule with ``a3_plus = a3_minus = 0`` (``r1`` is its
``apre``, ``o1`` its ``apost``).

Fitting (:func:`fit_rule`): for given time constants the best amplitudes solve a non-negative
linear least-squares problem exactly (``scipy.optimize.nnls``); free time constants are found
around it by Nelder-Mead on their logarithms from several starts (variable projection). Every
rule is fitted by this one procedure, so their residuals are comparable.

References: Pfister & Gerstner (2006) J Neurosci 26:9673; Morrison, Diesmann & Gerstner (2008)
Biol Cybern 98:459 (nearest-spike schemes); Sjostrom, Turrigiano & Nelson (2001) Neuron 32:1149.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import minimize, nnls

#: The amplitudes, in the order of the features.
AMPLITUDES = ("a2_plus", "a3_plus", "a2_minus", "a3_minus")
#: The time constants (ms) the features depend on.
TIME_CONSTANTS = ("tau_plus", "tau_minus", "tau_x", "tau_y")
#: Bi & Poo's time constants and the triplet defaults of the minimal all-to-all model (ms).
DEFAULT_TAUS_MS = {"tau_plus": 16.8, "tau_minus": 33.7, "tau_x": 101.0, "tau_y": 114.0}
INTERACTIONS = ("all_to_all", "nearest")


def trace_features(
    pre_ms: np.ndarray, post_ms: np.ndarray, taus_ms: Mapping[str, float], interaction: str = "all_to_all"
) -> np.ndarray:
    """The sums ``(F1, F2, F3, F4)`` of one pair of spike trains (times in ms).

    Parameters
    ----------
    pre_ms, post_ms
        Spike times of the pre- and postsynaptic neuron, in ms (any order).
    taus_ms
        ``tau_plus``, ``tau_minus``, ``tau_x``, ``tau_y`` in ms.
    interaction
        ``all_to_all`` (a spike adds 1 to its traces) or ``nearest`` (it resets them to 1).

    Returns
    -------
    numpy.ndarray
        Shape (4,): the weight change is ``features @ (a2_plus, a3_plus, -a2_minus, -a3_minus)``.
    """
    if interaction not in INTERACTIONS:
        raise ValueError(f"unknown interaction {interaction!r}; expected one of {INTERACTIONS}")
    tp, tm, tx, ty = (float(taus_ms[k]) for k in TIME_CONSTANTS)
    events = sorted([(float(t), 0) for t in pre_ms] + [(float(t), 1) for t in post_ms])
    r1 = r2 = o1 = o2 = 0.0
    last = events[0][0] if events else 0.0
    out = np.zeros(4)
    for t, is_post in events:
        gap = t - last
        r1 *= np.exp(-gap / tp)
        r2 *= np.exp(-gap / tx)
        o1 *= np.exp(-gap / tm)
        o2 *= np.exp(-gap / ty)
        last = t
        if is_post:
            out[0] += r1
            out[1] += r1 * o2
            o1, o2 = (o1 + 1, o2 + 1) if interaction == "all_to_all" else (1.0, 1.0)
        else:
            out[2] += o1
            out[3] += o1 * r2
            r1, r2 = (r1 + 1, r2 + 1) if interaction == "all_to_all" else (1.0, 1.0)
    return out


def weight_change(
    pre_ms: np.ndarray, post_ms: np.ndarray, params: Mapping[str, float], interaction: str = "all_to_all"
) -> float:
    """Exact weight change of the unbounded triplet rule (time constants in ms, missing
    amplitudes 0); the additive pair rule with ``a_plus``/``a_minus`` given as
    ``a2_plus``/``a2_minus``."""
    taus = {k: float(params.get(k, DEFAULT_TAUS_MS[k])) for k in TIME_CONSTANTS}
    amps = np.array([params.get(k, 0.0) for k in AMPLITUDES]) * np.array([1, 1, -1, -1])
    return float(trace_features(pre_ms, post_ms, taus, interaction) @ amps)


@dataclass(frozen=True)
class RuleFamily:
    """A rule to fit: which amplitudes and time constants are free, the others' fixed values.

    Attributes
    ----------
    amplitudes
        The free amplitudes (non-negative); the others are 0.
    free_taus
        The time constants fitted (ms, positive); the others keep ``taus_ms``.
    taus_ms
        Values (ms) of the fixed time constants, and starting values of the free ones.
    interaction
        ``all_to_all`` or ``nearest``.
    """

    amplitudes: tuple[str, ...]
    free_taus: tuple[str, ...] = ()
    taus_ms: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TAUS_MS))
    interaction: str = "all_to_all"


@dataclass
class Fit:
    """A fitted rule: every parameter (time constants in ms), the residual and the model's
    weight change per condition."""

    params: dict[str, float]
    rmse: float
    dw: np.ndarray
    free: list[str]

    def as_dict(self) -> dict[str, object]:
        """The fit as JSON-friendly values (``dw`` as a list)."""
        return {"params": self.params, "rmse": self.rmse, "dw": self.dw.tolist(), "free": self.free}


def _design(trains: Sequence[tuple[np.ndarray, np.ndarray]], taus: Mapping[str, float], interaction: str) -> np.ndarray:
    return np.array([trace_features(pre, post, taus, interaction) for pre, post in trains])


def _amplitude_fit(design: np.ndarray, target: np.ndarray, amplitudes: Sequence[str]) -> tuple[np.ndarray, float]:
    """Non-negative least-squares amplitudes (full length 4, zeros where not free) and rmse."""
    columns = [AMPLITUDES.index(a) for a in amplitudes]
    signs = np.array([1, 1, -1, -1])[columns]
    coef, _ = nnls(design[:, columns] * signs, target)
    full = np.zeros(4)
    full[columns] = coef
    residual = design @ (full * np.array([1, 1, -1, -1])) - target
    return full, float(np.sqrt(np.mean(residual**2)))


def fit_rule(
    trains: Sequence[tuple[np.ndarray, np.ndarray]],
    target: Sequence[float],
    family: RuleFamily,
    starts: Sequence[float] = (0.5, 1.0, 2.0, 4.0),
    tau_bounds_ms: tuple[float, float] = (1.0, 2000.0),
) -> Fit:
    """Least-squares fit of ``family`` to the weight changes ``target`` of the protocols ``trains``.

    Parameters
    ----------
    trains
        One (pre, post) pair of spike-time arrays (ms) per condition.
    target
        The measured weight change of each condition.
    family
        Free amplitudes and time constants, the fixed values.
    starts
        Multiples of the starting time constants tried for the free ones (each free time
        constant scaled by the same factor, then one Nelder-Mead run per start).
    tau_bounds_ms
        Range the free time constants are kept in.

    Returns
    -------
    Fit
        The parameters of the best start, with the root-mean-square residual.
    """
    y = np.asarray(target, float)
    base = {k: float(family.taus_ms.get(k, DEFAULT_TAUS_MS[k])) for k in TIME_CONSTANTS}
    lo, hi = np.log(tau_bounds_ms[0]), np.log(tau_bounds_ms[1])

    def taus_of(log_taus: np.ndarray) -> dict[str, float]:
        return {
            **base,
            **{k: float(np.exp(np.clip(v, lo, hi))) for k, v in zip(family.free_taus, log_taus, strict=True)},
        }

    def loss(log_taus: np.ndarray) -> float:
        return _amplitude_fit(_design(trains, taus_of(log_taus), family.interaction), y, family.amplitudes)[1]

    best = np.log([base[k] for k in family.free_taus])
    if family.free_taus:
        results = [
            minimize(
                loss, best + np.log(s), method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-7, "maxiter": 2000}
            )
            for s in starts
        ]
        best = min(results, key=lambda r: r.fun).x
    taus = taus_of(best)
    design = _design(trains, taus, family.interaction)
    amps, rmse = _amplitude_fit(design, y, family.amplitudes)
    params = {**dict(zip(AMPLITUDES, amps.tolist(), strict=True)), **taus}
    return Fit(params, rmse, design @ (amps * np.array([1, 1, -1, -1])), [*family.amplitudes, *family.free_taus])


def as_rule_table(fit: Fit, rule: str, interaction: str, w_max: float) -> dict[str, object]:
    """The fitted parameters as a model-file rule table (``stdp_additive`` or ``triplet``)."""
    p = fit.params
    taus = {k: f"{p[k]:.10g} ms" for k in ("tau_plus", "tau_minus")}
    if rule == "stdp_additive":
        return {
            "name": rule,
            **taus,
            "a_plus": p["a2_plus"],
            "a_minus": p["a2_minus"],
            "w_max": w_max,
            "interaction": interaction,
        }
    return {
        "name": rule,
        **taus,
        "tau_x": f"{p['tau_x']:.10g} ms",
        "tau_y": f"{p['tau_y']:.10g} ms",
        **{a: p[a] for a in AMPLITUDES},
        "w_max": w_max,
        "interaction": interaction,
    }


def rule_params(rule: Any) -> tuple[dict[str, float], str]:
    """The parameters (time constants in ms) and interaction of an ``stdp_additive`` or
    ``triplet`` rule object, as :func:`weight_change` takes them."""
    from brian2 import ms

    name = getattr(rule, "name", "")
    if name == "stdp_additive":
        params = {
            "a2_plus": rule.a_plus,
            "a2_minus": rule.a_minus,
            "tau_plus": float(rule.tau_plus / ms),
            "tau_minus": float(rule.tau_minus / ms),
        }
    elif name == "triplet":
        params = {
            **{a: float(getattr(rule, a)) for a in AMPLITUDES},
            **{k: float(getattr(rule, k) / ms) for k in TIME_CONSTANTS},
        }
    else:
        raise ValueError(f"no exact computation for rule {name!r}; expected stdp_additive or triplet")
    return params, rule.interaction


def sign_matches(model: np.ndarray, data: np.ndarray) -> list[bool]:
    """Per condition: does the model's weight change have the sign of the data's (0 matches
    nothing)?"""
    return [bool(np.sign(m) == np.sign(d) and d != 0) for m, d in zip(model, data, strict=True)]
