"""STDP window: Bi & Poo's (1998) pairing protocol on a plasticity rule, fitted by exponentials.

For each spike-timing difference dt = t_post - t_pre in -lag_max_ms..lag_max_ms (step
lag_step_ms), a synapse gets ``n_pairings`` pre/post pairings at ``frequency_hz`` (Bi & Poo 1998,
Fig. 7: 60 pairings at 1 Hz); every dt is one synapse of the same simulation
(models/stdp_pairing.toml, one pre and one post spike generator per dt; any rule can be set on
``synapses.pairing``). Weights start mid-range (0.5 of w_max) so that no bound is reached.

The weight change is reported **per pairing**: (final - initial weight) / n_pairings (at 1 Hz
the traces of one pairing have decayed long before the next, so the pairings add up). The two
sides are fitted (scipy curve_fit) with ``a_plus exp(-dt/tau_plus)`` (dt > 0) and
``-a_minus exp(dt/tau_minus)`` (dt < 0); dt = 0 is measured but not fitted. Metrics:
``fitted_tau_plus_ms``, ``fitted_tau_minus_ms``, ``fitted_a_plus``, ``fitted_a_minus``, which for
an additive pair rule reproduce its parameters (Bi & Poo's 16.8 / 33.7 ms with
``--set synapses.pairing.rule.tau_plus="16.8 ms" --set synapses.pairing.rule.tau_minus="33.7 ms"``),
and ``relative_error`` of each against the rule's parameter of the same name. For a
weight-dependent rule the fitted amplitudes are effective ones (``a_plus (1 - w/w_max)**mu``
averaged over the drift of w during the protocol). That fit is a check of the simulation: it
recovers the rule's own parameters, not Bi & Poo's data.

The comparison with the experimental window is ``bi_poo_window`` and ``model_vs_bi_poo``: the
exponentials fitted to Bi & Poo's (1998) data in the literature, tau_plus = 16.8 ms and
tau_minus = 33.7 ms (van Rossum, Bi & Turrigiano 2000, J Neurosci 20:8812; Bi & Poo 2001, Annu
Rev Neurosci 24:139, Fig. 1), with amplitudes A+ = 0.777 and A- = 0.273 (Bi & Poo 2001): the
fractional change of the EPSC amplitude after the whole protocol of 60 pairings at 1 Hz. The
model's fitted amplitudes are brought to the same normalisation (dw per pairing x 60 /
w_init: a relative change after the protocol, pairings adding linearly); ``model_vs_bi_poo``
holds the ratios model / experiment of both time constants, both amplitudes, the ratio
A- / A+ and the ratio of the areas A- tau- / (A+ tau+) (the balance of depression and
potentiation for uncorrelated spikes; 0.70 in the data).

Figure: window.png (left: dw per pairing against dt, with the fits; right: the relative change
after 60 pairings beside Bi & Poo's published window).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import curve_fit

from snnlearn.cli import script_main
from snnlearn.errors import ConfigError
from snnlearn.experiment import RunContext
from snnlearn.figures.plasticity import stdp_window
from snnlearn.pairing import Pairing, pairing_trains, run_spike_trains, weight_changes

MODEL = "stdp_pairing"
BACKEND = "standalone"
SYNAPSE = "pairing"
PARAMS = {
    "lag_max_ms": 100,  # dt from -lag_max_ms to +lag_max_ms
    "lag_step_ms": 5,
    "n_pairings": 60,  # Bi & Poo (1998): 60 pairings at 1 Hz
    "frequency_hz": 1.0,
}
QUICK = {"lag_step_ms": 10, "n_pairings": 10}

#: Exponentials fitted to Bi & Poo's (1998) window: time constants as in van Rossum, Bi &
#: Turrigiano (2000) and Bi & Poo (2001) Fig. 1, amplitudes of Bi & Poo (2001) as fractional
#: changes of the EPSC amplitude after 60 pairings at 1 Hz.
BI_POO = {
    "source": "Bi & Poo (1998) data; fit of Bi & Poo (2001) Annu Rev Neurosci 24:139, Fig. 1; "
    "van Rossum, Bi & Turrigiano (2000) J Neurosci 20:8812",
    "tau_plus_ms": 16.8,
    "tau_minus_ms": 33.7,
    "a_plus": 0.777,
    "a_minus": 0.273,
    "normalisation": "fractional change of the EPSC amplitude after 60 pairings at 1 Hz",
    "n_pairings": 60,
}


def compare_with_bi_poo(fitted: dict, w_init: float, n_pairings: int) -> dict:
    """Ratios model / Bi & Poo of the window's time constants and amplitudes (the model's
    amplitudes as relative changes after ``n_pairings``, pairings adding linearly), of A-/A+ and
    of the areas A- tau- / (A+ tau+)."""
    if None in fitted.values():
        return {}
    model = {
        "tau_plus_ms": fitted["tau_plus_ms"],
        "tau_minus_ms": fitted["tau_minus_ms"],
        "a_plus": fitted["a_plus"] * n_pairings / w_init,
        "a_minus": fitted["a_minus"] * n_pairings / w_init,
    }
    ratios = {k: model[k] / BI_POO[k] for k in model}

    def area(w: dict) -> float:
        return w["a_minus"] * w["tau_minus_ms"] / (w["a_plus"] * w["tau_plus_ms"])

    return {
        "model_relative_change_after_protocol": model,
        "ratio": ratios,
        "a_minus_over_a_plus": {
            "model": model["a_minus"] / model["a_plus"],
            "bi_poo": BI_POO["a_minus"] / BI_POO["a_plus"],
        },
        "area_ratio": {"model": area(model), "bi_poo": area(BI_POO)},
    }


def check(ctx: RunContext) -> None:
    p = ctx.params
    syn = ctx.model.synapses.get(SYNAPSE)
    if syn is None or syn.rule is None:
        raise ConfigError(
            f"synapses.{SYNAPSE}.rule",
            "missing",
            f"this experiment measures the rule of synapses named {SYNAPSE}",
        )
    if not 0 < p["lag_step_ms"] <= p["lag_max_ms"]:
        raise ConfigError(
            "lag_step_ms",
            f"{p['lag_step_ms']} is out of range",
            "expected 0 < lag_step_ms <= lag_max_ms",
        )
    if p["n_pairings"] < 1:
        raise ConfigError("n_pairings", f"{p['n_pairings']} is below 1", "expected at least one pairing")
    if not 0 < p["frequency_hz"] < 500.0 / p["lag_max_ms"]:
        raise ConfigError(
            "frequency_hz",
            f"{p['frequency_hz']} Hz makes pairings overlap",
            f"expected 0 < frequency_hz < {500.0 / p['lag_max_ms']:g} (period > 2 lag_max_ms)",
        )


def _fit_side(lags: np.ndarray, dw: np.ndarray, sign: float) -> tuple[float | None, float | None]:
    """Fit sign * a * exp(-|lag|/tau) to one side of the window: (a, tau in ms), or None."""
    if not np.any(sign * dw > 0):
        return None, None
    x = np.abs(lags)
    guess = (float(np.max(sign * dw)), float(np.mean(x)))
    (a, tau), _ = curve_fit(lambda t, a, tau: sign * a * np.exp(-t / tau), x, dw, p0=guess, maxfev=10000)
    return float(a), float(tau)


def run(ctx: RunContext) -> dict:
    p, spec = ctx.params, ctx.model
    rule = spec.synapses[SYNAPSE].rule
    lags = np.arange(-p["lag_max_ms"], p["lag_max_ms"] + 1, p["lag_step_ms"], dtype=float)
    pre, post = pairing_trains([Pairing(lag, p["frequency_hz"], p["n_pairings"]) for lag in lags])
    ctx.log(f"{len(lags)} spike-timing differences x {p['n_pairings']} pairings, rule {rule.name}")
    result = run_spike_trains(spec, pre, post, backend=ctx.backend, seed=ctx.seed)
    dw = weight_changes(result)[SYNAPSE] / p["n_pairings"]
    a_plus, tau_plus = _fit_side(lags[lags > 0], dw[lags > 0], 1.0)
    a_minus, tau_minus = _fit_side(lags[lags < 0], dw[lags < 0], -1.0)
    fitted = {
        "tau_plus_ms": tau_plus,
        "tau_minus_ms": tau_minus,
        "a_plus": a_plus,
        "a_minus": a_minus,
    }
    expected = {
        "tau_plus_ms": _ms(getattr(rule, "tau_plus", None)),
        "tau_minus_ms": _ms(getattr(rule, "tau_minus", None)),
        "a_plus": getattr(rule, "a_plus", None),
        "a_minus": getattr(rule, "a_minus", None),
    }
    errors = {
        k: abs(fitted[k] / expected[k] - 1) for k in fitted if fitted[k] is not None and expected[k] not in (None, 0)
    }
    ctx.save_arrays("window.npz", lag_ms=lags, dw_per_pairing=dw, w_final=result.weights[SYNAPSE])

    w_init, n = _w_init(spec), BI_POO["n_pairings"]
    relative = dw * n / w_init if np.isfinite(w_init) and w_init > 0 else None
    ctx.savefig(
        stdp_window(lags, dw, fitted, rule.name, relative, BI_POO, "Bi & Poo 2001 fit"),
        "window.png",
        note=f"Right: the model's change per pairing x {n} / w_init (pairings adding linearly) beside the "
        "exponentials fitted to Bi & Poo's (1998) data (their individual points are not bundled).",
    )
    return {
        **{f"fitted_{k}": v for k, v in fitted.items()},
        "rule": rule.name,
        "rule_parameters": expected,
        "relative_error": errors,
        "max_relative_error": max(errors.values(), default=None),
        "bi_poo_window": BI_POO,
        "model_vs_bi_poo": compare_with_bi_poo(fitted, _w_init(spec), BI_POO["n_pairings"]),
        "lag_ms": lags.tolist(),
        "dw_per_pairing": dw.tolist(),
        "n_pairings": p["n_pairings"],
        "simulated_seconds": result.duration_s,
    }


def _w_init(spec) -> float:
    w = spec.synapses[SYNAPSE].w_init
    return float(w) if not isinstance(w, str) else float("nan")


def _ms(value) -> float | None:
    return None if value is None else float(value * 1000)


if __name__ == "__main__":
    script_main(__file__)
