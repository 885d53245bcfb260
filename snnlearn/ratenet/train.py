"""The one training loop of the rate networks (:func:`fit`), and epochs of a data set on it.

:func:`fit` drives any :class:`~.learner.Learner` with any optimiser over any stream of batches:
at every update the learner computes its update from the batch, the optimiser applies it, and a
callback sees the :class:`Step` (to evaluate, record or stop). What differs between uses is only
the stream and the callback:

- :func:`epoch_batches`: a data set visited in a fresh random order every epoch (minibatches
  along the batch axis, axis 1 for sequences ``(T, batch, n_in)``);
- :func:`fresh_batches`: new trials drawn for every update (student-teacher regression);
- :func:`train`: epochs of a :class:`snnlearn.data.Dataset` with learning curves (loss and
  accuracy on the test set every ``eval_every`` epochs, per-layer gradient norms).

Each learner has its own optimiser, so each can have its own learning rate (:func:`learning_rate`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..data import Dataset, load_dataset
from ..errors import ConfigError
from .diagnostics import layer_grad_norms
from .learner import Learner
from .learners import BackwardLearner
from .losses import Loss
from .network import Architecture, Params, forward
from .recurrent import RecurrentArchitecture, recurrent_output

Array = np.ndarray


def resolve_data_path(path: str) -> str:
    """``path`` itself, or a relative folder found under the project root; else a ConfigError."""
    if not path or path == "digits" or Path(path).exists():
        return path
    from ..experiment import project_root

    candidate = project_root() / path
    if not candidate.exists():
        raise ConfigError(
            "data.path", f"{path} not found (nor {candidate})", "give 'digits' or a folder of MNIST IDX files"
        )
    return str(candidate)


def load_data(path: str = "digits", train: str = "0:8000", test: str = "8000:10000") -> Dataset:
    """:func:`snnlearn.data.load_dataset`; a relative folder may also be under the project root."""
    return load_dataset(resolve_data_path(path), train, test)


def loss_and_gradients(
    arch: Architecture, params: Mapping[str, Array], learner: BackwardLearner, loss: Loss, x: Array, y: Array
) -> tuple[float, Params]:
    """The batch's mean loss and a backward learner's update for every parameter."""
    cache = forward(arch, params, x)
    value, dout = loss.evaluate(cache.output, y)
    return value, learner.gradients(arch, params, cache, dout)


def network_output(arch: Any, params: Mapping[str, Array], x: Array) -> Array:
    """The output of a feed-forward network, or the last step's readout of a recurrent one."""
    if isinstance(arch, RecurrentArchitecture):
        return recurrent_output(arch, params, x)
    return forward(arch, params, x).output


def evaluate(
    arch: Any,
    params: Mapping[str, Array],
    loss: Loss,
    x: Array,
    y: Array,
) -> tuple[float, float]:
    """Mean loss and classification accuracy (arg-max of the output) on ``(x, y)``."""
    output = network_output(arch, params, x)
    value, _ = loss.evaluate(output, y)
    return value, float(np.mean(output.argmax(axis=1) == y))


class Optimizer(Protocol):
    """Anything that applies updates to parameters in place (see :mod:`.optim`)."""

    def step(self, params: MutableMapping[str, Array], grads: Mapping[str, Array]) -> None:
        """Apply one update to ``params`` in place.

        Parameters
        ----------
        params : mutable mapping of str to ndarray
            The parameters, changed in place.
        grads : mapping of str to ndarray
            The gradient of the loss, or a learner's update in its place, for each parameter to
            change; parameters without an entry are left as they are. The step goes against it
            (descent).
        """


@dataclass(frozen=True)
class Batch:
    """One minibatch: inputs, labels or targets, and where it falls in the data."""

    x: Array
    y: Array
    #: 1-based epoch of a data set (0 for a stream of fresh trials)
    epoch: int = 0
    #: the last batch of its epoch
    last_of_epoch: bool = False


@dataclass(frozen=True)
class Step:
    """What the callback of :func:`fit` sees after each update."""

    #: updates applied so far (this one included)
    updates: int
    #: examples (trials or sequences) learned from so far
    examples: int
    batch: Batch
    #: the learner's update, as the optimiser received it
    grads: Params


def epoch_batches(
    x: Array, y: Array, batch_size: int, rng: np.random.Generator, epochs: int | None = None, batch_axis: int = 0
) -> Iterator[Batch]:
    """Minibatches of ``(x, y)`` in a fresh random order each epoch (``epochs`` None: forever).

    The order of an epoch is drawn from ``rng`` when its first batch is asked for, so a learner
    that draws from the same ``rng`` sees the same stream as when the loop is written out.
    """
    n = np.shape(y)[0]
    epoch = 0
    while epochs is None or epoch < epochs:
        epoch += 1
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            yield Batch(np.take(x, batch, axis=batch_axis), y[batch], epoch, start + batch_size >= n)


def fresh_batches(draw: Callable[[], tuple[Array, Array]]) -> Iterator[Batch]:
    """An endless stream of new trials, ``draw() -> (x, y)`` for every update."""
    while True:
        x, y = draw()
        yield Batch(x, y)


