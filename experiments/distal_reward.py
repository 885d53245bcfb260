"""Izhikevich (2007) distal reward: dopamine-modulated STDP finds the one synapse a delayed reward points to.

A recurrent network of 800 excitatory and 200 inhibitory Izhikevich neurons (100 synapses per
neuron, 1 ms delays, weights in [0, 4], random thalamic input; models/izhikevich2007.toml)
whose excitatory synapses learn by STDP into an eligibility trace c (tau_c = 1 s) gated by
dopamine (tau_d = 0.2 s, rule ``da_stdp``). One chosen synapse, starting at 0, is the only
one that matters: whenever its postsynaptic neuron fires within 20 ms after its presynaptic
neuron, a reward (+0.5 dopamine) arrives 1 to 3 s later, long after the pairing and amid
thousands of other pairings. Reward detection, the random delay and the delivery are Brian2
code (:func:`snnlearn.tasks.reward.attach_pair_reward`), so the hour-long run goes on the
standalone device in chunks of one compiled run each; the session carries the whole state from
chunk to chunk (membranes, eligibility, dopamine, traces, pending rewards, spikes in flight and
the random streams), so the result does not depend on the chunk length.

Reproduces Izhikevich (2007) Cereb Cortex 17:2443, Fig. 1: within the hour the rewarded
synapse grows to the maximum, 4, while the others stay low. Metrics:

- ``rewarded_weight_final`` (paper: 4, the maximum), ``rewarded_weight_late_mean`` (its mean
  over the last 10% of the run, less sensitive to the last few rewards) and ``time_to_90pct_s``
  (when it first reaches 90% of the maximum);
- ``others_weight_mean_final``, ``others_weight_p99_final``: all other excitatory synapses;
- ``rewarded_rank_final``: 1 + the number of other excitatory synapses at least as strong, out of
  ``n_excitatory_synapses``; ``rewarded_top_fraction`` = rank / that number;
- ``n_rewards``, ``reward_delay_s`` (the delay range used), ``rate_exc_hz``, ``rate_inh_hz``.

Figures: the rewarded weight against time beside the others' mean and percentiles (every
``stats_dt``; rewards marked); the final weight histogram with the rewarded synapse; dopamine,
eligibility and weight around the reward that raised the rewarded synapse most in the run.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from brian2 import SpikeMonitor, StateMonitor, ms, mV, second

from snnlearn import plots
from snnlearn.build import build_network
from snnlearn.cli import script_main
from snnlearn.engine import backend_session
from snnlearn.errors import ConfigError
from snnlearn.experiment import RunContext
from snnlearn.rules.reward import DOPAMINE, DopamineSTDP
from snnlearn.session import Session, chunk_count, run_in_chunks
from snnlearn.tasks.reward import attach_pair_reward

MODEL = "izhikevich2007"
BACKEND = "standalone"
PARAMS = {
    "duration": 3600 * second,
    "chunk": 60 * second,             # one compiled run; must divide duration (the whole state is carried)
    "thalamic_noise": 13 * mV,        # paper: I = 13 * (rand - 0.5) every ms, for every neuron
    "window": 20 * ms,                # post within 20 ms after pre counts as a pairing
    "reward_delay_min": 1 * second,   # paper: 1000 + ceil(2000 * rand) ms
    "reward_delay_max": 3 * second,
    "reward_amount": 0.5,             # paper: DA += 0.5 per reward
    "reward_slots": 16,               # rewards that can be on their way at once
    "trace_dt": 100 * ms,             # sampling of the rewarded synapse's weight
    "stats_dt": 60 * second,          # statistics of every other weight, at chunk ends: a multiple of chunk
    "detail_dt": 10 * ms,             # sampling of dopamine, eligibility and weight for the close-up
    "detail_seconds": 12.0,           # length of that close-up
}
QUICK = {
    # 400 neurons with the paper's 100 synapses each, and rewards 0.2-1 s after the pairing
    # (the eligibility left is then ~3.5 times larger), so that 400 s already show the effect
    "duration": 400 * second,
    "chunk": 20 * second,
    "stats_dt": 20 * second,
    "reward_delay_min": 200 * ms,
    "reward_delay_max": 1 * second,
    "groups.exc.n": 320,
    "groups.inh.n": 80,
}
PLASTIC = ("ee", "ei", "rewarded")


def check(ctx: RunContext) -> None:
    p, spec = ctx.params, ctx.model
    for name in PLASTIC:
        if name not in spec.synapses or not isinstance(spec.synapses[name].rule, DopamineSTDP):
            raise ConfigError(f"synapses.{name}.rule", "missing or not da_stdp",
                              "this experiment needs da_stdp synapses ee, ei and rewarded")
    rewarded = spec.synapses["rewarded"]
    for end in ("pre", "post"):
        key = f"rewarded_{end}"
        index = rewarded.params.get(key)
        n = spec.groups[getattr(rewarded, end)].n
        if not isinstance(index, int) or not 0 <= index < n:
            raise ConfigError(f"synapses.rewarded.params.{key}", f"got {index!r}", f"expected an integer in [0, {n})")
    chunk_count(p["duration"], p["chunk"])
    chunk_count(p["stats_dt"], p["chunk"], "chunk", "stats_dt")  # the statistics are taken at the end of a chunk
    for key in ("window", "reward_delay_min", "reward_delay_max", "trace_dt", "stats_dt", "detail_dt"):
        if not p[key] > 0 * second:
            raise ConfigError(key, f"{p[key]} is not positive", "expected a duration > 0 s")
    if p["reward_delay_min"] > p["reward_delay_max"]:
        raise ConfigError("reward_delay_min", f"{p['reward_delay_min']} is above reward_delay_max "
                          f"({p['reward_delay_max']})", "expected reward_delay_min <= reward_delay_max")
    if p["reward_delay_max"] >= p["duration"]:
        raise ConfigError("reward_delay_max", f"{p['reward_delay_max']} is not shorter than the run "
                          f"({p['duration']})", "expected a delay shorter than duration, or no reward ever arrives")
    if p["reward_amount"] < 0:
        raise ConfigError("reward_amount", f"{p['reward_amount']} is negative", "expected a value >= 0")
    if p["reward_slots"] < 1:
        raise ConfigError("reward_slots", f"got {p['reward_slots']}", "expected an integer >= 1")


def run(ctx: RunContext) -> dict:
    p, spec = ctx.params, ctx.model
    n_chunks = chunk_count(p["duration"], p["chunk"])
    rule = spec.synapses["rewarded"].rule
    w_max = rule.w_max
    pair = spec.synapses["rewarded"].params
    n_exc, n_inh = spec.groups["exc"].n, spec.groups["inh"].n
    with backend_session(ctx.backend, ctx.seed, key=f"distal-reward-{n_exc}-{n_inh}") as build_dir:
        net = build_network(spec, record_spikes=False)
        for group in ("exc", "inh"):
            net.groups[group].run_regularly(f"I_ext = {float(p['thalamic_noise'] / mV)!r} * mV * (rand() - 0.5)",
                                            dt=1 * ms, when="start", name=f"{group}_thalamic")
        ring = attach_pair_reward(net, ("exc", pair["rewarded_pre"]), ("exc", pair["rewarded_post"]),
                                  window=p["window"], delay_min=p["reward_delay_min"],
                                  delay_max=p["reward_delay_max"], amount=p["reward_amount"],
                                  slots=p["reward_slots"])
        rewarded = net.synapses["rewarded"]
        trace = StateMonitor(rewarded, "w", record=[0], dt=p["trace_dt"], name="rewarded_trace")
        detail = StateMonitor(rewarded, ["w", "c", "lastupdate"], record=[0], dt=p["detail_dt"], name="rewarded_detail")
        dopamine = StateMonitor(net.groups[DOPAMINE], "DA", record=[0], dt=p["detail_dt"], name="dopamine_detail")
        rewards = SpikeMonitor(ring, name="rewards")
        spikes = {g: SpikeMonitor(net.groups[g], record=False, name=f"{g}_count") for g in ("exc", "inh")}
        net.add(trace, detail, dopamine, rewards, *spikes.values())
        session = Session(net.network, backend=ctx.backend, chunk=p["chunk"], build_dir=build_dir)
        ctx.log(f"compiled in {session.compile():.1f} s" if ctx.backend == "standalone" else "runtime backend")
        tau_c = float(rule.tau_c / second)

        per_stats = chunk_count(p["stats_dt"], p["chunk"], "chunk", "stats_dt")

        def record(k: int) -> dict:
            out = {}
            if (k + 1) % per_stats == 0:  # the end of a chunk on the stats grid
                weights = np.concatenate([np.asarray(session.get(net.synapses[s], "w")) for s in ("ee", "ei")])
                out = {"stats_t": session.t, "others_mean": weights.mean(),
                       "others_pct": np.percentile(weights, [50, 90, 99])}
            t_detail, c = session.samples(detail, "c")
            lastupdate, w_detail = session.samples(detail, "lastupdate")[1][0], session.samples(detail, "w")[1][0]
            c_now = c[0] * np.exp(-(t_detail - lastupdate) / tau_c)  # c decays analytically between events
            return out | {
                "trace": np.vstack(session.samples(trace, "w")), "reward_t": session.spikes(rewards)[1],
                "detail": np.stack([t_detail, session.samples(dopamine, "DA")[1][0], c_now, w_detail], axis=1),
                "exc_spikes": int(session.spike_count(spikes["exc"]).sum()),
                "inh_spikes": int(session.spike_count(spikes["inh"]).sum()),
            }

        records = run_in_chunks(session, n_chunks, record, checkpoint=ctx.path("checkpoint.npz"), label="distal reward")
        final = {s: np.asarray(session.get(net.synapses[s], "w")) for s in PLASTIC}
    others_final = np.concatenate([final["ee"], final["ei"]])
    w_final = float(final["rewarded"][0])
    t_trace, w_trace = np.concatenate(records["trace"], axis=1)
    reached = np.flatnonzero(w_trace >= 0.9 * w_max)
    reward_t = np.concatenate(records["reward_t"])
    stats_t, mean, pct = (np.asarray(records[k]) for k in ("stats_t", "others_mean", "others_pct"))
    start = [spec.synapses[s].w_init for s in ("ee", "ei")]
    if all(isinstance(w, float) for w in start) and len(set(start)) == 1:  # a known initial weight
        stats_t, mean, pct = np.r_[0.0, stats_t], np.r_[start[0], mean], np.vstack([[start[0]] * 3, pct])
    detail = np.concatenate(records["detail"])
    rank = 1 + int(np.sum(others_final >= w_final))  # ties count against it
    ctx.save_arrays("weights.npz", final_others=others_final, rewarded_final=final["rewarded"], t_trace=t_trace,
                    w_trace=w_trace, reward_times=reward_t, stats_t=stats_t, others_mean=mean,
                    others_percentiles=pct)

    ctx.savefig(_weight_figure(t_trace, w_trace, stats_t, mean, pct, reward_t, w_max), "rewarded_weight.png")
    fig = plots.weight_histogram(others_final, w_max, bins=50, title="final excitatory weights")
    fig.axes[0].axvline(w_final, color="C3", label=f"rewarded synapse (rank {rank})")
    fig.axes[0].set_yscale("log")
    fig.axes[0].legend(fontsize=8)
    ctx.savefig(fig, "weight_histogram_final.png")
    if len(reward_t):
        ctx.savefig(_reward_closeup(detail, reward_t, p["detail_seconds"]), "reward_traces.png")

    duration_s = float(p["duration"] / second)
    return {
        "rewarded_weight_final": w_final,
        "rewarded_weight_late_mean": float(w_trace[t_trace >= 0.9 * duration_s].mean()),
        "time_to_90pct_s": float(t_trace[reached[0]]) if len(reached) else None,
        "others_weight_mean_final": float(others_final.mean()),
        "others_weight_p99_final": float(np.percentile(others_final, 99)),
        "rewarded_rank_final": rank,
        "n_excitatory_synapses": int(others_final.size + 1),
        "rewarded_top_fraction": rank / (others_final.size + 1),
        "fraction_of_others_above_90pct": float(np.mean(others_final >= 0.9 * w_max)),
        "n_rewards": int(reward_t.size),
        "reward_delay_s": [float(p["reward_delay_min"] / second), float(p["reward_delay_max"] / second)],
        "rate_exc_hz": float(np.sum(records["exc_spikes"]) / (n_exc * duration_s)),
        "rate_inh_hz": float(np.sum(records["inh_spikes"]) / (n_inh * duration_s)),
        "simulated_seconds": duration_s,
        "compile_seconds": session.compile_seconds,
    }


def _weight_figure(t_trace, w_trace, stats_t, mean, pct, reward_t, w_max):
    """The rewarded weight against time beside the others' mean and percentiles (sampled every stats_dt)."""
    fig, ax = plt.subplots(figsize=(8, 3.8))
    ax.fill_between(stats_t, pct[:, 0], pct[:, 1], color="0.85", label="others, median to p90")
    ax.plot(stats_t, mean, color="C0", lw=2, label="others, mean")
    ax.plot(stats_t, pct[:, 2], color="C0", lw=1, ls="--", label="others, p99")
    ax.plot(t_trace, w_trace, color="C3", lw=1.2, label="rewarded synapse")
    ax.plot(reward_t, np.full(len(reward_t), -0.05 * w_max), "|", color="C3", ms=5, label="rewards")
    ax.set_ylim(-0.1 * w_max, 1.05 * w_max)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("weight")
    ax.set_title("Izhikevich (2007) Fig. 1: the rewarded synapse against all others")
    ax.legend(fontsize=7, loc="center right")
    return fig


