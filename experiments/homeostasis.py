"""Homeostasis: an adaptive threshold gathers rates in a band; normalisation keeps weight sums.

Diehl & Cook (2015) Front Comput Neurosci 9:99 stabilise STDP learning with two homeostatic
mechanisms inside the simulation (models/homeostasis.toml, snnlearn/rules/homeostasis.py): each
of the 20 excitatory neurons' thresholds rises by theta_plus at every spike and decays with
tau_theta (``adaptive_lif``), and every 50 ms each neuron's incoming weights are rescaled to a
fixed sum (``normalize``). The neurons inhibit each other (every spike inhibits the others) and
receive 50 Poisson inputs whose rates are spread from ``rate_low_hz`` to ``rate_high_hz`` through
random, plastic (Diehl & Cook STDP) synapses (connection probability 0.5), so that their drives
differ. The same network runs twice, each time built afresh from the same seed (so from the same
initial state and input spikes): with the adaptive threshold, and as a control with the threshold
frozen at its initial value (``adapting = 0``); normalisation is on in both. Each condition runs
for ``duration`` in a session, in chunks of ``chunk`` that carry the whole state, so the result
does not depend on the chunk length; rates (spike counts), thresholds and weights are sampled
every ``sample_dt`` of simulated time (a whole number of chunks) from the start.

Metrics: ``rate_cv_final`` (coefficient of variation of the neurons' rates over the last
``final_window`` with the adaptive threshold), ``rate_cv_control_final`` (the same without it)
and ``rate_cv_initial`` (the spread before any adaptation: the rates of the first ``sample_dt``
with the threshold at its initial value, i.e. of the control run, which starts from the same
state and inputs; ``rate_cv_initial_adaptive`` is the adaptive run's first window, in which theta
already moves), ``fraction_in_band`` (neurons whose final rate lies within ``band`` times the
population mean; control: ``fraction_in_band_control``), ``rate_mean_final_hz``, and
``weight_sum_error`` (largest relative deviation of a neuron's incoming weight sum from the
normalisation total at the end; the rule moves the sums for at most one period after the last
normalisation). Figures: time_course.png (rate of every neuron in both conditions on one y
scale, theta of every neuron, mean weight from the lowest- and highest-rate inputs, from t = 0),
raster.png (inputs and neurons of both conditions in the first and last ``raster_seconds``, every
neuron on the axis), rate_spread.png (CV against time, with the CV that Poisson counting alone
gives to equal rates, 1/sqrt(mean count): the adaptive run sits near it), weight_sums.png
(incoming weight sums at the end).
"""

from __future__ import annotations

import numpy as np
from brian2 import Hz, mV, second

from snnlearn.build import build_network
from snnlearn.cli import script_main
from snnlearn.engine import backend_session
from snnlearn.errors import ConfigError
from snnlearn.experiment import RunContext
from snnlearn.figures import plasticity as figures
from snnlearn.rules.homeostasis import incoming_sums
from snnlearn.session import Session, chunk_count, run_in_chunks

MODEL = "homeostasis"
BACKEND = "standalone"
INPUTS, NEURONS, SYNAPSES = "inputs", "exc", "input"
PARAMS = {
    "rate_low_hz": 2.0,
    "rate_high_hz": 40.0,
    "duration": 60 * second,  # of each condition
    "chunk": 2 * second,  # one compiled run; must divide duration and sample_dt (the whole state is carried)
    "sample_dt": 2 * second,  # rates and thresholds are sampled on this grid of simulated time
    "final_window": 10 * second,  # the final rates: the last final_window (a multiple of sample_dt)
    "band": [0.5, 1.5],  # relative to the population mean rate
    "raster_seconds": 1 * second,  # the raster shows the first and the last raster_seconds
}
QUICK = {
    "duration": 16 * second,
    "final_window": 4 * second,
    "groups.exc.params.tau_theta": "2 s",
}
QUICK_NOTE = "The threshold decays with 2 s instead of 20 s, so that 16 s show adaptation."