def fit(
    arch: Any,
    params: MutableMapping[str, Array],
    learner: Learner,
    optimizer: Optimizer,
    loss: Loss,
    batches: Iterable[Batch],
    *,
    rng: np.random.Generator,
    after: Callable[[Step], bool | None] | None = None,
) -> int:
    """Train ``params`` in place: for every batch, ``learner.update`` then ``optimizer.step``.

    ``rng`` reaches the learner (its noise); ``after(step)`` is called after every update and
    stops the training by returning True. Returns the number of updates applied. The learner's
    carried state (a reward baseline) is its own: call ``learner.reset()`` to start afresh.
    """
    updates = examples = 0
    for batch in batches:
        grads = learner.update(arch, params, batch.x, batch.y, loss, rng)
        optimizer.step(params, grads)
        updates += 1
        examples += np.shape(batch.y)[0]
        if after is not None and after(Step(updates, examples, batch, grads)):
            break
    return updates


def learning_rate(name: str, lr: float, by_learner: Mapping[str, float] | None = None) -> float:
    """The learning rate of learner ``name``: its own entry of ``by_learner``, else ``lr``."""
    return float((by_learner or {}).get(name, lr))


class ProbedOptimizer:
    """An optimiser that first calls ``probe(step)`` on probe steps: step 0, the powers of two
    below ``every``, then every ``every`` steps (to measure the network during training)."""

    def __init__(self, optimizer: Optimizer, every: int, probe: Callable[[int], None]) -> None:
        self.optimizer, self.every, self.probe = optimizer, every, probe
        self.steps = 0

    def step(self, params: MutableMapping[str, Array], grads: Mapping[str, Array]) -> None:
        """Call ``probe`` (with the steps taken so far) on a probe step, then let ``optimizer`` apply the update.

        The probe therefore sees the parameters before the update; see :meth:`Optimizer.step` for
        the arguments.
        """
        s = self.steps
        if s % self.every == 0 or (s < self.every and s & (s - 1) == 0):
            self.probe(s)
        self.optimizer.step(params, grads)
        self.steps += 1


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
        """The curves as a JSON-friendly dict of lists, by field name."""
        return {
            "epoch": self.epoch,
            "train_loss": self.train_loss,
            "test_loss": self.test_loss,
            "test_accuracy": self.test_accuracy,
            "grad_norms": self.grad_norms,
        }


def train(
    arch: Any,
    params: MutableMapping[str, Array],
    learner: Learner,
    optimizer: Optimizer,
    loss: Loss,
    data: Dataset,
    *,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator,
    eval_every: int = 1,
    log: Callable[[str], None] | None = None,
    on_eval: Callable[[int], None] | None = None,
    batch_axis: int = 0,
) -> History:
    """Train ``params`` in place by minibatches of ``data`` (through :func:`fit`); returns the
    learning curves.

    ``optimizer`` is anything with ``step(params, grads)`` (see :mod:`.optim`); ``on_eval(epoch)``
    is called at every evaluation (epoch 0 before training), e.g. to record more measurements.
    ``batch_axis`` is 1 for sequences ``(T, n, n_in)``.
    """
    if loss.needs_linear_output and getattr(arch, "output_activation", "linear") != "linear":
        raise ConfigError("output_activation", f"{loss.name} takes logits", "use a linear output layer")
    from ..progress import Progress

    history = History()
    epoch_norms: list[list[float]] = []
    progress = Progress(epochs, f"{getattr(learner, 'name', 'training')}: epochs", unit="epoch")

    def record(epoch: int) -> None:
        train_loss, _ = evaluate(arch, params, loss, data.x_train, data.y_train)
        test_loss, accuracy = evaluate(arch, params, loss, data.x_test, data.y_test)
        history.epoch.append(epoch)
        history.train_loss.append(train_loss)
        history.test_loss.append(test_loss)
        history.test_accuracy.append(accuracy)
        history.grad_norms.append(np.mean(epoch_norms, axis=0).tolist() if epoch_norms else [])
        epoch_norms.clear()
        if log is not None:
            log(f"epoch {epoch}: train loss {train_loss:.4f}, test accuracy {accuracy:.4f}")
        if on_eval is not None:
            on_eval(epoch)

    def after(step: Step) -> None:
        if isinstance(arch, Architecture):
            epoch_norms.append(layer_grad_norms(arch, step.grads))
        epoch = step.batch.epoch
        if step.batch.last_of_epoch and (epoch % eval_every == 0 or epoch == epochs):
            record(epoch)
        if step.batch.last_of_epoch:
            progress.update(epoch)

    record(0)
    with progress:
        fit(
            arch,
            params,
            learner,
            optimizer,
            loss,
            epoch_batches(data.x_train, data.y_train, batch_size, rng, epochs, batch_axis),
            rng=rng,
            after=after,
        )
    return history


def epochs_to_target(history: History, target: float) -> int | None:
    """The first epoch whose test accuracy reaches ``target`` (None if none does): examples to
    criterion (:func:`snnlearn.criterion.examples_to_criterion`) counted in epochs."""
    from ..criterion import examples_to_criterion

    reached = examples_to_criterion(zip(history.epoch, history.test_accuracy, strict=True), target)
    return None if reached is None else int(reached)
