"""snnlearn: spiking networks with hard thresholds, trained by local rules, beside a backprop baseline.

The spiking side is built in Brian2 from declarative model files (``models/*.toml``); the rate
side (``snnlearn.ratenet``) is plain NumPy. Experiments in ``experiments/`` reproduce published
results and write ``metrics.json`` plus figures into ``results/<experiment>/<run>/``.
"""

__version__ = "0.1.0"
