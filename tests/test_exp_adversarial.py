"""FGSM and PGD against closed forms on a linear model, input gradients, and adversarial --quick."""

from __future__ import annotations

import json

import numpy as np

from snnlearn.experiment import run_experiment
from snnlearn.ratenet import Architecture, finite_difference_gradients, forward, init_params, make_loss
from snnlearn.ratenet.adversarial import accuracy_vs_epsilon, classifier, fgsm, input_gradient, pgd
from snnlearn.ratenet.learners import FeedbackAlignment

LOSS = make_loss("softmax_cross_entropy")


def linear_model():
    """Two-class linear model z = W x + b, and three inputs of class 0 away from the bounds."""
    arch = Architecture((4, 2), output_activation="linear")
    params = {"W1_0": np.array([[0.5, -1.0, 0.25, 2.0], [-0.5, 0.5, 0.75, 1.0]]), "b1": np.array([0.1, -0.2])}
    x = np.array([[0.5, 0.5, 0.5, 0.5], [0.3, 0.6, 0.4, 0.7], [0.5, 0.4, 0.6, 0.5]])
    return arch, params, x, np.zeros(3, dtype=int)


def test_fgsm_on_a_linear_model_matches_the_closed_form():
    """For class 0 of two, dL/dx = p_1 (w_1 - w_0): FGSM adds eps sign(w_1 - w_0), and the margin
    z_0 - z_1 falls by exactly eps ||w_0 - w_1||_1 (Goodfellow et al. 2015)."""
    arch, params, x, y = linear_model()
    w = params["W1_0"]
    eps = 0.1
    adv = fgsm(input_gradient(arch, params, LOSS), x, y, eps, bounds=None)
    np.testing.assert_allclose(adv, x + eps * np.sign(w[1] - w[0]), rtol=1e-12)

    def margin(v):
        z = v @ w.T + params["b1"]
        return z[:, 0] - z[:, 1]

    np.testing.assert_allclose(margin(x) - margin(adv), eps * np.abs(w[0] - w[1]).sum(), rtol=1e-12)
    clipped = fgsm(input_gradient(arch, params, LOSS), x, y, 0.6)
    assert clipped.min() == 0.0 and clipped.max() == 1.0


def test_pgd_on_a_linear_model_reaches_the_fgsm_corner_and_stays_in_the_ball():
    arch, params, x, y = linear_model()
    gradient = input_gradient(arch, params, LOSS)
    corner = fgsm(gradient, x, y, 0.2)
    adv = pgd(gradient, x, y, 0.2, steps=10, rng=np.random.default_rng(0))
    np.testing.assert_allclose(adv, corner, atol=1e-12)  # the loss is monotone in the margin
    small = pgd(gradient, x, y, 0.05, steps=3, step_size=0.01, rng=np.random.default_rng(1))
    assert np.abs(small - x).max() <= 0.05 + 1e-12 and 0 <= small.min() and small.max() <= 1
    np.testing.assert_array_equal(pgd(gradient, x, y, 0.0), x)


def test_input_gradient_is_exact_and_the_feedback_path_is_not():
    rng = np.random.default_rng(0)
    arch = Architecture((5, 4, 3), activation="sigmoid")
    params = init_params(arch, rng)
    x, y = rng.uniform(size=(6, 5)), rng.integers(0, 3, 6)
    exact = input_gradient(arch, params, LOSS)(x, y)

    def loss_of(inputs):
        return LOSS.evaluate(forward(arch, params, inputs["x"]).output, y)[0]

    numeric = finite_difference_gradients(loss_of, {"x": x.copy()})["x"]
    np.testing.assert_allclose(exact, numeric, rtol=1e-6, atol=1e-10)
    through_b = input_gradient(arch, params, LOSS, FeedbackAlignment(rng=rng).feedback)(x, y)
    assert through_b.shape == exact.shape and not np.allclose(through_b, exact)


def test_accuracy_vs_epsilon_shows_each_target_the_same_images():
    arch, params, x, y = linear_model()
    gradient = input_gradient(arch, params, LOSS)
    flipped = {"W1_0": params["W1_0"][::-1], "b1": params["b1"][::-1]}
    curves = accuracy_vs_epsilon(
        fgsm, gradient, {"own": classifier(arch, params), "flipped": classifier(arch, flipped)}, x, y, [0.0, 1.0]
    )
    assert curves["own"] == [1.0, 0.0]
    assert curves["flipped"] == [0.0, 1.0]


def test_adversarial_quick(tmp_path):
    run = run_experiment("adversarial", quick=True, out=tmp_path / "run")
    m = json.loads((run / "metrics.json").read_text())
    curves = m["accuracy_vs_epsilon"]
    assert m["epsilons"][0] == 0 and set(curves) == {"fgsm", "pgd"}
    for learner in ("backprop", "feedback_alignment", "sign_symmetry"):
        clean = m["clean_accuracy"][learner]
        assert clean > 0.85, learner
        for attack in ("fgsm", "pgd"):
            white = curves[attack]["white_box"][learner]
            assert white[0] == clean and white[-1] < clean - 0.5, (attack, learner)
            assert curves[attack]["transfer_from_backprop"][learner][-1] < clean - 0.3
    # FGSM from backprop's gradient is backprop's own white-box attack.
    assert curves["fgsm"]["transfer_from_backprop"]["backprop"] == curves["fgsm"]["white_box"]["backprop"]
    # Akrout's attack through the random feedback path barely hurts FA; its true gradient does.
    fa_path = curves["fgsm"]["feedback_path"]["feedback_alignment"]
    assert min(fa_path) > m["clean_accuracy"]["feedback_alignment"] - 0.1
    assert "backprop" not in curves["fgsm"]["feedback_path"]
    control = curves["fgsm"]["transfer_from_backprop"]["backprop_other_init"]
    assert control[0] > 0.85 and control[-1] < control[0] - 0.3
    assert m["diehl_cook"] == {"status": "skipped", "reason": "diehl_cook.examples = 0"}
    rates = m["learning_rates"]
    assert set(rates["lr_chosen"]) == {"backprop", "feedback_alignment", "sign_symmetry"}
    assert all(r in rates["lr_grid"] for r in rates["lr_by_learner"].values())
    assert (run / "accuracy_vs_epsilon.png").is_file()


def test_latest_run_is_the_newest_finished_folder(tmp_path, monkeypatch):
    from snnlearn.experiment import latest_run

    monkeypatch.chdir(tmp_path)
    for name, finished in (("20260101-a", True), ("20260102-b", True), ("20260103-c", False)):
        folder = tmp_path / "results" / "diehl_cook" / name
        folder.mkdir(parents=True)
        if finished:
            (folder / "metrics.json").write_text("{}")
    assert latest_run("diehl_cook").resolve() == (tmp_path / "results" / "diehl_cook" / "20260102-b").resolve()
    assert latest_run("no_such_experiment") is None


def test_a_network_trained_on_another_split_is_refused_with_the_reason(tmp_path):
    import json
    from types import SimpleNamespace

    from snnlearn.tasks.digits import classifier_for

    (tmp_path / "metrics.json").write_text(json.dumps({"dataset": "mnist", "split": "train[0:8000]"}))
    data = SimpleNamespace(name="digits", split="train[0:1347]")
    classify, note = classifier_for(tmp_path, data, "results/diehl_cook/*")
    assert classify is None and "trained on mnist" in note and "this run uses digits" in note
    classify, note = classifier_for(None, data, "results/diehl_cook/*")
    assert classify is None and note == "no finished diehl_cook run (results/diehl_cook/*)"
