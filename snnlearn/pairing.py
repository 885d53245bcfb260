"""Plasticity protocols: prescribed pre- and postsynaptic spike times, and the weights they leave.

A protocol model file has two ``spikes`` groups (``pre``, ``post``) and one or more synapse
groups between them with ``connect = "one_to_one"`` and a rule but no effect (see
``models/stdp_pairing.toml``). Neuron k of both groups is *condition* k (one spike-timing
difference, one pairing frequency...), so every condition of a protocol runs as one
simulation, one synapse per condition. :func:`run_spike_trains` sizes the groups to the number
of trains, runs the network on either backend and returns each synapse group's final weights;
:func:`protocol_model` makes such a model from rule tables.

Spike times must be multiples of the time step: event-driven traces are then integrated
exactly, and the result does not depend on dt. The network runs in a :class:`~snnlearn.session.Session`,
as one chunk or (``chunk_ms``) in chunks that divide the protocol's duration; the session
carries the whole state from chunk to chunk, so the weights and traces do not depend on the chunk length.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from brian2 import StateMonitor, ms, second

from .build import build_network
from .engine import backend_session
from .errors import ConfigError
from .session import Session, chunk_count
from .spec import ModelSpec, parse_model


def protocol_model(
    rules: Mapping[str, Mapping[str, Any]],
    *,
    w_init: float = 0.5,
    dt: str = "1 ms",
    name: str = "protocol",
) -> ModelSpec:
    """A protocol model with one synapse group per rule table (``{"stdp": {"name": ...}}``),
    all between the same ``pre`` and ``post`` spikes groups, e.g. to compare rules on the same
    spike trains."""
    synapses = {
        syn: {
            "pre": "pre",
            "post": "post",
            "connect": "one_to_one",
            "w_init": w_init,
            "rule": dict(rule),
        }
        for syn, rule in rules.items()
    }
    return parse_model(
        {
            "name": name,
            "simulation": {"dt": dt},
            "synapses": synapses,
            "groups": {"pre": {"kind": "spikes", "n": 1}, "post": {"kind": "spikes", "n": 1}},
        }
    )


@dataclass(frozen=True)
class Pairing:
    """``n`` pairings at ``frequency``; the post spike follows the pre spike by ``lag_ms``
    (negative: the post spike comes first)."""

    lag_ms: float
    frequency_hz: float
    n: int

    @property
    def period_ms(self) -> float:
        """The time between two pairings, in ms (``1000 / frequency_hz``)."""
        return 1000.0 / self.frequency_hz

    def times_ms(self, start_ms: float) -> tuple[np.ndarray, np.ndarray]:
        """(pre, post) spike times in ms, the first pre spike at ``start_ms``."""
        pre = start_ms + self.period_ms * np.arange(self.n)
        return pre, pre + self.lag_ms


def pairing_trains(conditions: Sequence[Pairing], margin_ms: float = 10.0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Spike trains (in ms) of the pre and post neuron of each condition, all starting together
    after ``margin_ms`` plus the largest negative lag."""
    start = margin_ms + max(0.0, *(-c.lag_ms for c in conditions))
    trains = [c.times_ms(start) for c in conditions]
    return [pre for pre, _ in trains], [post for _, post in trains]


@dataclass
class ProtocolResult:
    """Final weights per synapse group (entry k: the synapse of condition k) and, when asked
    for, their values sampled every ``record_dt_ms`` (``traces[name]``: time x synapse)."""

    weights: dict[str, np.ndarray]
    initial: dict[str, np.ndarray]
    traces: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    duration_s: float = 0.0


def _spike_arrays(trains: Sequence[np.ndarray], dt_ms: float, group: str) -> tuple[np.ndarray, np.ndarray]:
    indices = np.concatenate([np.full(len(t), k) for k, t in enumerate(trains)]).astype(int)
    times = np.concatenate([np.asarray(t, dtype=float) for t in trains])
    steps = np.round(times / dt_ms)
    off_grid = np.abs(steps * dt_ms - times) > 1e-6 * dt_ms
    if off_grid.any():
        raise ConfigError(
            "simulation.dt",
            f"{group} spike time {times[off_grid][0]:g} ms is not a multiple of dt = {dt_ms:g} ms",
            "choose a dt that divides every spike time and lag",
        )
    if times.min(initial=0.0) < 0:
        raise ConfigError(group, "negative spike time", "spike times must be >= 0")
    return indices, steps * dt_ms


