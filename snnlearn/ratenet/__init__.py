"""Rate-coded networks trained by backprop in plain NumPy: the baseline beside the spiking side.

- :mod:`.activations` — activation functions with the derivative the backward pass uses
  (true, or a surrogate for the hard step);
- :mod:`.losses` — softmax/sigmoid cross-entropy and squared error with their gradients;
- :mod:`.network` — MLPs with skip modes ``none``/``residual``/``dense``: forward cache,
  error propagation through pluggable feedback matrices, weight gradients;
- :mod:`.learner` — the one learner interface (``update`` from a batch) and ``make_learner``;
- :mod:`.learners` — backprop, feedback alignment, sign symmetry, DFA, output-only;
- :mod:`.estimators` — node and weight perturbation, REINFORCE: learning from a scalar reward;
- :mod:`.forward_forward` — Forward-Forward (Hinton 2022): a goodness per layer, no backward pass;
- :mod:`.optim` — SGD and Adam over a parameter dict;
- :mod:`.recurrent` — a recurrent rate network and its learner, backprop through time;
- :mod:`.train` — the one training loop (``fit``), epochs of a data set, learning curves;
- :mod:`.student_teacher` — student-teacher regression and the time to learn it;
- :mod:`.variance` — variance and cosine of updates, log-log slopes, learning-rate sweeps;
- :mod:`.diagnostics` — per-layer gradient norms, Jacobian importance, memory of learning.

Importing the package registers every rate learner (:mod:`snnlearn.registry`).

All quantities are plain floats (float64 arrays); parameters are a ``dict`` of named arrays.
"""

from .activations import ACTIVATION_NAMES, Activation, make_activation
from .diagnostics import (
    finite_difference_gradients,
    identity_path_fraction,
    jacobian_importance,
    layer_grad_norms,
    peak_allocated_bytes,
    top_k_layers,
)
from .estimators import ESTIMATORS, GradientEstimator
from .forward_forward import ForwardForward
from .learner import Learner, OnlineLearner, make_learner, rate_learners
from .learners import Backprop, BackwardLearner, ChainLearner
from .losses import LOSSES, REGRESSION_LOSS, Loss, make_loss
from .network import (
    SKIP_MODES,
    Architecture,
    ForwardCache,
    Params,
    backward,
    backward_errors,
    forward,
    init_params,
    weight_gradients,
)
from .optim import SGD, Adam, make_optimizer
from .recurrent import (
    BPTT,
    RecurrentArchitecture,
    RecurrentCache,
    init_recurrent_params,
    recurrent_backward,
    recurrent_forward,
)
from .train import (
    Batch,
    History,
    Step,
    epoch_batches,
    evaluate,
    fit,
    fresh_batches,
    learning_rate,
    load_data,
    loss_and_gradients,
    resolve_data_path,
    train,
)

__all__ = [
    "ACTIVATION_NAMES",
    "Activation",
    "make_activation",
    "finite_difference_gradients",
    "jacobian_importance",
    "layer_grad_norms",
    "peak_allocated_bytes",
    "top_k_layers",
    "identity_path_fraction",
    "ESTIMATORS",
    "GradientEstimator",
    "ForwardForward",
    "Learner",
    "OnlineLearner",
    "make_learner",
    "rate_learners",
    "Backprop",
    "BackwardLearner",
    "ChainLearner",
    "LOSSES",
    "REGRESSION_LOSS",
    "Loss",
    "make_loss",
    "SKIP_MODES",
    "Architecture",
    "ForwardCache",
    "Params",
    "backward",
    "backward_errors",
    "forward",
    "init_params",
    "weight_gradients",
    "SGD",
    "Adam",
    "make_optimizer",
    "BPTT",
    "RecurrentArchitecture",
    "RecurrentCache",
    "init_recurrent_params",
    "recurrent_backward",
    "recurrent_forward",
    "Batch",
    "History",
    "Step",
    "epoch_batches",
    "evaluate",
    "fit",
    "fresh_batches",
    "learning_rate",
    "load_data",
    "loss_and_gradients",
    "resolve_data_path",
    "train",
]
