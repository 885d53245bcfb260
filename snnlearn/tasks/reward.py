"""Reward delivery as Brian2 code: a task watches spikes and feeds the shared dopamine signal.

Everything here is part of the network (groups, synapses, regular operations), so that a task
runs unchanged on the standalone device, where Python cannot act between time steps. A task
reaches the dopamine controller of :mod:`snnlearn.rules.reward` through a ``Synapses``
pathway from a *spiking controller*: a one-row (or few-row) ``NeuronGroup`` whose threshold is
a condition on time (``t > t_due - dt/2``: the step of ``t_due``), and whose "spike" is the
moment a reward is delivered.

- :func:`connect_reward`: every spike of a group adds a fixed amount of dopamine.
- :func:`attach_pair_reward`: Izhikevich (2007) Fig. 1: whenever one chosen neuron fires
  within ``window`` after another, a reward arrives after a random delay (uniform in
  [``delay_min``, ``delay_max``), drawn by ``rand()`` in the simulation). Pending rewards sit
  in a ring of ``slots`` due times, so that several can be on their way at once.
- :func:`attach_scheduled_reward`: rewards at times fixed in advance (a ``TimedArray`` of due
  times), whatever the network does: the null control of a reward that follows a pairing.
- :class:`ChoiceTask`: k stimuli, k output populations; at the end of each trial's response
  window the task rewards +1 if the population of the stimulus's action fired strictly more
  than every other one, else -1, minus the expectation of a
  :class:`~snnlearn.rules.reward.RewardBaseline`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from brian2 import NeuronGroup, SpikeMonitor, Synapses, TimedArray, second

from ..rules.base import lines
from ..rules.reward import DOPAMINE, RewardBaseline

#: A due time that never comes (the controller's "no reward pending").
NEVER = 1e9 * second


def _dopamine(built: Any) -> Any:
    if DOPAMINE not in built.groups:
        raise ValueError("the network has no dopamine signal: give a synapse a reward-modulated rule")
    return built.groups[DOPAMINE]


def connect_reward(built: Any, source: Any, amount: str, name: str) -> Synapses:
    """A pathway adding ``amount`` (a Brian2 expression, may read ``_pre`` variables) to the
    dopamine concentration at every spike of ``source``."""
    dopamine = _dopamine(built)
    pathway = Synapses(source, dopamine, on_pre=f"DA_post += {amount}", name=name, dt=built.spec.dt)
    pathway.connect()
    built.add(pathway)
    return pathway


def attach_pair_reward(
    built: Any,
    pre: tuple[str, int],
    post: tuple[str, int],
    *,
    window,
    delay_min,
    delay_max,
    amount: float,
    slots: int = 16,
    name: str = "pair_reward",
) -> NeuronGroup:
    """Reward the pairing "neuron ``post`` fires within ``window`` after neuron ``pre``".

    ``pre`` and ``post`` are (group name, neuron index). Each pairing writes the time a reward
    is due, ``t + delay_min + (delay_max - delay_min) rand()``, into the next of ``slots``
    slots (a ring); a slot "fires" when its time comes, adding ``amount`` to the dopamine.
    Returns the slot group (variables ``t_due``, ``n_pairs``, ``amount``; its spikes are the
    rewards). Due times are absolute: a :class:`~snnlearn.session.Session` carries them, like
    every other variable, from one chunk to the next, so a reward pending at a chunk's end arrives
    on time. ``amount`` is a variable of the slots: set it to 0 (``session.set(ring, "amount",
    0.0)``) and the ring still detects pairings and "fires" when their rewards would be due, but
    delivers nothing (a control run of the same compiled network).
    """
    dt = built.spec.dt
    # t_lead: the last spike of the leading neuron, as seen by each slot
    ring = NeuronGroup(
        slots,
        "t_due : second\nt_lead : second\nn_pairs : integer\namount : 1",
        threshold="t > t_due - 0.5 * dt",
        reset="t_due = never",
        name=name,
        dt=dt,
        namespace={"never": NEVER},
    )
    ring.t_due = NEVER
    ring.amount = float(amount)
    ring.t_lead = -NEVER
    pre_group, pre_index = built.groups[pre[0]], int(pre[1])
    post_group, post_index = built.groups[post[0]], int(post[1])
    watch_pre = Synapses(pre_group, ring, on_pre="t_lead_post = t", name=f"{name}_pre", dt=dt)
    watch_pre.connect(i=[pre_index] * slots, j=np.arange(slots))
    watch_post = Synapses(
        post_group,
        ring,
        on_pre=lines(
            "paired = int(t > t_lead_post and t - t_lead_post < window)",
            "t_due_post += paired * int(j == n_pairs_post % n_slots)"
            " * (t + delay_min + delay_span * rand() - t_due_post)",
            "n_pairs_post += paired",
        ),
        name=f"{name}_post",
        dt=dt,
        namespace={"window": window, "delay_min": delay_min, "delay_span": delay_max - delay_min, "n_slots": slots},
    )
    watch_post.connect(i=[post_index] * slots, j=np.arange(slots))
    built.add(ring, watch_pre, watch_post)
    connect_reward(built, ring, "amount_pre", f"{name}_dopamine")
    return ring


def attach_scheduled_reward(
    built: Any, capacity: int, amount: float, name: str = "scheduled_reward"
) -> tuple[NeuronGroup, TimedArray]:
    """Rewards of ``amount`` at times given in advance, independent of the network's activity.

    Returns the one-row controller (its spikes are the rewards; ``n_delivered`` counts them) and
    the ``TimedArray`` of due times, ``capacity + 1`` entries in seconds, ascending, read as
    "due time of reward n" (index n, not time). It starts with every entry at :data:`NEVER`
    (no reward); set the schedule for a run with ``session.set_timed(schedule, times)``, where
    ``times`` is :func:`schedule_values` of the wanted times. Reward n is delivered in the step of
    its due time (two due in one step: the second one step later), so the times, like the
    pair reward's, are absolute and carried across chunks by ``n_delivered``.
    """
    if capacity < 1:
        raise ValueError(f"capacity: got {capacity}; expected an integer >= 1")
    dt = built.spec.dt
    # dimensionless values (seconds): a session sets a TimedArray's values as plain numbers
    schedule = TimedArray(np.full(capacity + 1, float(NEVER / second)), dt=1 * second)
    controller = NeuronGroup(
        1,
        "n_delivered : integer",
        threshold="t > due(n_delivered * second) * second - 0.5 * dt",
        reset="n_delivered += 1",
        name=name,
        dt=dt,
        namespace={"due": schedule},
    )
    built.add(controller)
    connect_reward(built, controller, repr(float(amount)), f"{name}_dopamine")
    return controller, schedule


def schedule_values(times_s: Any, capacity: int) -> np.ndarray:
    """The values (s) of :func:`attach_scheduled_reward`'s ``TimedArray`` that deliver rewards at
    ``times_s`` (sorted here): the times, then :data:`NEVER` up to ``capacity + 1`` entries."""
    times = np.sort(np.asarray(times_s, dtype=float))
    if times.size > capacity:
        raise ValueError(f"schedule: {times.size} rewards do not fit the capacity of {capacity}")
    return np.r_[times, np.full(capacity + 1 - times.size, float(NEVER / second))]


@dataclass
class ChoiceTask:
    """k input patterns, k actions (output populations): reward when the right one is most active.

    Trial n starts at ``n * trial`` (t = 0 at the start of a chunk). Its stimulus, pattern
    ``s`` (a ``TimedArray`` ``stimulus`` with one entry per trial), drives the input group for
    ``stimulus_on``: inputs in the pattern at ``rate_on``, the others at ``rate_off``; then all
    inputs fall to ``rate_off`` until the next trial. The first ``response`` of the stimulus is
    the response window: its spike counts per output population decide the trial. At its end
    the controller ``choice`` (one row) computes the reward, R = +1 if population ``s`` fired
    strictly more than every other one, else -1; the modulator ``M = R - b`` of the
    :class:`~snnlearn.rules.reward.RewardBaseline` (which it then updates); and adds
    ``amount * M`` to the dopamine. A stimulus longer than the response window goes on while
    the dopamine is there (synapses without an eligibility trace need that activity).
    """

    n_inputs: int
    n_patterns: int
    population_size: int
    trial: Any
    stimulus_on: Any
    response: Any
    rate_on: Any
    rate_off: Any
    pattern_fraction: float
    baseline: RewardBaseline
    amount: float = 1.0

    @property
    def n_outputs(self) -> int:
        """Output neurons: one population of ``population_size`` per action."""
        return self.n_patterns * self.population_size

    def counts(self) -> list[str]:
        """The controller's spike-count variables, one per output population: ``count_0``, ``count_1``, ..."""
        return [f"count_{a}" for a in range(self.n_patterns)]

    def make_patterns(self, rng: np.random.Generator) -> np.ndarray:
        """(pattern, input) 0/1 matrix: each pattern ``pattern_fraction`` of the inputs, drawn
        without overlap while the patterns fit into the inputs, at random beyond."""
        size = max(1, int(round(self.pattern_fraction * self.n_inputs)))
        patterns = np.zeros((self.n_patterns, self.n_inputs))
        order = rng.permutation(self.n_inputs)
        for s, row in enumerate(patterns):
            disjoint = (s + 1) * size <= self.n_inputs
            row[order[s * size : (s + 1) * size] if disjoint else rng.choice(self.n_inputs, size, replace=False)] = 1.0
        return patterns

    def schedule(self, rng: np.random.Generator, n_trials: int) -> np.ndarray:
        """Stimulus of each trial: every pattern equally often, in random order."""
        order = np.resize(np.arange(self.n_patterns), n_trials)
        return rng.permutation(order).astype(float)

    def inputs(self, patterns: np.ndarray, n_trials: int) -> tuple[dict[str, Any], str]:
        """(namespace with the TimedArrays ``patterns`` and ``stimulus``, rate expression of the
        input group). ``stimulus`` holds ``n_trials`` entries, set per chunk."""
        namespace = {
            "patterns": TimedArray(patterns, dt=1 * second),  # "time" = pattern index
            "stimulus": TimedArray(np.zeros(n_trials), dt=self.trial),
            "trial_length": self.trial,
            "stimulus_on": self.stimulus_on,
            "rate_on": self.rate_on,
            "rate_off": self.rate_off,
            "population_size": self.population_size,
        }
        on = "int(t - trial_length * floor(t / trial_length) < stimulus_on)"
        return namespace, f"rate_off + (rate_on - rate_off) * {on} * patterns(stimulus(t) * second, i)"

    def attach(
        self, built: Any, outputs: str, stimulus: TimedArray, name: str = "choice"
    ) -> tuple[NeuronGroup, SpikeMonitor]:
        """Add the controller with its counting and reward pathways; returns the controller and
        a monitor of its decisions (the counts, and the baselines before each update)."""
        dt, k = built.spec.dt, self.n_patterns
        controller = NeuronGroup(
            1,
            lines(*(f"{c} : 1" for c in self.counts()), "t_decide : second", self.baseline.equations(k)),
            threshold="t > t_decide - 0.5 * dt",
            reset=lines(*(f"{c} = 0" for c in self.counts()), "t_decide += trial"),
            name=name,
            dt=dt,
            namespace={"trial": self.trial},
        )
        controller.t_decide = self.response
        for var, value in self.baseline.switches().items():
            setattr(controller, var, value)
        count = Synapses(
            built.groups[outputs],
            controller,
            on_pre=lines(
                "counting = int(t >= t_decide_post - response)",
                *(f"count_{a}_post += counting * int(i // population_size == {a})" for a in range(k)),
            ),
            name=f"{name}_count",
            dt=dt,
            namespace={"response": self.response, "population_size": self.population_size},
        )
        count.connect()
        own = "0" + "".join(f" + count_{a}_pre * int(target == {a})" for a in range(k))
        decide = Synapses(
            controller,
            _dopamine(built),
            on_pre=lines(
                "target = stimulus(t)",
                f"own_count = {own}",
                "won = 1" + "".join(f" * int(own_count > count_{a}_pre or target == {a})" for a in range(k)),
                "reward = 2 * won - 1",
                self.baseline.statements(k, "reward", "target", suffix="_pre"),
                f"DA_post += {float(self.amount)!r} * modulator",
            ),
            name=f"{name}_reward",
            dt=dt,
            namespace={"stimulus": stimulus},
        )
        decide.connect()
        monitor = SpikeMonitor(
            controller, variables=self.counts() + RewardBaseline.variables(k), name=f"{name}_decisions"
        )
        built.add(controller, count, decide, monitor)
        return controller, monitor

    @classmethod
    def from_params(cls, p: dict) -> ChoiceTask:
        """The task of the ``reward_choice`` experiment's parameters."""
        return cls(
            n_inputs=p["n_inputs"],
            n_patterns=p["n_patterns"],
            population_size=p["population_size"],
            trial=p["trial"],
            stimulus_on=p["stimulus_on"],
            response=p["response"],
            rate_on=p["rate_on"],
            rate_off=p["rate_off"],
            pattern_fraction=p["pattern_fraction"],
            baseline=RewardBaseline.from_mapping(p["baseline"], "baseline"),
            amount=p["reward_amount"],
        )

    def selectivity(self, w: np.ndarray, patterns: np.ndarray) -> float:
        """Mean weight from each pattern's inputs to its own population minus to the others
        (``w``: the feedforward weights, all to all, presynaptic-major)."""
        k = patterns.shape[0]
        per_population = np.asarray(w).reshape(patterns.shape[1], k, self.population_size).mean(axis=2)
        own = np.mean([per_population[patterns[s] > 0, s].mean() for s in range(k)])
        other = np.mean([np.delete(per_population[patterns[s] > 0], s, axis=1).mean() for s in range(k)])
        return float(own - other)

    @staticmethod
    def rewarded(counts: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Whether each decision was rewarded (``counts``: decision x population): the target's
        count beats every other strictly, as in the controller."""
        counts = np.asarray(counts, dtype=float)
        targets = np.asarray(targets, dtype=int)
        own = counts[np.arange(len(counts)), targets]
        others = np.where(np.arange(counts.shape[1]) == targets[:, None], -np.inf, counts)
        return own > others.max(axis=1)


__all__ = ["NEVER", "ChoiceTask", "attach_pair_reward", "attach_scheduled_reward", "connect_reward", "schedule_values"]
