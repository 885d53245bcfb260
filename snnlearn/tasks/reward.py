"""Reward delivery as Brian2 code: a task watches spikes and feeds the shared dopamine signal.

Everything here is part of the network (groups, synapses, regular operations), so that a task
runs unchanged on the standalone device, where Python cannot act between time steps. A task
reaches the dopamine controller of :mod:`snnlearn.rules.reward` through a ``Synapses``
pathway from a *spiking controller*: a one-row (or few-row) ``NeuronGroup`` whose threshold is
a condition on time (``t >= t_due``), and whose "spike" is the moment a reward is delivered.

- :func:`connect_reward`: every spike of a group adds a fixed amount of dopamine.
- :func:`attach_pair_reward`: Izhikevich (2007) Fig. 1: whenever one chosen neuron fires
  within ``window`` after another, a reward arrives after a random delay (uniform in
  [``delay_min``, ``delay_max``), drawn by ``rand()`` in the simulation). Pending rewards sit
  in a ring of ``slots`` due times, so that several can be on their way at once.
- :class:`ChoiceTask`: k stimuli, k output populations; at the end of each trial's response
  window the task rewards +1 if the population of the stimulus's action fired strictly more
  than every other one, else -1, minus the expectation of a
  :class:`~snnlearn.rules.reward.RewardBaseline`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from brian2 import NeuronGroup, SpikeMonitor, Synapses, TimedArray, ms, second

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


def attach_pair_reward(built: Any, pre: tuple[str, int], post: tuple[str, int], *, window, delay_min,
                       delay_max, amount: float, slots: int = 16, chunk=None,
                       name: str = "pair_reward") -> NeuronGroup:
    """Reward the pairing "neuron ``post`` fires within ``window`` after neuron ``pre``".

    ``pre`` and ``post`` are (group name, neuron index). Each pairing writes the time a reward
    is due, ``t + delay_min + (delay_max - delay_min) rand()``, into the next of ``slots``
    slots (a ring); a slot "fires" when its time comes, adding ``amount`` to the dopamine.
    Returns the slot group (variables ``t_due``, ``n_pairs``; its spikes are the rewards).

    ``chunk``: for runs split into chunks that each restart at t = 0, the chunk's length. The
    carried due times (``t_due``, ``n_pairs`` carried by the caller) are then shifted back by
    one chunk at the start of each chunk, so that rewards pending at the end of a chunk arrive
    on time in the next.
    """
    dt = built.spec.dt
    ring = NeuronGroup(slots, "t_due : second\nt_first : second\nn_pairs : integer",
                       threshold="t >= t_due", reset="t_due = never", name=name, dt=dt,
                       namespace={"never": NEVER, "chunk_length": chunk})
    ring.t_due = NEVER
    ring.t_first = -NEVER
    pre_group, pre_index = built.groups[pre[0]], int(pre[1])
    post_group, post_index = built.groups[post[0]], int(post[1])
    watch_pre = Synapses(pre_group, ring, on_pre="t_first_post = t", name=f"{name}_pre", dt=dt)
    watch_pre.connect(i=[pre_index] * slots, j=np.arange(slots))
    watch_post = Synapses(post_group, ring, on_pre=lines(
        "paired = int(t > t_first_post and t - t_first_post < window)",
        "t_due_post += paired * int(j == n_pairs_post % n_slots) * (t + delay_min + delay_span * rand() - t_due_post)",
        "n_pairs_post += paired",
    ), name=f"{name}_post", dt=dt, namespace={"window": window, "delay_min": delay_min,
                                              "delay_span": delay_max - delay_min, "n_slots": slots})
    watch_post.connect(i=[post_index] * slots, j=np.arange(slots))
    built.add(ring, watch_pre, watch_post)
    if chunk is not None:
        ring.run_regularly("t_due = t_due - chunk_length", dt=chunk, when="start", name=f"{name}_shift")
    connect_reward(built, ring, repr(float(amount)), f"{name}_dopamine")
    return ring


@dataclass
class ChoiceTask:
    """k stimuli, k actions: reward when the action's population is the most active.

    Trials of length ``trial`` start at t = 0; stimulus ``s`` of trial n (``stimulus(t)``, a
    ``TimedArray`` with one entry per trial) is shown for ``stimulus_on``; the first
    ``response`` of it is the response window, whose spike counts per population decide the
    trial. At its end the controller ``choice`` (one row) computes the reward R = +1 / -1,
    the modulator ``M = R - baseline`` and updates the baseline, and adds ``amount * M`` to the
    dopamine; the rest of the stimulus is the reward window, in which the synapses learn.
    The stimulus is then off until the next trial.

    Build it with :meth:`attach` after :func:`~snnlearn.build.build_network`.
    """

    n_actions: int
    population_size: int
    trial: Any
    response: Any
    baseline: RewardBaseline
    amount: float = 1.0

    def counts(self) -> list[str]:
        return [f"count_{a}" for a in range(self.n_actions)]

    def attach(self, built: Any, outputs: str, stimulus: TimedArray, name: str = "choice") -> tuple[NeuronGroup, SpikeMonitor]:
        """Add the controller, its counting and reward pathways; returns (controller, monitor
        of decisions recording the counts and the baselines before each trial's update)."""
        dt, k = built.spec.dt, self.n_actions
        controller = NeuronGroup(
            1, lines(*(f"{c} : 1" for c in self.counts()), "t_decide : second", self.baseline.equations(k)),
            threshold="t >= t_decide", reset=lines(*(f"{c} = 0" for c in self.counts()), "t_decide += trial"),
            name=name, dt=dt, namespace={"trial": self.trial})
        controller.t_decide = self.response
        for var, value in self.baseline.switches().items():
            setattr(controller, var, value)
        count = Synapses(built.groups[outputs], controller, on_pre=lines(
            "counting = int(t >= t_decide_post - response)",
            *(f"count_{a}_post += counting * int(i // population_size == {a})" for a in range(k)),
        ), name=f"{name}_count", dt=dt, namespace={"response": self.response, "population_size": self.population_size})
        count.connect()
        target = "stimulus(t)"
        own = "(0" + "".join(f" + count_{a}_pre * int(target == {a})" for a in range(k)) + ")"
        decide = Synapses(controller, _dopamine(built), on_pre=lines(
            f"target = {target}",
            f"own_count = {own}",
            "won = 1" + "".join(f" * int(own_count > count_{a}_pre or target == {a})" for a in range(k)),
            "reward = 2 * won - 1",
            self.baseline.statements(k, "reward", "target", suffix="_pre"),
            f"DA_post += {float(self.amount)!r} * modulator",
        ), name=f"{name}_reward", dt=dt, namespace={"stimulus": stimulus})
        decide.connect()
        monitor = SpikeMonitor(controller, variables=self.counts() + RewardBaseline.variables(k),
                               name=f"{name}_decisions")
        built.add(controller, count, decide, monitor)
        return controller, monitor

    @staticmethod
    def correct(counts: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Whether each decision was rewarded: the target's count beats every other strictly
        (``counts``: decision x action), the same rule as the controller's."""
        counts = np.asarray(counts)
        own = counts[np.arange(len(counts)), targets]
        others = np.where(np.arange(counts.shape[1]) == np.asarray(targets)[:, None], -np.inf, counts)
        return own > others.max(axis=1)


def stimulus_rates(patterns: str, index: str, trial, stimulus_on, rate_on, rate_off) -> str:
    """Rate expression of an input group: pattern ``index`` (a TimedArray of t) during the first
    ``stimulus_on`` of each trial (``patterns``: a 0/1 TimedArray over (pattern, input)),
    ``rate_off`` otherwise."""
    on = f"int(t - {trial!r} * floor(t / ({trial!r})) < {stimulus_on!r})"
    return f"{rate_off!r} + ({rate_on!r} - {rate_off!r}) * {on} * {patterns}({index}(t) * second, i)"


def trial_times(n_trials: int, trial) -> np.ndarray:
    """Decision times of trials 0..n-1 (seconds), for relating recorded decisions to trials."""
    return np.arange(n_trials) * float(trial / second)


__all__ = ["NEVER", "ChoiceTask", "attach_pair_reward", "connect_reward", "stimulus_rates", "ms"]
