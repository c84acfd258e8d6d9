"""Seed 004 (lyeoni MLP GAN): parameter counts, the BCE clamp, names, a dropout-on cross-check."""

import pathlib
import time

import numpy as np
import pytest
import tensorflow as tf
import torch

from crosscheck import engine
from ports import mnist_mlp_gan as port
from tf1_reference import mnist_mlp_gan as reference

tf1 = tf.compat.v1


def test_parameter_counts_in_both_frameworks():
    G, D = port.Generator(100, 784), port.Discriminator(784)
    assert sum(p.numel() for p in G.parameters()) == 1486352
    assert sum(p.numel() for p in D.parameters()) == 1460225
    with tf.Graph().as_default():
        g = reference.build_graph()
        assert sum(int(np.prod(v.shape)) for v in g.G_vars) == 1486352
        assert sum(int(np.prod(v.shape)) for v in g.D_vars) == 1460225
        for name in (
            "x",
            "z",
            "G_output",
            "D_real",
            "D_fake",
            "D_loss",
            "G_loss",
            "D_optimizer",
            "G_optimizer",
        ):
            assert getattr(g, name) is not None


def test_name_map_and_hparams():
    with tf.Graph().as_default():
        g = reference.build_graph()
        names = {v.op.name for v in tf1.trainable_variables()}
        # The second discriminator call reused the variables: 16 in all, 8 per scope.
        assert len(names) == 16 and len(g.D_vars) == len(g.G_vars) == 8
    assert set(port.NAME_MAP) == names


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_equals_nn_bceloss_at_saturation(dtype):
    """p = 0 and 1 exactly, 1e-45 (log -103.3 -> -100) and 1 - 1e-7: values and gradients.

    nn.BCELoss gives 100 (not inf) for p = 1 with label 0 and gradient 1e12 * ... as its
    formula; plain TF autodiff through the clamp would give NaN there (0 * inf).
    """
    p = np.array([0.0, 1e-45, 1e-30, 0.3, 1 - 1e-7, 1.0, 1.0, 0.0], dtype=dtype)
    y = np.array([0, 1, 1, 1, 0, 0, 1, 1], dtype=dtype)
    pt = torch.tensor(p, requires_grad=True)
    expected = torch.nn.BCELoss()(pt, torch.tensor(y))
    expected.backward()
    with tf.Graph().as_default():
        tp, ty = tf.constant(p), tf.constant(y)
        loss = reference.bce_loss(tp, ty)
        (grad,) = tf.gradients(loss, tp)
        with tf1.Session() as sess:
            value, gradient = sess.run([loss, grad])
    # Per element: 0, 100 (clamped), 69.08, 1.204, 1.19e-7 / 16.1, 100, 0, 100: mean 46.3.
    assert value == pytest.approx(expected.item(), rel=1e-6 if dtype == np.float32 else 1e-15)
    assert np.all(np.isfinite(gradient))
    np.testing.assert_allclose(gradient, pt.grad.numpy(), rtol=1e-6)


def test_crosscheck_float64_tf_adam_dropout_on(mnist_dir):
    from crosscheck import mnist_mlp_gan

    result = engine.run(mnist_mlp_gan.CASE, 3, dtype="float64", adam="tf")
    assert result.passed, engine.format_table("mnist_mlp_gan", result)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10))
def test_float32_check_over_250_steps_passes_and_names_the_flip_behind_every_excess(
    mnist_dir, seed
):
    """float32 with TF's Adam arithmetic, 250 steps, seeds 0-9: no FAIL, and a step past the
    tolerance always comes at or after a kink flip within rounding of zero, which the table
    names (its sub-step, layer and unit). A check that read kinks before the D step alone,
    from a second session, failed some of these seeds falsely."""
    from crosscheck import mnist_mlp_gan

    result = engine.run(mnist_mlp_gan.CASE, 250, dtype="float32", adam="tf", seed=seed)
    table = engine.format_table("mnist_mlp_gan", result)
    assert result.passed, table
    tol = engine.TOL_FLOAT32_TF_ADAM
    over = [
        i
        for i, s in enumerate(result.per_step)
        if max(s["loss_D"], s["loss_G"], s["variables"]) > tol
    ]
    if over:
        assert result.kink_step is not None and result.kink_step - 1 <= over[0], table
        flip = result.per_step[result.kink_step - 1]["flip"]
        assert flip["substep"] in ("D", "G") and flip["variable"] and flip["unit"], flip
        assert "the first kink flip, at step" in table


