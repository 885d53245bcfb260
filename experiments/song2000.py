"""Song, Miller & Abbott (2000): STDP competition makes weights bimodal and balances the output rate.

One conductance-based LIF neuron with 1000 excitatory Poisson inputs (additive STDP with hard
bounds, A-/A+ = 1.05, tau 20 ms) and 200 fixed inhibitory inputs (models/song2000.toml).

Reproduces Song, Miller & Abbott (2000) Nat Neurosci 3:919, Fig. 2 (the weight distribution
becomes bimodal: most weights end near 0 or near g_max) and Fig. 3 (after learning the output
rate is roughly independent of the input rate). Metrics:

- ``weight_bimodality``: fraction of weights below 0.1 g_max or above 0.9 g_max at the end of
  training at the first input rate (the paper's bimodal result); ``weight_bimodality_late_mean``
  and ``_range``: the same over the snapshots of the last ``rate_window`` (the distribution is
  stationary by then: weights keep moving between the peaks);
- ``lower_peak_width``: decay length (fraction of g_max) of the exponential pile of weights at 0,
  fitted to the weights of the last ``rate_window``, beside ``lower_peak_width_theory``, the
  Fokker-Planck prediction for additive STDP, (A+^2 tau+ + A-^2 tau-) / (4 (A- tau- - A+ tau+)),
  which depends on the rule only; ``lower_peak_fraction_within_edge_theory`` = 1 - exp(-0.1 /
  width) bounds how much of a peak can lie within 0.1 g_max of its bound, and so the bimodality;
- ``output_rate_hz``: output rate over the last ``rate_window`` of that training;
- ``output_rate_by_input_rate`` (after learning) and ``output_rate_initial_by_input_rate``
  (first ``sample_dt``, before the weights have moved) for each input rate.

Measured (seed 1, the paper's parameters): bimodality 0.785 at 10 Hz after 4000 s (stationary
0.76-0.80), 0.79 at 20 Hz, 0.83 at 40 Hz; lower-peak width 0.063 g_max against 0.053 predicted.
With both amplitudes halved (``--set synapses.feedforward.rule.a_plus=0.0025 --set
synapses.feedforward.rule.a_minus=0.002625 --set "duration=8000 s"``) the width halves (0.030,
predicted 0.026) and the bimodality at 10 Hz rises to 0.96, with the same output rate (12 Hz): the
share of weights within 0.1 g_max of a bound is set by the rule's step size, not by the competition.

Arrays: ``weights.npz`` (weights every ``sample_dt`` at the first input rate, ``times_s`` their
times, output rates per ``sample_dt``), ``spikes.npz`` (indices ``<group>_i`` and times
``<group>_t`` in seconds of the spikes of the last ``raster_seconds`` of that training, for
``inputs`` and ``out``). The session carries the whole state from chunk to chunk, so none of
this depends on ``chunk`` (which must divide ``sample_dt``).

Figures: raster of the last seconds, weight distribution over time, final weight histogram,
weight traces of sampled synapses, output rate over time, output rate against input rate.
"""

from __future__ import annotations

import numpy as np
from brian2 import Hz, second

from snnlearn import footprint, plots
from snnlearn.analysis import additive_stdp_peak_width, bimodality, lower_peak_width
from snnlearn.build import build_network
from snnlearn.cli import script_main
from snnlearn.engine import backend_session
from snnlearn.errors import ConfigError
from snnlearn.experiment import RunContext
from snnlearn.session import Session, chunk_count, run_in_chunks

MODEL = "song2000"
BACKEND = "standalone"
PARAMS = {
    "duration": 4000 * second,  # training time at the first input rate
    # train each rate for duration x first rate / rate, i.e. for the same number of presynaptic
    # spikes per synapse (STDP's drift and diffusion both scale with the presynaptic rate)
    "equal_input_spikes": True,
    "chunk": 20 * second,  # simulated time per compiled run (the whole state carried across)
    "sample_dt": 20 * second,  # weights and output rate sampled every sample_dt (a multiple of chunk)
    "input_rates": [10.0, 20.0, 40.0],  # Hz; the first is the main run (Fig. 2), all give Fig. 3
    "rate_window": 200 * second,  # output rate measured over the last part of training
    "raster_seconds": 2.0,
    "sample_synapses": 12,
}
QUICK = {
    "duration": 120 * second,
    "chunk": 10 * second,
    "sample_dt": 10 * second,
    "rate_window": 30 * second,
    "input_rates": [10.0, 40.0],
    "equal_input_spikes": False,
    # four times the paper's learning rates so that a short run already shows the drift
    "synapses.feedforward.rule.a_plus": 0.02,
    "synapses.feedforward.rule.a_minus": 0.021,
}
QUICK_NOTE = "Learning rates 4x the paper's (A+ 0.005, A- 0.00525), 120 s instead of 4000 s."


