"""Minibatch training of a rate network with any learner and optimiser, with learning curves.

The data are a :class:`snnlearn.data.Dataset` (embedded digits or the shared MNIST split); each
epoch visits the training set in a fresh random order, and the network is evaluated on the
test set every ``eval_every`` epochs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..data import Dataset, load_dataset
from ..errors import ConfigError
from .diagnostics import layer_grad_norms
from .learners import Learner
from .losses import Loss
from .network import Architecture, Params, forward

Array = np.ndarray


def resolve_data_path(path: str) -> str:
    """``path`` itself, or a relative folder found under the project root; else a ConfigError."""
    if not path or path == "digits" or Path(path).exists():
        return path
    from ..experiment import project_root

    candidate = project_root() / path
    if not candidate.exists():
        raise ConfigError("data.path", f"{path} not found (nor {candidate})",
                          "give 'digits' or a folder of MNIST IDX files")
    return str(candidate)


def load_data(path: str = "digits", train: str = "0:8000", test: str = "8000:10000") -> Dataset:
    """:func:`snnlearn.data.load_dataset`; a relative folder may also be under the project root."""
    return load_dataset(resolve_data_path(path), train, test)


def loss_and_gradients(arch: Architecture, params: Mapping[str, Array], learner: Learner,
                       loss: Loss, x: Array, y: Array) -> tuple[float, Params]:
    """The batch's mean loss and the learner's update for every parameter."""
    cache = forward(arch, params, x)
    value, dout = loss.evaluate(cache.output, y)
    return value, learner.gradients(arch, params, cache, dout)


def evaluate(arch: Architecture, params: Mapping[str, Array], loss: Loss, x: Array, y: Array,
             ) -> tuple[float, float]:
    """Mean loss and classification accuracy (arg-max of the output) on ``(x, y)``."""
    output = forward(arch, params, x).output
    value, _ = loss.evaluate(output, y)
    return value, float(np.mean(output.argmax(axis=1) == y))


@dataclass
class History:
    """Learning curves: one entry per evaluation (epoch 0 is before training)."""

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    #: per evaluation, the mean over the epoch's batches of each layer's weight-gradient norm
    grad_norms: list[list[float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, list]:
        return {"epoch": self.epoch, "train_loss": self.train_loss, "test_loss": self.test_loss,
                "test_accuracy": self.test_accuracy, "grad_norms": self.grad_norms}


def train(arch: Architecture, params: MutableMapping[str, Array], learner: Learner, optimizer,
          loss: Loss, data: Dataset, *, epochs: int, batch_size: int, rng: np.random.Generator,
          eval_every: int = 1, log: Callable[[str], None] | None = None,
          on_eval: Callable[[int], None] | None = None) -> History:
    """Train ``params`` in place by minibatches; returns the learning curves.

    ``optimizer`` is anything with ``step(params, grads)`` (see :mod:`.optim`); ``on_eval(epoch)``
    is called at every evaluation (epoch 0 before training), e.g. to record more measurements.
    """
    if loss.needs_linear_output and arch.output_activation != "linear":
        raise ConfigError("output_activation", f"{loss.name} takes logits",
                          "use a linear output layer")
    history = History()
    n = len(data.y_train)
    epoch_norms: list[list[float]] = []
    for epoch in range(epochs + 1):
        if epoch > 0:
            order = rng.permutation(n)
            for start in range(0, n, batch_size):
                batch = order[start:start + batch_size]
                _, grads = loss_and_gradients(arch, params, learner, loss,
                                              data.x_train[batch], data.y_train[batch])
                epoch_norms.append(layer_grad_norms(arch, grads))
                optimizer.step(params, grads)
        if epoch % eval_every == 0 or epoch == epochs:
            train_loss, _ = evaluate(arch, params, loss, data.x_train, data.y_train)
            test_loss, accuracy = evaluate(arch, params, loss, data.x_test, data.y_test)
            history.epoch.append(epoch)
            history.train_loss.append(train_loss)
            history.test_loss.append(test_loss)
            history.test_accuracy.append(accuracy)
            history.grad_norms.append(np.mean(epoch_norms, axis=0).tolist() if epoch_norms else [])
            epoch_norms = []
            if log is not None:
                log(f"epoch {epoch}: train loss {train_loss:.4f}, test accuracy {accuracy:.4f}")
            if on_eval is not None:
                on_eval(epoch)
    return history
