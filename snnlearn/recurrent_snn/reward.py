"""Reward-modulated learning of the recurrent spiking network: node perturbation.

Every trial is run twice on the same input spikes: once clean, once with Gaussian noise added
to the input current of every recurrent neuron and of the readout. The only feedback is one
scalar per trial at its end, the reward ``R = -cost`` (the trial's loss), and the clean run's
reward is the trial's baseline. Each synapse correlates the noise its target received with its
presynaptic activity (a local eligibility, ``sum_t xi_{j,t} s_{i,t}``) and the reward's
deviation from the baseline turns it into a weight change (Williams 1992; Fiete & Seung 2006
for node perturbation in spiking networks):

    dW_ji = (cost - cost_clean) / sigma^2  sum_t xi_{j,t} s_{i,t}      (the sign of a gradient)

To make the contender fair the noise is correlated in time: it is constant over blocks of
``block`` steps (fewer independent noise sources, so less variance), with its own amplitude for
the readout (``sigma_out``); both are tuned in the experiment. Same network, data and readout as
the gradient learners; the same NumPy simulation.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..ratenet.losses import Loss
from ..registry import Properties, register
from .bptt import SpikingLearner
from .network import Params, SpikingArchitecture, outer_sum, simulate, trial_costs

Array = np.ndarray


def block_noise(rng: np.random.Generator, sigma: float, steps: int, batch: int, n: int, block: int) -> Array:
    """Gaussian noise (steps, batch, n) of std ``sigma``, constant over blocks of ``block`` steps."""
    draws = rng.normal(0.0, sigma, (-(-steps // block), batch, n))
    return np.repeat(draws, block, axis=0)[:steps]


class NodePerturbation(SpikingLearner):
    """Node perturbation of the recurrent neurons and the readout from a scalar reward per trial."""

    name = "reward_node_perturbation"
    properties = Properties(
        "spiking",
        differentiable_activation=False,
        hard_threshold=True,
        local=True,
        weight_transport=False,
        stores_activations=False,
        scalar_reward=True,
    )

    def __init__(self, sigma: float = 0.05, sigma_out: float = 0.05, block: int = 20) -> None:
        self.sigma, self.sigma_out, self.block = float(sigma), float(sigma_out), int(block)

    def dimension(self, arch: SpikingArchitecture) -> int:
        """Noise sources per trial and block: every recurrent neuron and readout unit."""
        return arch.n_rec + arch.n_out

    def update(
        self,
        arch: SpikingArchitecture,
        params: Mapping[str, Array],
        x: Array,
        y: Array,
        loss: Loss,
        rng: np.random.Generator,
    ) -> Params:
        steps, batch = np.shape(x)[:2]
        clean = trial_costs(arch, simulate(arch, params, x).y, y, loss)
        xi = block_noise(rng, self.sigma, steps, batch, arch.n_rec, self.block)
        xi_out = block_noise(rng, self.sigma_out, steps, batch, arch.n_out, self.block)
        noisy = simulate(arch, params, x, noise=xi, out_noise=xi_out)
        delta = (trial_costs(arch, noisy.y, y, loss) - clean) / batch  # reward deviation, per trial
        hidden = xi * (delta / self.sigma**2)[None, :, None]
        out = xi_out * (delta / self.sigma_out**2)[None, :, None]
        grad_rec = outer_sum(hidden, noisy.z[:-1])
        np.fill_diagonal(grad_rec, 0.0)
        return {
            "W_in": outer_sum(hidden, noisy.x),
            "W_rec": grad_rec,
            "W_out": outer_sum(out, noisy.z[1:]),
            "b_out": out.sum(axis=(0, 1)),
        }


register(
    NodePerturbation.name,
    NodePerturbation.properties,
    (NodePerturbation.__doc__ or "").split("\n")[0],
    NodePerturbation,
)
