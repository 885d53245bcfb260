"""Frequency dependence of STDP: triplet rules reproduce Sjostrom et al. (2001), pair rules cannot.

Protocol of Sjostrom, Turrigiano & Nelson (2001) Neuron 32:1149 (Fig. 1D) as modelled by Pfister
& Gerstner (2006) J Neurosci 26:9673 (Fig. 4): 60 pairings of a pre and a post spike at 0.1, 10,
20, 40 and 50 Hz, the post spike dt = +10 ms after or -10 ms before the pre spike. Every
(dt, frequency) condition is one synapse of one simulation, and every synapse group of the model
file (models/triplet_frequency.toml) is one rule on the same spike trains: an additive pair rule,
the minimal triplet rule with all-to-all and with nearest-spike interaction (Pfister & Gerstner's
fitted visual-cortex parameter sets, Table 3).

The data are normalised changes of the EPSP amplitude (after/before - 1). As in Pfister &
Gerstner, the model's weight change is compared with them directly: each weight starts at 1 and
``dw`` is its total change over the 60 pairings, i.e. the relative change (the bounds are far
away, so the rules act as the paper's unbounded additive models). At 40 and 50 Hz a -10 ms
pairing is also a +15 / +10 ms pairing with the next pre spike; only the triplet term, which
grows with the recent postsynaptic rate, turns that into LTP as in the data.

Metrics: ``dw_by_frequency`` (per rule, per dt, one value per frequency), ``rmse_vs_sjostrom``
(per rule, over the conditions with data; Pfister & Gerstner's minimal models fit the ten points
to roughly 0.1-0.15), ``ltp_at_minus_10ms_high_frequency`` (per rule: dw > 0 at dt = -10 ms for
40 and 50 Hz, true for the triplet rules and false for the pair rule), and the data themselves.
Figure: frequency.png (dw against pairing frequency, data and rules, as Pfister & Gerstner Fig. 4).
"""

from __future__ import annotations

import numpy as np

from snnlearn import plots
from snnlearn.cli import script_main
from snnlearn.errors import ConfigError
from snnlearn.experiment import RunContext
from snnlearn.pairing import Pairing, pairing_trains, run_spike_trains, weight_changes

MODEL = "triplet_frequency"
BACKEND = "standalone"
PARAMS = {
    "frequencies_hz": [0.1, 10.0, 20.0, 40.0, 50.0],
    "lags_ms": [10.0, -10.0],
    "n_pairings": 60,
}
# the same protocol on a 5 ms grid: every spike time is a multiple of 5 ms, so the result is
# identical and the 600 s of the 0.1 Hz condition take a fifth of the steps
QUICK = {"simulation.dt": "5 ms"}

#: Sjostrom et al. (2001) Fig. 1D as used by Pfister & Gerstner (2006) Fig. 4:
#: {dt in ms: {frequency in Hz: normalised weight change}}.
SJOSTROM_2001 = {
    10.0: {0.1: -0.04, 10.0: 0.14, 20.0: 0.29, 40.0: 0.53, 50.0: 0.56},
    -10.0: {0.1: -0.29, 10.0: -0.41, 20.0: -0.34, 40.0: 0.56, 50.0: 0.75},
}


def check(ctx: RunContext) -> None:
    p = ctx.params
    if min(p["frequencies_hz"]) <= 0:
        raise ConfigError(
            "frequencies_hz", f"got {p['frequencies_hz']}", "expected frequencies > 0 Hz"
        )
    if p["n_pairings"] < 1:
        raise ConfigError(
            "n_pairings", f"{p['n_pairings']} is below 1", "expected at least one pairing"
        )
    shortest = 1000.0 / max(p["frequencies_hz"])
    if max(abs(lag) for lag in p["lags_ms"]) >= shortest:
        raise ConfigError(
            "lags_ms",
            f"a lag of {max(abs(lag) for lag in p['lags_ms']):g} ms is not shorter "
            f"than the {shortest:g} ms between pairings",
            "expected |lag| < 1000 / max frequency",
        )
    if not any(s.rule for s in ctx.model.synapses.values()):
        raise ConfigError(
            "synapses", "no synapse group with a rule", "give at least one plastic synapse group"
        )


