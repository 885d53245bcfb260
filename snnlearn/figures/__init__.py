"""The figures of the experiments, as functions of their data that return a ``Figure``.

An experiment chooses what to draw and saves it with ``RunContext.savefig``; these functions
draw it in the style of :mod:`snnlearn.plotstyle` (units, integer ticks for counts, reference
lines with legend entries, curves that stay visible where they coincide). They compute nothing a
test should check beyond what they draw.

- :mod:`.learning`: learning curves, gradient alignment, adversarial accuracy, gradient norms,
  Jacobian sources, memory of learning (rate networks and the recurrent spiking network);
- :mod:`.plasticity`: spike-timing and Hebbian rules (STDP window, frequency dependence, Oja,
  BCM) and homeostasis.
"""
