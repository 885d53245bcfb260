"""Rate-coded networks trained by backprop in plain NumPy: the baseline beside the spiking side.

- :mod:`.activations` — activation functions with the derivative the backward pass uses
  (true, or a surrogate for the hard step);
- :mod:`.losses` — softmax/sigmoid cross-entropy and squared error with their gradients;
- :mod:`.network` — MLPs with skip modes ``none``/``residual``/``dense``: forward cache,
  error propagation through pluggable feedback matrices, weight gradients;
- :mod:`.learners` — rules that compute updates from a forward cache (``Backprop``);
- :mod:`.optim` — SGD and Adam over a parameter dict;
- :mod:`.recurrent` — a recurrent rate network trained by backprop through time;
- :mod:`.train` — minibatch loop, evaluation and learning curves;
- :mod:`.diagnostics` — per-layer gradient norms, Jacobian importance, memory of learning.

All quantities are plain floats (float64 arrays); parameters are a ``dict`` of named arrays.
"""

from .activations import ACTIVATION_NAMES, Activation, make_activation
from .diagnostics import (
    finite_difference_gradients,
    jacobian_importance,
    layer_grad_norms,
    peak_allocated_bytes,
    top_k_layers,
)
from .learners import LEARNERS, Backprop, ChainLearner, Learner, make_learner
from .losses import LOSSES, Loss, make_loss
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
    RecurrentArchitecture,
    RecurrentCache,
    init_recurrent_params,
    recurrent_backward,
    recurrent_forward,
)
from .train import History, evaluate, load_data, loss_and_gradients, resolve_data_path, train

__all__ = [
    "ACTIVATION_NAMES", "Activation", "make_activation",
    "finite_difference_gradients", "jacobian_importance", "layer_grad_norms",
    "peak_allocated_bytes", "top_k_layers",
    "LEARNERS", "Backprop", "ChainLearner", "Learner", "make_learner",
    "LOSSES", "Loss", "make_loss",
    "SKIP_MODES", "Architecture", "ForwardCache", "Params", "backward", "backward_errors",
    "forward", "init_params", "weight_gradients",
    "SGD", "Adam", "make_optimizer",
    "RecurrentArchitecture", "RecurrentCache", "init_recurrent_params", "recurrent_backward",
    "recurrent_forward",
    "History", "evaluate", "load_data", "loss_and_gradients", "resolve_data_path", "train",
]