def _reward_closeup(detail: np.ndarray, reward_t: np.ndarray, seconds: float):
    """Dopamine, eligibility of the rewarded synapse and its weight around the reward that
    raised the weight most (``detail``: time, DA, c, w of one chunk)."""
    t, da, c, w = detail.T
    inside = reward_t[(reward_t >= t[0]) & (reward_t <= t[-1] - 1.0)]
    rise = np.interp(inside + 1.0, t, w) - np.interp(inside, t, w)
    centre = inside[np.argmax(rise)] if len(inside) else t[0] + seconds / 2
    shown = (t >= centre - seconds / 2) & (t <= centre + seconds / 2)
    fig, axes = plt.subplots(3, 1, sharex=True, figsize=(8, 5.5))
    for ax, values, label in zip(axes, (da, c, w), ("dopamine DA", "eligibility c", "weight"), strict=True):
        ax.plot(t[shown], values[shown], lw=1)
        ax.set_ylabel(label)
        for r in reward_t[(reward_t >= centre - seconds / 2) & (reward_t <= centre + seconds / 2)]:
            ax.axvline(r, color="C3", lw=0.6, alpha=0.6)
    axes[0].set_title("the rewarded synapse around a reward (red: reward delivery)")
    axes[-1].set_xlabel("time (s)")
    return fig


if __name__ == "__main__":
    script_main(__file__)
