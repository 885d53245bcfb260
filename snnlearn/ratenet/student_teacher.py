"""Student-teacher regression (Werfel, Xie & Seung 2005): a student network learns to copy a
teacher network of the same architecture from Gaussian inputs.

Inputs are standard Gaussian, ``x ~ N(0, I)``; the teacher's and the student's initial weights
are drawn independently, ``N(0, 1/fan_in)`` with zero biases, so every unit's summed input is of
order one at any size. The cost of a trial is ``1/2 |y_student - y_teacher|^2``
(:func:`~.estimators.trial_costs`). The generalisation loss is exact for a linear network
(white inputs: ``1/2 (|W - W*|^2 + |b - b*|^2)``) and a mean over a fixed test set otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .learner import Learner
from .losses import REGRESSION_LOSS, trial_costs
from .network import Architecture, Params, forward, init_params
from .optim import SGD
from .train import Step, fit, fresh_batches

Array = np.ndarray


@dataclass(frozen=True)
class StudentTeacher:
    """A teacher, the student's initial parameters and a test set."""

    arch: Architecture
    teacher: Params
    student: Params
    test_x: Array

    @property
    def linear(self) -> bool:
        """True for a network without hidden layers and with a linear output: :meth:`loss` is then exact."""
        return self.arch.n_layers == 1 and self.arch.output_activation == "linear"

    def targets(self, x: Array) -> Array:
        """The teacher's outputs for inputs ``x`` (batch, n_in): the regression targets."""
        return forward(self.arch, self.teacher, x).output

    def batch(self, rng: np.random.Generator, n: int) -> tuple[Array, Array]:
        """``n`` fresh trials: Gaussian inputs and the teacher's outputs."""
        x = rng.standard_normal((n, self.arch.sizes[0]))
        return x, self.targets(x)

    def initial_student(self) -> Params:
        """A copy of the student's initial parameters, to be trained in place."""
        return {name: p.copy() for name, p in self.student.items()}

    def loss(self, params: Mapping[str, Array]) -> float:
        """The generalisation loss: the expected cost of a trial under the input distribution."""
        if self.linear:
            return 0.5 * float(sum(np.sum((params[n] - self.teacher[n]) ** 2) for n in params))
        output = forward(self.arch, params, self.test_x).output
        return float(trial_costs(output, self.targets(self.test_x)).mean())


def make_student_teacher(
    sizes: tuple[int, ...], rng: np.random.Generator, activation: str = "sigmoid", n_test: int = 512
) -> StudentTeacher:
    """Teacher and student of layer sizes ``sizes`` with linear outputs; a linear network when
    ``sizes`` has two entries."""
    arch = Architecture(tuple(sizes), activation=activation, output_activation="linear")
    teacher = init_params(arch, rng, "lecun")
    student = init_params(arch, rng, "lecun")
    test_x = rng.standard_normal((0 if arch.n_layers == 1 else n_test, arch.sizes[0]))
    return StudentTeacher(arch, teacher, student, test_x)


@dataclass
class LearningRun:
    """Generalisation loss at checkpoints, and when (if ever) it first reached the target."""

    updates: list[int]
    loss: list[float]
    #: updates to reach the target, interpolated in log loss between checkpoints (inf: never)
    time: float
    #: the loss blew up, or had stopped falling by the end: the learning rate is too high
    diverged: bool


def checkpoints(max_updates: int, ratio: float = 1.1) -> list[int]:
    """Update counts spaced geometrically (every update at first) up to ``max_updates``."""
    n = int(np.ceil(np.log(max(max_updates, 1)) / np.log(ratio))) + 1
    points = np.unique(np.ceil(ratio ** np.arange(n)).astype(int))
    return [int(t) for t in points[points < max_updates]] + [int(max_updates)]


def learn(
    problem: StudentTeacher,
    learner: Learner,
    lr: float,
    *,
    target: float,
    max_updates: int,
    batch_size: int,
    rng: np.random.Generator,
    checkpoint_ratio: float = 1.1,
    diverge_factor: float = 10.0,
) -> LearningRun:
    """Train the student by SGD on ``learner``'s updates (:func:`.train.fit`), fresh trials at
    every update.

    Stops when the loss reaches ``target``, when it exceeds ``diverge_factor`` times its start,
    or after ``max_updates``; a run that ends there with its loss no lower than halfway
    through has stalled, which also marks the learning rate as too high.
    """
    params = problem.initial_student()
    learner.reset()
    updates, losses = [0], [problem.loss(params)]
    marks = set(checkpoints(max_updates, checkpoint_ratio))
    outcome: list[LearningRun] = []

    def after(step: Step | None) -> bool:
        done = 0 if step is None else step.updates
        if done not in marks:
            return False
        loss = problem.loss(params)
        updates.append(done)
        losses.append(loss)
        if loss <= target:
            before, now = np.log(losses[-2]), np.log(loss)
            fraction = (before - np.log(target)) / (before - now) if before > now else 1.0
            time = updates[-2] + fraction * (done - updates[-2])
            outcome.append(LearningRun(updates, losses, float(time), diverged=False))
        elif not np.isfinite(loss) or loss > diverge_factor * losses[0]:
            outcome.append(LearningRun(updates, losses, float("inf"), diverged=True))
        return bool(outcome) or done >= max_updates

    if max_updates <= 0:  # the one checkpoint is the start
        after(None)
    else:
        fit(
            problem.arch,
            params,
            learner,
            SGD(lr),
            REGRESSION_LOSS,
            fresh_batches(lambda: problem.batch(rng, batch_size)),
            rng=rng,
            after=after,
        )
    if outcome:
        return outcome[0]
    halfway = losses[int(np.searchsorted(updates, updates[-1] // 2, side="right")) - 1]
    return LearningRun(updates, losses, float("inf"), diverged=bool(losses[-1] >= halfway))


__all__ = ["LearningRun", "StudentTeacher", "checkpoints", "learn", "make_student_teacher"]
