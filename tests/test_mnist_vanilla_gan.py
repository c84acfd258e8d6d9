"""Seed 003 (wiseodd vanilla GAN): graph contract, port equality, a short cross-check, grids."""

import numpy as np
import tensorflow as tf
import torch

from crosscheck import engine
from figures import image_grid
from ports import mnist_vanilla_gan as port
from tf1_reference import mnist_vanilla_gan as reference

tf1 = tf.compat.v1


def test_graph_names_order_and_var_lists():
    with tf.Graph().as_default():
        g = reference.build_graph()
        names = [v.op.name for v in tf1.global_variables()][:8]
        assert names == ["D_W1", "D_b1", "D_W2", "D_b2", "G_W1", "G_b1", "G_W2", "G_b2"]
        assert (g.X.name, g.Z.name) == ("X:0", "Z:0")
        assert [v.op.name for v in g.theta_D] == ["D_W1", "D_W2", "D_b1", "D_b2"]
        assert [v.op.name for v in g.theta_G] == ["G_W1", "G_W2", "G_b1", "G_b2"]
        for name in (
            "G_sample",
            "D_real",
            "D_logit_real",
            "D_fake",
            "D_logit_fake",
            "D_loss",
            "G_loss",
            "D_solver",
            "G_solver",
        ):
            assert getattr(g, name) is not None
        sizes = [int(np.prod(v.shape)) for v in g.theta_D + g.theta_G]
        assert (sum(sizes[:4]), sum(sizes[4:])) == (100609, 114064)


def test_xavier_init_is_he_normal():
    with tf.Graph().as_default():
        tf1.set_random_seed(0)
        g = reference.build_graph()
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            D_W1, G_W2 = sess.run([g.D_W1, g.G_W2])
    assert abs(D_W1.std() - np.sqrt(2 / 784)) < 0.002
    assert abs(G_W2.std() - np.sqrt(2 / 128)) < 0.002


def test_port_hparams_and_name_map_match_the_reference():
    modules = {"generator": port.Generator(), "discriminator": port.Discriminator()}
    with tf.Graph().as_default():
        reference.build_graph()
        shapes = {v.op.name: v.shape.as_list() for v in tf1.trainable_variables()}
    assert set(port.NAME_MAP) == set(shapes)
    for name, (path, layout) in port.NAME_MAP.items():
        parameter = modules[path.split(".")[0]].get_parameter(path.split(".", 1)[1])
        assert list(parameter.shape) == (shapes[name][::-1] if layout == "dense" else shapes[name])


def test_loss_forms_agree_on_the_port():
    real, fake = torch.randn(64, 1, dtype=torch.float64), torch.randn(64, 1, dtype=torch.float64)
    values = [
        (port.D_loss_of(real, fake, f).item(), port.G_loss_of(fake, f).item()) for f in port.LOSSES
    ]
    assert np.allclose(values[0], values[1], atol=1e-12)
    assert np.allclose(values[0], values[2], atol=1e-12)


def test_crosscheck_float64_tf_adam_five_steps(mnist_dir):
    from crosscheck import mnist_vanilla_gan

    result = engine.run(mnist_vanilla_gan.CASE, 5, dtype="float64", adam="tf")
    assert result.passed, engine.format_table("mnist_vanilla_gan", result)


def test_wiseodd_grid_and_tiles():
    figure = image_grid.wiseodd_4x4(np.random.default_rng(0).uniform(size=(16, 784)))
    assert len(figure.axes) == 16 and tuple(figure.get_size_inches()) == (4, 4)
    grid = image_grid.tile(np.ones((100, 784)) * 2 - 3)  # All -1: clamped to black.
    assert grid.shape == (392, 242) and grid.max() == 0


def test_smoke_run_prints_in_the_original_format(mnist_dir, tmp_path):
    reference.main(
        ["--iterations", "3", "--sample-every", "2", "--seed", "0", "--out", str(tmp_path / "tf")]
    )
    log = (tmp_path / "tf" / "log.txt").read_text().splitlines()
    assert log[0] == "Iter: 0" and log[1].startswith("D loss: ") and log[3] == ""
    assert log[4] == "Iter: 2" and (tmp_path / "tf" / "001.png").is_file()
    assert (tmp_path / "tf" / "training.gif").is_file()
    port.main(
        [
            "--preset",
            "wiseodd-pytorch",
            "--iterations",
            "2",
            "--seed",
            "0",
            "--out",
            str(tmp_path / "pt"),
        ]
    )
    line = (tmp_path / "pt" / "log.txt").read_text().splitlines()[0]
    assert line.startswith("Iter-0; D_loss: ") and "; G_loss: " in line