def run_spike_trains(
    spec: ModelSpec,
    pre_trains: Sequence[np.ndarray],
    post_trains: Sequence[np.ndarray],
    *,
    backend: str = "runtime",
    seed: int = 1,
    pre: str = "pre",
    post: str = "post",
    record_dt_ms: float | None = None,
    tail_ms: float = 10.0,
    chunk_ms: float | None = None,
) -> ProtocolResult:
    """Drive the ``spikes`` groups ``pre`` and ``post`` with the given trains and return every
    synapse group's weights at the end.

    Parameters
    ----------
    spec
        A protocol model (see the module's docstring); its ``pre`` and ``post`` groups are
        resized to the number of trains.
    pre_trains, post_trains
        Spike times in ms, one array per neuron (condition); multiples of the time step.
    backend
        ``"runtime"`` or ``"standalone"`` (one compile per network layout).
    seed
        The run's seed.
    pre, post
        Names of the two ``spikes`` groups.
    record_dt_ms
        When given, every weight is also sampled every ``record_dt_ms`` (``traces``).
    tail_ms
        The run lasts until ``tail_ms`` after the last spike (rounded up to the time step).
    chunk_ms
        Length of one chunk of the session (default: the whole run as one chunk). It must divide
        the run's duration (a ConfigError naming ``chunk_ms`` otherwise, raised before anything is
        built); the result does not depend on it.

    Returns
    -------
    ProtocolResult
        Final and initial weights per synapse group, the traces, the simulated duration.
    """
    for name in (pre, post):
        if name not in spec.groups or spec.groups[name].kind != "spikes":
            raise ConfigError(
                f"groups.{name}",
                "missing or not a spikes group",
                "a protocol model needs spikes groups named pre and post",
            )
    if len(pre_trains) != len(post_trains):
        raise ValueError(
            f"{len(pre_trains)} presynaptic and {len(post_trains)} postsynaptic trains: "
            "expected one of each per condition"
        )
    sizes = {pre: len(pre_trains), post: len(post_trains)}
    groups = {k: dataclasses.replace(g, n=sizes.get(k, g.n)) for k, g in spec.groups.items()}
    spec = dataclasses.replace(spec, groups=groups)
    dt_ms = float(spec.dt / ms)
    spikes = {
        pre: _spike_arrays(pre_trains, dt_ms, pre),
        post: _spike_arrays(post_trains, dt_ms, post),
    }
    last = max(float(t.max(initial=0.0)) for _, t in spikes.values())
    duration = (np.ceil((last + tail_ms) / dt_ms) * dt_ms) * ms
    chunk = duration if chunk_ms is None else chunk_ms * ms
    n_chunks = chunk_count(duration, chunk, "chunk_ms")
    initial = {name: _initial_weights(spec, name, sizes[pre]) for name in spec.synapses}
    with backend_session(backend, seed, key=f"protocol-{spec.name}") as build_dir:
        net = build_network(spec, record_spikes=False)
        for name, (indices, times) in spikes.items():
            net.groups[name].set_spikes(indices, times * ms)
        monitors = {}
        if record_dt_ms is not None:
            monitors = {
                # one synapse per condition (one_to_one); standalone cannot resolve record=True for synapses
                name: StateMonitor(syn, "w", record=np.arange(sizes[pre]), dt=record_dt_ms * ms, name=f"{name}_w")
                for name, syn in net.synapses.items()
            }
            net.add(*monitors.values())
        session = Session(net.network, backend=backend, chunk=chunk, build_dir=build_dir)
        samples: dict[str, list[np.ndarray]] = {name: [] for name in monitors}
        for _ in range(n_chunks):
            session.run()
            for name, mon in monitors.items():  # synapse x time, on the absolute grid of record_dt_ms
                samples[name].append(session.samples(mon, "w")[1])
        weights = {name: np.asarray(session.get(syn, "w")).copy() for name, syn in net.synapses.items()}
    traces = {name: np.concatenate(chunks, axis=1).T.copy() for name, chunks in samples.items()}
    return ProtocolResult(weights, initial, traces, float(duration / second))


def _initial_weights(spec: ModelSpec, synapse: str, n: int) -> np.ndarray:
    syn = spec.synapses[synapse]
    if isinstance(syn.w_init, str) or syn.connect != {"j": "i"}:
        raise ConfigError(
            f"synapses.{synapse}",
            'a protocol synapse needs connect = "one_to_one" and a number as w_init',
            "one synapse per condition, all starting alike",
        )
    return np.full(n, float(syn.w_init))


def weight_changes(result: ProtocolResult) -> Mapping[str, np.ndarray]:
    """Final minus initial weight of every synapse, per synapse group."""
    return {name: result.weights[name] - result.initial[name] for name in result.weights}