def check(ctx: RunContext) -> None:
    p, spec = ctx.params, ctx.model
    if NEURONS not in spec.groups or getattr(spec.groups[NEURONS].neuron, "name", None) != "adaptive_lif":
        raise ConfigError(
            f"groups.{NEURONS}", "missing or not adaptive_lif", "this experiment needs the adaptive threshold"
        )
    if not 0 < float(p["raster_seconds"] / second) <= float(p["duration"] / second):
        raise ConfigError("raster_seconds", f"got {p['raster_seconds']}", "expected 0 < raster_seconds <= duration")
    syn = spec.synapses.get(SYNAPSES)
    if syn is None or syn.normalize is None or syn.post != NEURONS or spec.groups[syn.pre].kind != "poisson":
        raise ConfigError(
            f"synapses.{SYNAPSES}",
            "missing, not normalised, or not from Poisson inputs",
            f"expected normalised synapses from a Poisson group to {NEURONS}",
        )
    if not 0 <= p["rate_low_hz"] <= p["rate_high_hz"]:
        raise ConfigError(
            "rate_low_hz", f"{p['rate_low_hz']} to {p['rate_high_hz']} Hz", "expected 0 <= rate_low_hz <= rate_high_hz"
        )
    chunk_count(p["duration"], p["chunk"])
    chunk_count(p["sample_dt"], p["chunk"], "chunk", "sample_dt")  # samples are taken at chunk ends
    n_samples = chunk_count(p["duration"], p["sample_dt"], "sample_dt")
    ratio = float(p["final_window"] / p["sample_dt"])
    if not (1 <= round(ratio) <= n_samples and abs(ratio - round(ratio)) <= 1e-9 * ratio):
        raise ConfigError(
            "final_window",
            f"{p['final_window']} is not a whole number of samples of {p['sample_dt']} within {p['duration']}",
            "expected final_window = k * sample_dt with 1 <= k <= duration / sample_dt",
        )
    if len(p["band"]) != 2 or not 0 <= p["band"][0] < p["band"][1]:
        raise ConfigError("band", f"got {p['band']}", "expected [low, high] with 0 <= low < high")


def cv(rates: np.ndarray) -> float:
    """Coefficient of variation across neurons (0 when all are silent)."""
    mean = float(np.mean(rates))
    return float(np.std(rates) / mean) if mean > 0 else 0.0


def run_condition(ctx: RunContext, label: str, adapting: float) -> tuple[dict, float]:
    """Run one condition on a network built afresh (so from the seed's initial state and inputs).

    Parameters
    ----------
    ctx
        The run's context (parameters, model, backend, seed, checkpoint folder).
    label
        ``"adaptive"`` or ``"control"``: names the checkpoint ``checkpoint_{label}.npz``.
    adapting
        The neurons' ``adapting`` flag: 1 lets the threshold adapt, 0 freezes it.

    Returns
    -------
    tuple of (dict, float)
        The records of :func:`run_in_chunks` (``counts``: spikes per neuron in each chunk;
        ``theta_mV`` and ``w`` at the end of each sample; ``<group>_i``, ``<group>_t``: spikes in
        the raster's windows; ``post_index``, ``pre_index`` after the last chunk) and the seconds
        spent compiling.
    """
    p, spec = ctx.params, ctx.model
    n_chunks = chunk_count(p["duration"], p["chunk"])
    per_sample = chunk_count(p["sample_dt"], p["chunk"], "chunk", "sample_dt")
    rates = {INPUTS: "rate_low + (rate_high - rate_low) * i / (N - 1)"}
    namespace = {"rate_low": p["rate_low_hz"] * Hz, "rate_high": p["rate_high_hz"] * Hz}
    key = f"homeostasis-{spec.groups[INPUTS].n}-{spec.groups[NEURONS].n}"
    with backend_session(ctx.backend, ctx.seed, key=key) as build_dir:
        net = build_network(spec, record_spikes=[INPUTS, NEURONS], rates=rates, namespace=namespace)
        neurons, synapses, spikes = net.groups[NEURONS], net.synapses[SYNAPSES], net.spikes[NEURONS]
        duration, raster_s = float(p["duration"] / second), float(p["raster_seconds"] / second)
        session = Session(net.network, backend=ctx.backend, chunk=p["chunk"], build_dir=build_dir)
        session.set(neurons, "adapting", adapting)

        def record(k: int) -> dict:
            out = {"counts": session.spike_count(spikes)}
            if (k + 1) % per_sample == 0:  # the end of a chunk on the sampling grid
                out["theta_mV"] = np.asarray(session.get(neurons, "theta") / mV)
                out["w"] = np.asarray(session.get(synapses, "w"))
            for group in (INPUTS, NEURONS):  # spikes of the raster's windows, whatever the chunk
                i, t = session.spikes(net.spikes[group])
                shown = (t < raster_s) | (t >= duration - raster_s)
                out[f"{group}_i"], out[f"{group}_t"] = i[shown], t[shown]
            if k == n_chunks - 1:
                # in the checkpointed records: a resumed run that has nothing left to simulate
                # cannot read them from a standalone program
                out["post_index"], out["pre_index"] = np.asarray(synapses.j[:]), np.asarray(synapses.i[:])
            return out

        records = run_in_chunks(
            session, n_chunks, record, checkpoint=ctx.path(f"checkpoint_{label}.npz"), label=f"{label} threshold"
        )
        if session.compile_seconds:
            ctx.log(f"{label}: compiled in {session.compile_seconds:.1f} s")
    return records, session.compile_seconds


def _spikes(records: dict, group: str) -> tuple[np.ndarray, np.ndarray]:
    """The raster's spikes of one group over every chunk: (indices, times in s)."""
    return np.concatenate(records[f"{group}_i"]).astype(int), np.concatenate(records[f"{group}_t"])


def _windows(p: dict) -> list[tuple[float, float]]:
    duration, raster = float(p["duration"] / second), float(p["raster_seconds"] / second)
    return [(0.0, raster), (duration - raster, duration)] if 2 * raster < duration else [(0.0, duration)]


