"""The distal reward protocol (Izhikevich 2007) and its null control, on one compiled network.

:func:`run_distal` builds the recurrent network of the ``distal_reward`` experiment with its
thalamic noise, a pair reward on one chosen synapse (:func:`~snnlearn.tasks.reward.attach_pair_reward`)
and a scheduled reward (:func:`~snnlearn.tasks.reward.attach_scheduled_reward`), compiles it
once and runs two conditions from the same initial state (the same network, the same random
streams at t = 0):

- **rewarded**: each pairing of the chosen synapse earns a reward after a random delay; the
  schedule is empty;
- **control**: the pair detector still runs (it counts the rewards the pairings would have
  earned) but delivers nothing, and the same number of rewards as the rewarded run received
  arrives at times drawn uniformly over the run, independent of any pairing.

Recorded in each: the chosen synapse's weight every ``trace_dt``; the weights of every other
excitatory synapse every ``stats_dt`` on a monitor's grid from t = 0 (and at the end), reduced
per chunk to their mean and 50th/90th/99th percentiles; dopamine, eligibility and weight of
the chosen synapse every ``detail_dt``; the rewards; spike counts and the spikes of the last
``raster_seconds``. Every recording is on a grid of simulated time, so nothing depends on the
chunk length (``tests/test_exp_distal_reward.py``).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from brian2 import SpikeMonitor, StateMonitor, ms, mV, second

from .. import logs
from ..build import build_network, planned_synapse_count
from ..engine import backend_session
from ..errors import ConfigError
from ..rules.reward import DOPAMINE
from ..session import Session, chunk_count, run_in_chunks
from ..tasks.reward import attach_pair_reward, attach_scheduled_reward, schedule_values

#: the plastic synapses: the network's (``OTHERS``) and the chosen one
OTHERS = ("ee", "ei")
PLASTIC = (*OTHERS, "rewarded")
#: concatenated along their last axis (rows: time and value, or neuron and time)
_ROWS = ("trace", "exc_raster", "inh_raster")


def check_counts(spec: Any, backend: str) -> None:
    """On standalone, every other synapse is monitored by index: its count must follow from the
    connection rule (ConfigError naming the synapses otherwise)."""
    for name in OTHERS:
        if backend == "standalone" and planned_synapse_count(spec, name) is None:
            raise ConfigError(
                f"synapses.{name}.connect",
                "leaves the number of synapses to a random draw",
                'expected a fixed number of targets (j = "k for k in sample(N_post, size=K)"), or --backend runtime',
            )


def run_distal(ctx: Any) -> dict[str, Any]:
    """Both conditions of ``ctx`` (a RunContext with the ``distal_reward`` parameters); returns
    ``{"rewarded": ..., "control": ...}``, each with the records (concatenated over chunks) and
    the final weights of :data:`PLASTIC`, ``compile_seconds`` and ``simulation_seconds`` (the wall
    time of both conditions: their runs and what is read after each chunk)."""
    p, spec = ctx.params, ctx.model
    n_chunks = chunk_count(p["duration"], p["chunk"])
    duration_s = float(p["duration"] / second)
    pair = spec.synapses["rewarded"].params
    n_exc, n_inh = spec.groups["exc"].n, spec.groups["inh"].n
    # a slot holds a reward for at least delay_min: no more rewards than this can arrive
    capacity = min(1_000_000, p["reward_slots"] * (int(np.ceil(p["duration"] / p["reward_delay_min"])) + 1))
    with backend_session(ctx.backend, ctx.seed, key=f"distal-reward-{n_exc}-{n_inh}") as build_dir:
        net = build_network(spec, record_spikes=False)
        for group in ("exc", "inh"):
            net.groups[group].run_regularly(
                f"I_ext = {float(p['thalamic_noise'] / mV)!r} * mV * (rand() - 0.5)",
                dt=1 * ms,
                when="start",
                name=f"{group}_thalamic",
            )
        ring = attach_pair_reward(
            net,
            ("exc", pair["rewarded_pre"]),
            ("exc", pair["rewarded_post"]),
            window=p["window"],
            delay_min=p["reward_delay_min"],
            delay_max=p["reward_delay_max"],
            amount=p["reward_amount"],
            slots=p["reward_slots"],
        )
        scheduled, schedule = attach_scheduled_reward(net, capacity, p["reward_amount"])
        chosen = net.synapses["rewarded"]
        counts = {s: planned_synapse_count(spec, s) or len(net.synapses[s]) for s in OTHERS}
        with logs.brian2_silent("cannot_check_statemonitor_indices"):  # the indices are counted above
            m = {
                "trace": StateMonitor(chosen, "w", record=[0], dt=p["trace_dt"], name="rewarded_trace"),
                "detail": StateMonitor(chosen, ["w", "c", "lastupdate"], record=[0], dt=p["detail_dt"], name="detail"),
                "dopamine": StateMonitor(
                    net.groups[DOPAMINE], "DA", record=[0], dt=p["detail_dt"], name="dopamine_trace"
                ),
                "pairings": SpikeMonitor(ring, name="pairings"),
                "scheduled": SpikeMonitor(scheduled, name="scheduled"),
                **{
                    f"stats_{s}": StateMonitor(
                        net.synapses[s], "w", record=np.arange(counts[s]), dt=p["stats_dt"], name=f"stats_{s}"
                    )
                    for s in OTHERS
                },
                **{g: SpikeMonitor(net.groups[g], name=f"{g}_spikes") for g in ("exc", "inh")},
            }
        net.add(*m.values())
        session = Session(net.network, backend=ctx.backend, chunk=p["chunk"], build_dir=build_dir)
        ctx.log(f"compiled in {session.compile():.1f} s" if ctx.backend == "standalone" else "runtime backend")
        initial = session.state()  # both conditions start from here
        tau_c = float(spec.synapses["rewarded"].rule.tau_c / second)
        raster_from = duration_s - float(p["raster_seconds"] / second)

        def record(k: int) -> dict:
            t_stats = session.samples(m["stats_ee"], "w")[0]
            weights = np.vstack([session.samples(m[f"stats_{s}"], "w")[1] for s in OTHERS])  # synapse x sample
            if k == n_chunks - 1:  # and the end of the run
                end = np.concatenate([np.asarray(session.get(net.synapses[s], "w")) for s in OTHERS])
                t_stats, weights = np.r_[t_stats, session.t], np.hstack([weights, end[:, None]])
            t_detail = session.samples(m["detail"], "c")[0]
            c, lastupdate, w_detail = (session.samples(m["detail"], v)[1][0] for v in ("c", "lastupdate", "w"))
            c_now = c * np.exp(-(t_detail - lastupdate) / tau_c)  # c decays analytically between events
            da = session.samples(m["dopamine"], "DA")[1][0]
            out = {
                "stats_t": t_stats,
                "others_mean": weights.mean(axis=0),
                "others_pct": np.percentile(weights, [50, 90, 99], axis=0).T,
                "trace": np.vstack(session.samples(m["trace"], "w")),
                "pairings": session.spikes(m["pairings"])[1],
                "scheduled": session.spikes(m["scheduled"])[1],
                "detail": np.stack([t_detail, da, c_now, w_detail], axis=1),
            }
            for g in ("exc", "inh"):
                i, t = session.spikes(m[g])
                out[f"{g}_spikes"] = np.array([i.size])
                out[f"{g}_raster"] = np.stack([i, t])[:, t >= raster_from]
            return out

        def condition(control_times: np.ndarray | None, checkpoint: str) -> dict:
            session.load_state(initial)
            session.set(ring, "amount", 0.0 if control_times is not None else float(p["reward_amount"]))
            session.set_timed(schedule, schedule_values([] if control_times is None else control_times, capacity))
            records = run_in_chunks(
                session,
                n_chunks,
                record,
                checkpoint=ctx.path(checkpoint),
                label="distal reward" + (" (control)" if control_times is not None else ""),
            )
            out = {k: np.concatenate(v, axis=-1 if k in _ROWS else 0) for k, v in records.items()}
            return out | {s: np.asarray(session.get(net.synapses[s], "w")) for s in PLASTIC}

        started = time.perf_counter()
        rewarded = condition(None, "checkpoint.npz")
        draw = np.random.default_rng((ctx.seed, 2007))  # the control's reward times: uniform, as many
        control = condition(np.sort(draw.uniform(0, duration_s, len(rewarded["pairings"]))), "checkpoint_control.npz")
    return {
        "rewarded": rewarded | {"rewards": rewarded["pairings"]},
        "control": control | {"rewards": control["scheduled"]},
        "compile_seconds": session.compile_seconds,
        "simulation_seconds": time.perf_counter() - started,
    }


__all__ = ["OTHERS", "PLASTIC", "check_counts", "run_distal"]
