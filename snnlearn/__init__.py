"""snnlearn: spiking networks with hard thresholds, trained by local rules, beside a backprop baseline.

The spiking side is built in Brian2 from declarative model files (``models/*.toml``); the rate
side (``snnlearn.ratenet``) is plain NumPy. Experiments in ``experiments/`` reproduce published
results and write ``metrics.json`` plus figures into ``results/<experiment>/<run>/``.

For Brian2 users the package root exports the rules and neuron models for their own groups
(:func:`plastic_synapses`, :func:`rule`, :func:`neuron_group`, see :mod:`snnlearn.api`) and
the reader of a run folder (:func:`load_run`, see :mod:`snnlearn.results`).
"""

__version__ = "0.1.0"

from .api import RuleCode, neuron_group, plastic_synapses, rule  # noqa: E402
from .errors import ConfigError  # noqa: E402
from .results import RunResult, load_run  # noqa: E402

__all__ = [
    "ConfigError",
    "RuleCode",
    "RunResult",
    "__version__",
    "load_run",
    "neuron_group",
    "plastic_synapses",
    "rule",
]