def check(ctx: RunContext) -> None:
    p = ctx.params
    if "feedforward" not in ctx.model.synapses or ctx.model.synapses["feedforward"].rule is None:
        raise ConfigError(
            "synapses.feedforward.rule", "missing", "this experiment needs plastic synapses named feedforward"
        )
    chunk_count(p["sample_dt"], p["chunk"], "chunk", "sample_dt")  # weights are read at chunk ends on the sample grid
    chunk_count(p["duration"], p["sample_dt"], "sample_dt")
    if not 0 < p["raster_seconds"] <= float(p["chunk"] / second):
        raise ConfigError(
            "raster_seconds",
            f"{p['raster_seconds']} is out of range",
            f"expected 0 < raster_seconds <= chunk ({p['chunk']})",
        )
    if not 0 * second < p["rate_window"] <= p["duration"]:
        raise ConfigError(
            "rate_window", f"{p['rate_window']} is out of range", "expected 0 s < rate_window <= duration"
        )
    if not p["input_rates"] or min(p["input_rates"]) <= 0:
        raise ConfigError("input_rates", f"got {p['input_rates']}", "expected a non-empty list of rates > 0 (Hz)")


def chunks_per_rate(p: dict) -> dict[float, int]:
    """Number of chunks trained at each input rate (whole samples of ``sample_dt``)."""
    per_sample = chunk_count(p["sample_dt"], p["chunk"], "chunk", "sample_dt")
    samples = float(p["duration"] / p["sample_dt"])
    first = p["input_rates"][0]
    return {
        rate: per_sample * max(1, int(round(samples * (first / rate if p["equal_input_spikes"] else 1.0))))
        for rate in p["input_rates"]
    }


def recorded(ctx: RunContext) -> list[footprint.Item]:
    """What the run keeps, for the memory estimate: every weight sample at every rate, and a
    chunk of input spikes at the highest rate (the spike monitors hold one chunk at a time)."""
    p, n = ctx.params, ctx.model.groups["inputs"].n
    samples = sum(chunks_per_rate(p).values()) // chunk_count(p["sample_dt"], p["chunk"], "chunk", "sample_dt")
    spikes = n * max(p["input_rates"]) * float(p["chunk"] / second)
    return [footprint.monitor("weight samples", n, 1, samples), footprint.Item("input spikes of a chunk", spikes, 12)]