def run(ctx: RunContext) -> dict:
    p, spec = ctx.params, ctx.model
    sample_s = float(p["sample_dt"] / second)
    n_samples = chunk_count(p["duration"], p["sample_dt"], "sample_dt")
    n_final = int(round(float(p["final_window"] / p["sample_dt"])))
    n_post = spec.groups[NEURONS].n
    total = spec.synapses[SYNAPSES].normalize.total
    runs, compile_seconds = {}, 0.0
    for label, adapting in (("adaptive", 1.0), ("control", 0.0)):
        runs[label], seconds = run_condition(ctx, label, adapting)
        compile_seconds += seconds
    # spike counts per chunk, summed on the sampling grid: sample x neuron
    rates_t = {
        label: np.stack(rec["counts"]).reshape(n_samples, -1, n_post).sum(axis=1) / sample_s
        for label, rec in runs.items()
    }
    final = {label: r[-n_final:].mean(axis=0) for label, r in rates_t.items()}
    w_t = {label: np.stack(rec["w"]) for label, rec in runs.items()}  # sample x synapse
    final_w, pre = w_t["adaptive"][-1], runs["adaptive"]["pre_index"][-1]
    sums = incoming_sums(final_w, runs["adaptive"]["post_index"][-1], n_post)
    low, high = p["band"]

    def in_band(r: np.ndarray) -> float:
        return float(np.mean((r >= low * r.mean()) & (r <= high * r.mean()))) if r.mean() > 0 else 0.0

    times = sample_s * np.arange(1, n_samples + 1)  # the end of each sample
    theta = np.stack(runs["adaptive"]["theta_mV"])
    theta0 = float(getattr(spec.groups[NEURONS].neuron, "theta_init", 0 * mV) / mV)
    ctx.save_arrays(
        "homeostasis.npz",
        times_s=times,
        rates_adaptive=rates_t["adaptive"],
        rates_control=rates_t["control"],
        theta_mV=theta,
        w_final=final_w,
        weight_sums=sums,
        **{f"w_{label}": w for label, w in w_t.items()},
    )
    quarter = max(1, spec.groups[INPUTS].n // 4)
    by_input = {
        f"{label}, {name}": w[:, mask].mean(axis=1)
        for label, w in w_t.items()
        for name, mask in (
            ("lowest-rate quarter", pre < quarter),
            ("highest-rate quarter", pre >= spec.groups[INPUTS].n - quarter),
        )
    }
    centres = times - sample_s / 2
    ctx.savefig(
        figures.homeostasis_time(
            centres,
            rates_t,
            np.concatenate([[0.0], times]),
            np.vstack([np.full(n_post, theta0), theta]),
            times,
            by_input,
            (low, high),
        ),
        "time_course.png",
        note=f"Rates: spike counts in windows of {sample_s:g} s (drawn at their middle); "
        "theta and weights at the end of each window (theta at t = 0: its initial value).",
    )
    groups = {
        "inputs": (*_spikes(runs["adaptive"], INPUTS), spec.groups[INPUTS].n),
        **{f"{NEURONS}, {label}": (*_spikes(rec, NEURONS), n_post) for label, rec in runs.items()},
    }
    ctx.savefig(
        figures.raster_windows(groups, _windows(p)),
        "raster.png",
        note="Inputs: rate rising with the index, the same spikes in both conditions.",
    )
    counting_noise = 1 / np.sqrt(np.maximum(rates_t["adaptive"].mean(axis=1) * sample_s, 1.0))
    ctx.savefig(
        figures.rate_spread(centres, {label: [cv(r) for r in rt] for label, rt in rates_t.items()}, counting_noise),
        "rate_spread.png",
    )
    ctx.savefig(
        figures.weight_sums(sums, total),
        "weight_sums.png",
        note=f"Normalised every {spec.synapses[SYNAPSES].normalize.period / second * 1000:g} ms; "
        "STDP moves the sums between normalisations.",
    )
    return {
        "rate_cv_final": cv(final["adaptive"]),
        "rate_cv_control_final": cv(final["control"]),
        "rate_cv_initial": cv(rates_t["control"][0]),  # the same start, the threshold not yet moved
        "rate_cv_initial_adaptive": cv(rates_t["adaptive"][0]),
        "rate_mean_final_hz": float(final["adaptive"].mean()),
        "rate_mean_control_final_hz": float(final["control"].mean()),
        "fraction_in_band": in_band(final["adaptive"]),
        "fraction_in_band_control": in_band(final["control"]),
        "rates_final_hz": final["adaptive"].tolist(),
        "theta_final_mV": theta[-1].tolist(),
        "weight_sum_error": float(np.max(np.abs(sums - total)) / total),
        "weight_sum_total": total,
        "simulated_seconds": 2 * float(p["duration"] / second),
        "compile_seconds": compile_seconds,
    }


if __name__ == "__main__":
    script_main(__file__)