def _label(lag: float) -> str:
    return f"{lag:+g} ms"


def run(ctx: RunContext) -> dict:
    p, spec = ctx.params, ctx.model
    freqs, lags = [float(f) for f in p["frequencies_hz"]], [float(lag) for lag in p["lags_ms"]]
    conditions = [Pairing(lag, f, p["n_pairings"]) for lag in lags for f in freqs]
    ctx.log(
        f"{len(conditions)} conditions x {len(spec.synapses)} rules ({', '.join(spec.synapses)})"
    )
    result = run_spike_trains(spec, *pairing_trains(conditions), backend=ctx.backend, seed=ctx.seed)
    changes = {
        name: dw.reshape(len(lags), len(freqs)) for name, dw in weight_changes(result).items()
    }

    by_frequency = {
        name: {_label(lag): dw[k].tolist() for k, lag in enumerate(lags)}
        for name, dw in changes.items()
    }
    pairs = [
        (k, n, SJOSTROM_2001[lag][f])
        for k, lag in enumerate(lags)
        for n, f in enumerate(freqs)
        if f in SJOSTROM_2001.get(lag, {})
    ]
    rmse = {
        name: float(np.sqrt(np.mean([(dw[k, n] - data) ** 2 for k, n, data in pairs])))
        if pairs
        else None
        for name, dw in changes.items()
    }
    high = [n for n, f in enumerate(freqs) if f >= 40.0]
    ltp_high = {
        name: bool(all(dw[lags.index(-10.0), n] > 0 for n in high))
        for name, dw in changes.items()
        if -10.0 in lags and high
    }
    ctx.save_arrays(
        "frequency.npz",
        frequencies_hz=np.array(freqs),
        lags_ms=np.array(lags),
        **{f"dw_{name}": dw for name, dw in changes.items()},
    )
    ctx.savefig(_figure(freqs, lags, changes), "frequency.png")
    for name in changes:
        ctx.log(
            f"{name}: rmse {rmse[name]:.3f}, "
            + ", ".join(
                f"{_label(lag)}: {np.round(changes[name][k], 3).tolist()}"
                for k, lag in enumerate(lags)
            )
        )
    return {
        "dw_by_frequency": by_frequency,
        "rmse_vs_sjostrom": rmse,
        "ltp_at_minus_10ms_high_frequency": ltp_high,
        "frequencies_hz": freqs,
        "sjostrom_2001": {
            _label(lag): [SJOSTROM_2001[lag].get(f) for f in freqs]
            for lag in lags
            if lag in SJOSTROM_2001
        },
        "rules": {
            name: syn.rule.as_dict() | {"name": syn.rule.name}
            for name, syn in spec.synapses.items()
        },
        "simulated_seconds": result.duration_s,
    }


def _figure(freqs: list[float], lags: list[float], changes: dict[str, np.ndarray]):
    """Weight change against pairing frequency: data as points, each rule as lines."""
    ys, styles = {}, []
    for k, lag in enumerate(lags):
        if lag in SJOSTROM_2001:
            ys[f"data {_label(lag)}"] = [SJOSTROM_2001[lag].get(f, np.nan) for f in freqs]
            styles.append(("none", "o" if lag > 0 else "s", "k"))
        for r, (name, dw) in enumerate(changes.items()):
            ys[f"{name} {_label(lag)}"] = dw[k]
            styles.append(("-" if lag > 0 else "--", "", f"C{r}"))
    fig = plots.curves(
        freqs,
        ys,
        "pairing frequency (Hz)",
        "weight change (relative)",
        "60 pairings (Sjostrom et al. 2001; Pfister & Gerstner 2006 Fig. 4)",
        marker="o",
    )
    ax = fig.axes[0]
    for line, (style, marker, color) in zip(ax.lines, styles, strict=True):
        line.set_linestyle(style)
        line.set_marker(marker)
        line.set_color(color)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.legend(fontsize=7, ncol=2)
    return fig


if __name__ == "__main__":
    script_main(__file__)