def run(ctx: RunContext) -> dict:
    p, spec = ctx.params, ctx.model
    sample_s, raster_s = float(p["sample_dt"] / second), float(p["raster_seconds"])
    per_sample = chunk_count(p["sample_dt"], p["chunk"], "chunk")
    n_chunks = chunks_per_rate(p)
    rule = spec.synapses["feedforward"].rule
    w_max = rule.w_max
    window = float(p["rate_window"] / p["sample_dt"])
    with backend_session(ctx.backend, ctx.seed, key=f"song2000-{spec.groups['inputs'].n}") as build_dir:
        net = build_network(spec, record_spikes=["inputs", "out"])
        inputs, synapses = net.groups["inputs"], net.synapses["feedforward"]
        in_spikes, out = net.spikes["inputs"], net.spikes["out"]
        session = Session(net.network, backend=ctx.backend, chunk=p["chunk"], build_dir=build_dir)
        ctx.log(f"compiled in {session.compile():.1f} s" if ctx.backend == "standalone" else "runtime backend")

        runs = {}
        for r, rate in enumerate(p["input_rates"]):

            def record(k: int, last: int = n_chunks[rate] - 1, main: bool = r == 0) -> dict:
                # spikes of the last raster_seconds are recorded (and so checkpointed): a resumed run has them
                t_out = session.spikes(out)[1]
                rec = {
                    "out_spikes": len(t_out),
                    "out_t": t_out[t_out >= session.t - raster_s] if k == last else np.empty(0),
                }
                if (k + 1) % per_sample == 0:
                    rec["w"] = np.asarray(session.get(synapses, "w"))
                if main:
                    i, t = session.spikes(in_spikes)
                    late = t >= session.t - raster_s
                    rec["in_i"] = i[late] if k == last else np.empty(0, dtype=int)
                    rec["in_t"] = t[late] if k == last else np.empty(0)
                return rec

            session.reset()  # every input rate learns from the same initial state
            session.set(inputs, "rates", rate * Hz)
            runs[rate] = run_in_chunks(
                session, n_chunks[rate], record, checkpoint=ctx.path(f"checkpoint_{r}.npz"), label=f"{rate:g} Hz input"
            )
    first = p["input_rates"][0]
    main = runs[first]
    weights = np.stack(main["w"])
    rates = {
        rate: np.asarray(rec["out_spikes"], dtype=float).reshape(-1, per_sample).sum(axis=1) / sample_s
        for rate, rec in runs.items()
    }
    times = sample_s * np.arange(1, len(weights) + 1)
    final_w = weights[-1]
    late = weights[-max(1, int(round(window))) :]
    ctx.save_arrays("weights.npz", times_s=times, weights=weights, **{f"rate_{k:g}Hz": v for k, v in rates.items()})

    raster = {
        "inputs": (main["in_i"][-1], main["in_t"][-1]),
        "out": (np.zeros(len(main["out_t"][-1]), dtype=int), main["out_t"][-1]),
    }
    ctx.save_arrays(
        "spikes.npz",
        **{f"{group}_{key}": value for group, (i, t) in raster.items() for key, value in (("i", i), ("t", t))},
    )
    sizes, unit = {"inputs": spec.groups["inputs"].n, "out": spec.groups["out"].n}, "fraction of g_max"
    ctx.savefig(
        plots.raster(raster, title=f"last {p['raster_seconds']:g} s of training at {first:g} Hz input", sizes=sizes),
        "raster.png",
    )
    ctx.savefig(plots.weight_histogram_over_time(times, weights, w_max, unit=unit), "weight_histogram_over_time.png")
    title = f"final weights (bimodality {bimodality(final_w, w_max):.2f})"
    ctx.savefig(plots.weight_histogram(final_w, w_max, title=title, unit=unit), "weight_histogram_final.png")
    sample = ctx.rng.choice(weights.shape[1], size=min(p["sample_synapses"], weights.shape[1]), replace=False)
    ctx.savefig(
        plots.weight_traces(times, weights[:, sample], bands={"mean": weights.mean(axis=1)}, unit=unit),
        "weight_traces.png",
        note=f"{len(sample)} synapses drawn at random; sampled every {sample_s:g} s.",
    )
    ctx.savefig(
        plots.curves(
            {f"{k:g} Hz input": sample_s * np.arange(1, len(v) + 1) for k, v in rates.items()},
            {f"{k:g} Hz input": v for k, v in rates.items()},
            "time (s)",
            "output rate (Hz)",
            "output rate during learning",
            marker="o",
        ),
        "output_rate.png",
        note=f"Spike counts in windows of {sample_s:g} s, drawn at the end of each window.",
    )
    by_rate = {
        f"{k:g}": float(v[-max(1, int(round(window * n_chunks[k] / n_chunks[first]))) :].mean())
        for k, v in rates.items()
    }
    initial = {f"{k:g}": float(v[0]) for k, v in rates.items()}
    fig = plots.curves(
        [float(k) for k in by_rate],
        {"after learning": list(by_rate.values()), "first sample (before the weights move)": list(initial.values())},
        "input rate (Hz)",
        "output rate (Hz)",
        "Song et al. Fig. 3: output rate against input rate",
        marker="o",
        xticks=[float(k) for k in by_rate],
    )
    ctx.savefig(
        fig,
        "output_vs_input_rate.png",
        note=f"After learning: the last {float(p['rate_window'] / second):g} s of each training.",
    )
    late_bimodality = [bimodality(w, w_max) for w in late]
    width_theory = (
        additive_stdp_peak_width(
            rule.a_plus, rule.a_minus, float(rule.tau_plus / second), float(rule.tau_minus / second)
        )
        if rule.name == "stdp_additive"
        else float("nan")
    )  # the theory is for additive STDP
    return {
        "weight_bimodality": bimodality(final_w, w_max),
        "weight_bimodality_late_mean": float(np.mean(late_bimodality)),
        "weight_bimodality_late_range": [float(min(late_bimodality)), float(max(late_bimodality))],
        "weight_bimodality_by_input_rate": {f"{k:g}": bimodality(rec["w"][-1], w_max) for k, rec in runs.items()},
        "lower_peak_width": lower_peak_width(late.ravel(), w_max),
        "lower_peak_width_theory": width_theory,
        "lower_peak_fraction_within_edge_theory": float(1.0 - np.exp(-0.1 / width_theory)),
        "weight_mean_final": float(final_w.mean()),
        "fraction_near_max": float(np.mean(final_w > 0.9 * w_max)),
        "fraction_near_zero": float(np.mean(final_w < 0.1 * w_max)),
        "output_rate_hz": by_rate[f"{first:g}"],
        "output_rate_last_sample_hz": float(rates[first][-1]),
        "output_rate_by_input_rate": by_rate,
        "output_rate_initial_by_input_rate": initial,
        "training_seconds_by_input_rate": {f"{k:g}": n * float(p["chunk"] / second) for k, n in n_chunks.items()},
        "simulated_seconds": float(sum(n_chunks.values()) * float(p["chunk"] / second)),
        "compile_seconds": session.compile_seconds,
    }


if __name__ == "__main__":
    script_main(__file__)
