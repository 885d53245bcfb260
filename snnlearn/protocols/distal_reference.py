"""The distal reward network in the paper's own discrete scheme (NumPy): a reference for the Brian2 model.

Izhikevich (2007) published the simulation behind Fig. 1 with the paper (``daspnet.m``, ModelDB
84167). Its scheme is discrete in ways a continuous-time model does not reproduce exactly, and
what a target such as "the rewarded synapse ends in the top 1% in every run" means depends on
what the paper's own model does over an hour and over seeds. This module implements that scheme
step by step, from its published description, so the same statistics can be measured beside
the Brian2 model's (``distal_reward`` with ``reference_scheme = true``).

One step is 1 ms (:meth:`DistalReference.step`):

1. every neuron draws thalamic input ``I = 13 (U - 0.5)`` (U uniform in [0, 1));
2. neurons with ``v >= 30`` fire: ``v = -65``, ``u += d``; their STDP trace is *set* to 0.1;
3. LTP: each incoming excitatory synapse of a neuron that fired adds to its eligibility the
   presynaptic trace of the previous step (a presynaptic spike counts from the step after it);
4. delivery (1 ms delay: a spike detected in this step acts in this step's update): each
   target gets ``I += s`` (one synapse per target and spike when a neuron contacts a target
   twice, as the code's indexed assignment does); LTD: the synapse's eligibility loses 1.5 x the
   target's trace of *this* step, so a pre and a post spike in the same step give LTD only;
5. ``v += 0.5 (0.04 v^2 + 5 v + 140 - u + I)`` twice, then ``u += a (0.2 v - u)``;
6. the traces decay by 0.95 and dopamine by 0.995;
7. every 10 ms the excitatory weights move: ``s = clip(s + (0.002 + DA) sd, 0, 4)``, then
   ``sd *= 0.99``;
8. reward: when the chosen synapse's target fires less than 20 ms after its source (and not in
   the same step), ``DA += 0.5`` arrives 1-3 s later (``1000 + ceil(2000 U)`` ms); several rewards
   due in the same step add 0.5 once.

Network as in the code: 800 excitatory (a = 0.02, d = 8) and 200 inhibitory (a = 0.1, d = 2)
neurons, 100 synapses each, targets drawn with replacement (excitatory: any neuron; inhibitory:
excitatory ones), weights 1 and -1; the chosen synapse is neuron 0's first and starts at 0. Here
its target is redrawn among the excitatory neurons when the draw falls on an inhibitory one, as
the Brian2 model's chosen synapse joins two excitatory neurons.

The null control (``control_rewards=n``) delivers ``n`` rewards at times drawn uniformly over
the run instead, independent of the pairings, as the Brian2 experiment's control does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

N_EXC, N_INH, SYNAPSES = 800, 200, 100
W_MAX = 4.0
TRACE_AT_SPIKE, TRACE_DECAY = 0.1, 0.95  # per ms: tau = 20 ms
LTD_FACTOR = 1.5
DA_DECAY, DA_TONIC, DA_PER_REWARD = 0.995, 0.002, 0.5
ELIGIBILITY_DECAY, UPDATE_EVERY_MS = 0.99, 10
PAIRING_WINDOW_MS = 20
NOISE_MV = 13.0


@dataclass
class DistalReference:
    """State of the network (weights ``s``, eligibilities ``sd``, neurons ``v``, ``u``, traces,
    dopamine, pending rewards) and one 1 ms step of the paper's scheme (:meth:`step`)."""

    seed: int
    control_rewards: int | None = None  # the null control: this many rewards at random times
    duration_ms: int = 3_600_000
    reward_delay_ms: tuple[int, int] = (1000, 3000)
    noise_mv: float = NOISE_MV  # amplitude of the thalamic input (0 in tests of single events)
    rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        n = N_EXC + N_INH
        self.rng = rng = np.random.default_rng([self.seed, 2007])
        self.post = np.concatenate([rng.integers(0, n, (N_EXC, SYNAPSES)), rng.integers(0, N_EXC, (N_INH, SYNAPSES))])
        if self.post[0, 0] >= N_EXC:  # the chosen synapse joins two excitatory neurons
            self.post[0, 0] = rng.integers(1, N_EXC)
        self.s = np.concatenate([np.ones((N_EXC, SYNAPSES)), -np.ones((N_INH, SYNAPSES))])
        self.s[0, 0] = 0.0
        self.sd = np.zeros((n, SYNAPSES))
        self.a = np.r_[np.full(N_EXC, 0.02), np.full(N_INH, 0.1)]
        self.d = np.r_[np.full(N_EXC, 8.0), np.full(N_INH, 2.0)]
        self.v = np.full(n, -65.0)
        self.u = 0.2 * self.v
        self.trace, self.trace_before = np.zeros(n), np.zeros(n)
        self.dopamine, self.now = 0.0, 0
        self.spike_counts = np.zeros(n, dtype=np.int64)
        self.last_pre, self.pairings, self.rewards_delivered = -(10**9), 0, 0
        self.due: dict[int, int] = {}
        # each neuron's incoming excitatory synapses (flat index into s) and their sources
        flat = self.post[:N_EXC].ravel()
        order = np.argsort(flat, kind="stable")
        bounds = np.searchsorted(flat[order], np.arange(n + 1))
        self.incoming = [order[bounds[i] : bounds[i + 1]] for i in range(n)]
        self.sources = [syn // SYNAPSES for syn in self.incoming]
        if self.control_rewards:
            for t in rng.integers(1, self.duration_ms + 1, self.control_rewards):
                self.due[int(t)] = self.due.get(int(t), 0) + 1

    @property
    def chosen(self) -> tuple[int, int]:
        """Source and target neuron of the rewarded synapse."""
        return 0, int(self.post[0, 0])

    def step(self) -> np.ndarray:
        """Advance 1 ms; returns the neurons that fired."""
        self.now += 1
        current = self.noise_mv * (self.rng.random(len(self.v)) - 0.5)
        fired = np.flatnonzero(self.v >= 30.0)
        if fired.size:
            self.v[fired] = -65.0
            self.u[fired] += self.d[fired]
            self.trace[fired] = TRACE_AT_SPIKE
            self.spike_counts[fired] += 1
            eligibility = self.sd.reshape(-1)
            for target in fired:
                eligibility[self.incoming[target]] += self.trace_before[self.sources[target]]
            for source in fired[::-1]:
                targets = self.post[source]
                current[targets] = current[targets] + self.s[source]
                self.sd[source] -= LTD_FACTOR * self.trace[targets]
        for _ in range(2):
            self.v += 0.5 * ((0.04 * self.v + 5.0) * self.v + 140.0 - self.u + current)
        self.u += self.a * (0.2 * self.v - self.u)
        self.trace_before, self.trace = self.trace, TRACE_DECAY * self.trace
        self.dopamine *= DA_DECAY
        if self.now % UPDATE_EVERY_MS == 0:
            np.clip(self.s[:N_EXC] + (DA_TONIC + self.dopamine) * self.sd[:N_EXC], 0.0, W_MAX, out=self.s[:N_EXC])
            self.sd *= ELIGIBILITY_DECAY
        if fired.size:
            self._detect_pairing(fired)
        if self.due.pop(self.now, 0):
            self.dopamine += DA_PER_REWARD
            self.rewards_delivered += 1
        return fired

    def _detect_pairing(self, fired: np.ndarray) -> None:
        pre, post = self.chosen
        if pre in fired:
            self.last_pre = self.now
        if post in fired and 0 < self.now - self.last_pre < PAIRING_WINDOW_MS:
            self.pairings += 1
            if self.control_rewards is None:
                low, high = self.reward_delay_ms
                when = self.now + low + int(np.ceil((high - low) * self.rng.random()))
                self.due[when] = self.due.get(when, 0) + 1

    def summary(self) -> dict[str, float | int]:
        """The ``distal_reward`` experiment's metrics of one condition, computed alike: the
        chosen weight, its rank among every other excitatory synapse (ties count against it),
        the share of the others at >= 0.9 w_max, their mean, the rates and the rewards."""
        seconds = self.now / 1000
        return {
            **standing(float(self.s[0, 0]), np.delete(self.s[:N_EXC].ravel(), 0), W_MAX),
            "rate_exc_hz": float(self.spike_counts[:N_EXC].sum() / (N_EXC * seconds)),
            "rate_inh_hz": float(self.spike_counts[N_EXC:].sum() / (N_INH * seconds)),
            "n_rewards": int(self.rewards_delivered),
            "n_pairings": int(self.pairings),
        }


def standing(w: float, others: np.ndarray, w_max: float) -> dict[str, float | int]:
    """Where the chosen synapse's final weight ``w`` stands among ``others`` (every other
    excitatory synapse): its rank (1 + the others at least as strong: ties count against it), the
    rank as a fraction, the share of the others at >= 0.9 w_max and their mean. One definition for
    the Brian2 experiment and the paper's scheme."""
    rank = 1 + int(np.sum(others >= w))
    return {
        "rewarded_weight_final": w,
        "rewarded_rank_final": rank,
        "n_excitatory_synapses": int(others.size + 1),
        "rewarded_top_fraction": rank / (others.size + 1),
        "fraction_of_others_above_90pct": float(np.mean(others >= 0.9 * w_max)),
        "others_weight_mean_final": float(others.mean()),
    }


def run_reference(seed: int, duration_ms: int, reward_delay_ms: tuple[int, int] = (1000, 3000)) -> dict[str, dict]:
    """Both conditions in the paper's scheme: rewarded, then the null control with as many
    rewards as the rewarded run received. Returns ``{"rewarded": summary, "control": summary}``."""
    rewarded = DistalReference(seed, duration_ms=duration_ms, reward_delay_ms=reward_delay_ms)
    for _ in range(duration_ms):
        rewarded.step()
    control = DistalReference(seed, control_rewards=rewarded.rewards_delivered, duration_ms=duration_ms)
    for _ in range(duration_ms):
        control.step()
    return {"rewarded": rewarded.summary(), "control": control.summary()}
