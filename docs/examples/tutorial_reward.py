"""Tutorial, part 2: reward-modulated STDP, with a dopamine signal that your network makes."""

import brian2 as b2
import numpy as np

import snnlearn

b2.prefs.codegen.target = "numpy"
b2.seed(2)

inputs = b2.PoissonGroup(50, rates=20 * b2.Hz)
out = snnlearn.neuron_group("lif_conductance", 1)

# The neuromodulator: one variable DA that decays, kicked by reward events (here: fixed times).
dopamine = b2.NeuronGroup(1, "dDA/dt = -DA / (200 * ms) : 1", method="exact")
rewards = b2.SpikeGeneratorGroup(1, np.zeros(5, dtype=int), np.arange(1, 6) * 300 * b2.ms)
deliver = b2.Synapses(rewards, dopamine, on_pre="DA_post += 0.5")
deliver.connect()

# Dopamine-modulated STDP (Izhikevich 2007): STDP fills an eligibility trace, dopamine turns it
# into weight change. The rule reads the modulator you pass as dopamine=(group, variable).
syn = snnlearn.plastic_synapses(
    inputs, out, "da_stdp", on_pre="g_e_post += 0.05 * w", dopamine=(dopamine, "DA"), tau_c="1 s", w_max=4.0
)
syn.connect()
syn.w = 1.0

net = b2.Network(inputs, out, syn, dopamine, rewards, deliver)
net.run(2 * b2.second)
print(f"weights moved: {np.abs(syn.w[:] - 1.0).max():.3f} at most; final mean {np.mean(syn.w[:]):.3f}")
assert not np.allclose(syn.w[:], 1.0)

# Or build the Synapses yourself from the rule's code:
code = snnlearn.rule("stdp_multiplicative", mu=0.5)
manual = b2.Synapses(
    inputs,
    out,
    model=code.model,
    on_pre="g_e_post += 0.05 * w\n" + code.on_pre,
    on_post=code.on_post,
    namespace=code.namespace,
    method="exact",
)
manual.connect()
print(code.model)
