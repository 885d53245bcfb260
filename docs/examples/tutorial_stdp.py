"""Tutorial, part 1: a Brian2 network of your own, trained by the library's STDP rule."""

import brian2 as b2
import numpy as np

import snnlearn

b2.prefs.codegen.target = "numpy"  # a small network: no C compiler needed
b2.seed(1)

# Your network: 100 Poisson inputs, the first 20 firing together (a shared rate that jumps every
# 20 ms), the others independently; two conductance-based LIF neurons from the library.
n_inputs, n_correlated = 100, 20
shared = b2.TimedArray(np.random.default_rng(1).choice([0.0, 40.0], size=200) * b2.Hz, dt=20 * b2.ms)
inputs = b2.PoissonGroup(
    n_inputs,
    rates="(i < n_correlated) * shared(t) + (i >= n_correlated) * 20 * Hz",
    namespace={"shared": shared, "n_correlated": n_correlated},
)
out = snnlearn.neuron_group("lif_conductance", 2, tau_m="20 ms", v_threshold="-54 mV")

# Plastic synapses: additive STDP (Song et al. 2000) merged with your synaptic effect.
syn = snnlearn.plastic_synapses(
    inputs,
    out,
    "stdp_additive",
    on_pre="g_e_post += g_max * w",
    namespace={"g_max": 0.05},
    a_plus=0.01,
    a_minus=0.0105,
    tau_plus="20 ms",
)
syn.connect()
syn.w = 0.5

spikes = b2.SpikeMonitor(out)
net = b2.Network(inputs, out, syn, spikes)
net.run(4 * b2.second)

w = np.asarray(syn.w[:]).reshape(n_inputs, 2)  # synapses are ordered by input, then neuron
print(f"output spikes: {spikes.num_spikes}")
print(
    f"mean weight of the correlated inputs: {w[:n_correlated].mean():.2f}, of the others: {w[n_correlated:].mean():.2f}"
)
assert w[:n_correlated].mean() > w[n_correlated:].mean()  # STDP picks out the inputs that fire together
