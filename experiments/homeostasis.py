"""Homeostasis: an adaptive threshold gathers rates in a band; normalisation keeps weight sums.

Diehl & Cook (2015) Front Comput Neurosci 9:99 stabilise STDP learning with two homeostatic
mechanisms inside the simulation (models/homeostasis.toml, snnlearn/rules/homeostasis.py):
each neuron's threshold rises by theta_plus at every spike and decays with tau_theta
(``adaptive_lif``), and every 50 ms each neuron's incoming weights are rescaled to a fixed sum
(``normalize``). Here the neurons receive Poisson inputs whose rates are spread from
``rate_low_hz`` to ``rate_high_hz`` through random, plastic (Diehl & Cook STDP) synapses, so that
their drives differ. The same network runs twice, each time built afresh from the same seed (so
from the same initial state and input spikes): with the adaptive threshold, and as a control
with the threshold frozen (``adapting = 0``); normalisation is on in both. Each condition runs
for ``duration`` in a session, in chunks of ``chunk`` that carry the whole state, so the result
does not depend on the chunk length; rates (spike counts) and thresholds are sampled every
``sample_dt`` of simulated time (a whole number of chunks).

Metrics: ``rate_cv_final`` (coefficient of variation of the neurons' rates over the last
``final_window`` with the adaptive threshold), ``rate_cv_control_final`` (the same without it)
and ``rate_cv_initial`` (first ``sample_dt``), ``fraction_in_band`` (neurons whose final rate lies
within ``band`` times the population mean; control: ``fraction_in_band_control``),
``rate_mean_final_hz``, and ``weight_sum_error`` (largest relative deviation of a neuron's incoming
weight sum from the normalisation total at the end; the rule moves the sums for at most one period
after the last normalisation). Figures: rates_adaptive.png and rates_control.png (rate of every
neuron against time), rate_spread.png (CV against time, with the CV that Poisson counting alone
gives to equal rates, 1/sqrt(mean count): the adaptive run sits near it), weight_sums.png
(incoming weight sums at the end).
"""

from __future__ import annotations

import numpy as np
from brian2 import Hz, mV, second

from snnlearn import plots
from snnlearn.build import build_network
from snnlearn.cli import script_main
from snnlearn.engine import backend_session
from snnlearn.errors import ConfigError
from snnlearn.experiment import RunContext
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
}
QUICK = {
    "duration": 16 * second,
    "final_window": 4 * second,
    "groups.exc.params.tau_theta": "2 s",
}


def check(ctx: RunContext) -> None:
    p, spec = ctx.params, ctx.model
    if (
        NEURONS not in spec.groups
        or spec.groups[NEURONS].neuron is None
        or spec.groups[NEURONS].neuron.name != "adaptive_lif"
    ):
        raise ConfigError(
            f"groups.{NEURONS}",
            "missing or not adaptive_lif",
            "this experiment needs the adaptive threshold",
        )
    syn = spec.synapses.get(SYNAPSES)
    if syn is None or syn.normalize is None or syn.post != NEURONS or spec.groups[syn.pre].kind != "poisson":
        raise ConfigError(
            f"synapses.{SYNAPSES}",
            "missing, not normalised, or not from Poisson inputs",
            f"expected normalised synapses from a Poisson group to {NEURONS}",
        )
    if not 0 <= p["rate_low_hz"] <= p["rate_high_hz"]:
        raise ConfigError(
            "rate_low_hz",
            f"{p['rate_low_hz']} to {p['rate_high_hz']} Hz",
            "expected 0 <= rate_low_hz <= rate_high_hz",
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
        ``theta_mV`` at the end of each sample; ``w_final`` and ``post_index`` after the last
        chunk) and the seconds spent compiling.
    """
    p, spec = ctx.params, ctx.model
    n_chunks = chunk_count(p["duration"], p["chunk"])
    per_sample = chunk_count(p["sample_dt"], p["chunk"], "chunk", "sample_dt")
    rates = {INPUTS: "rate_low + (rate_high - rate_low) * i / (N - 1)"}
    namespace = {"rate_low": p["rate_low_hz"] * Hz, "rate_high": p["rate_high_hz"] * Hz}
    key = f"homeostasis-{spec.groups[INPUTS].n}-{spec.groups[NEURONS].n}"
    with backend_session(ctx.backend, ctx.seed, key=key) as build_dir:
        net = build_network(spec, record_spikes=[NEURONS], rates=rates, namespace=namespace)
        neurons, synapses, spikes = net.groups[NEURONS], net.synapses[SYNAPSES], net.spikes[NEURONS]
        session = Session(net.network, backend=ctx.backend, chunk=p["chunk"], build_dir=build_dir)
        session.set(neurons, "adapting", adapting)

        def record(k: int) -> dict:
            out = {"counts": session.spike_count(spikes)}
            if (k + 1) % per_sample == 0:  # the end of a chunk on the sampling grid
                out["theta_mV"] = np.asarray(session.get(neurons, "theta") / mV)
            if k == n_chunks - 1:
                # in the checkpointed records: a resumed run that has nothing left to simulate
                # cannot read them from a standalone program
                out["w_final"] = np.asarray(session.get(synapses, "w"))
                out["post_index"] = np.asarray(synapses.j[:])
            return out

        records = run_in_chunks(
            session, n_chunks, record, checkpoint=ctx.path(f"checkpoint_{label}.npz"), label=f"{label} threshold"
        )
        if session.compile_seconds:
            ctx.log(f"{label}: compiled in {session.compile_seconds:.1f} s")
    return records, session.compile_seconds


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
    final_w = runs["adaptive"]["w_final"][-1]
    sums = incoming_sums(final_w, runs["adaptive"]["post_index"][-1], n_post)
    low, high = p["band"]

    def in_band(r: np.ndarray) -> float:
        return float(np.mean((r >= low * r.mean()) & (r <= high * r.mean()))) if r.mean() > 0 else 0.0

    times = sample_s * np.arange(1, n_samples + 1)
    theta = np.stack(runs["adaptive"]["theta_mV"])
    ctx.save_arrays(
        "homeostasis.npz",
        times_s=times,
        rates_adaptive=rates_t["adaptive"],
        rates_control=rates_t["control"],
        theta_mV=theta,
        w_final=final_w,
        weight_sums=sums,
    )
    for label, rt in rates_t.items():
        fig = plots.weight_traces(
            times,
            rt,
            title=f"rate of each neuron, {label} threshold",
            bands={"mean": rt.mean(axis=1)},
        )
        fig.axes[0].set_ylabel("rate (Hz)")
        ctx.savefig(fig, f"rates_{label}.png")
    # the spread that Poisson spike counts alone give to equal rates
    counting_noise = 1 / np.sqrt(np.maximum(rates_t["adaptive"].mean(axis=1) * sample_s, 1.0))
    ctx.savefig(
        plots.curves(
            times,
            {
                **{label: [cv(r) for r in rt] for label, rt in rates_t.items()},
                "counting noise, adaptive": counting_noise,
            },
            "time (s)",
            "CV of rates across neurons",
            "spread of firing rates",
        ),
        "rate_spread.png",
    )
    ctx.savefig(
        plots.curves(
            np.arange(n_post),
            {"sum of incoming weights": sums, "total": np.full(n_post, total)},
            "neuron",
            "weight sum",
            "incoming weight sums at the end",
            marker="o",
        ),
        "weight_sums.png",
    )
    return {
        "rate_cv_final": cv(final["adaptive"]),
        "rate_cv_control_final": cv(final["control"]),
        "rate_cv_initial": cv(rates_t["adaptive"][0]),
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