def test_fed_masks_replace_dropout():
    D = port.Discriminator(784).double()
    x = torch.randn(4, 784, dtype=torch.float64)
    ones = [torch.ones(4, n, dtype=torch.float64) for n in (1024, 512, 256)]
    assert torch.equal(D(x, ones), D(x, ones))
    # Unfed, dropout is active even in eval mode, as F.dropout(x, 0.3) in the original.
    D.eval()
    assert not torch.equal(D(x), D(x))


def test_smoke_loss_line_format():
    line = port.loss_line(3, 10, [0.5, 1.0], [2.0, 3.0])
    assert line == "[3/10]: loss_d: 0.750, loss_g: 2.500\n"


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["tf1", "pytorch"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ten_epoch_loss_bounds(mnist_dir, tmp_path, framework, seed):
    """Every epoch's mean losses finite, D in [0.3, 1.5], G in [0.5, 8]."""
    module = reference if framework == "tf1" else port
    extra = [] if framework == "tf1" else ["--device", "cpu"]
    started = time.perf_counter()
    module.main(["--seed", str(seed), "--out", str(tmp_path / "run")] + extra)
    seconds = time.perf_counter() - started
    lines = (tmp_path / "run" / "loss.txt").read_text().splitlines()
    # Kept for the README's per-epoch tables (runs/ is git-ignored).
    results = pathlib.Path("runs") / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / f"mnist_mlp_gan_{framework}_{seed}.txt").write_text(
        "\n".join(lines) + f"\nwall seconds: {seconds:.0f}\n"
    )
    assert len(lines) == 10
    for line in lines:
        loss_d = float(line.split("loss_d: ")[1].split(",")[0])
        loss_g = float(line.split("loss_g: ")[1])
        assert 0.3 <= loss_d <= 1.5 and 0.5 <= loss_g <= 8, line


def test_reference_grid_draws_from_its_own_generator(mnist_dir, tmp_path, monkeypatch):
    """Two epochs on 1,320 images with grids of 1 and of 100 samples: the same training.

    The grid's z once came from NumPy's global generator, which also draws z and each epoch's
    order, so the grid's size moved the second epoch's numbers.
    """
    from inputs import mnist

    raw = mnist.read_raw(mnist_dir, download=False)
    small = raw._replace(train_images=raw.train_images[:1320], train_labels=raw.train_labels[:1320])
    monkeypatch.setattr(mnist, "read_raw", lambda *args, **kwargs: small)
    runs = {}
    for samples in (1, 100):
        run = tmp_path / f"samples{samples}"
        reference.main(
            [
                "--n-epoch",
                "2",
                "--seed",
                "3",
                "--samples",
                str(samples),
                "--out",
                str(run),
                "--data-dir",
                str(mnist_dir),
            ]
        )
        checkpoint = tf.train.latest_checkpoint(str(run / "checkpoints"))
        weights = {
            name: tf.train.load_variable(checkpoint, name)
            for name, _ in tf.train.list_variables(checkpoint)
        }
        runs[samples] = (run / "loss.txt").read_text(), weights
    (lines_1, weights_1), (lines_100, weights_100) = runs[1], runs[100]
    assert lines_1 == lines_100 and len(lines_1.splitlines()) == 2
    assert set(weights_1) == set(weights_100) and len(weights_1) > 16
    for name, value in weights_1.items():
        assert np.array_equal(value, weights_100[name]), name
