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
    # The wiseodd-pytorch preset's lines: test_wiseodd_pytorch_preset_trains_... below.


def _gan_pytorch_b930d5f(mnist_dir, seed, iterations, print_every):
    """gan_pytorch.py at wiseodd's b930d5f, statement by statement on current PyTorch: its raw
    tensors, xavier_init, bias `.repeat`, BCE on sigmoid outputs, the D step through G, Adam
    and `reset_grad`'s zero gradients. Its batches come from the preset's reader, `Variable`
    is gone and `.data.numpy()` prints as on torch >= 0.4. Returns (printed lines, weights,
    {"G": G_solver, "D": D_solver})."""
    from inputs import mnist

    F = torch.nn.functional
    torch.manual_seed(seed)
    data = mnist.read_data_sets(mnist_dir, one_hot=True, rng=seed)
    mb_size, Z_dim, X_dim, h_dim = 64, 100, 784, 128

    def xavier_init(size):
        return (torch.randn(*size) * (1.0 / np.sqrt(size[0] / 2.0))).requires_grad_()

    def zeros(size):
        return torch.zeros(size, requires_grad=True)

    Wzh, bzh = xavier_init([Z_dim, h_dim]), zeros(h_dim)
    Whx, bhx = xavier_init([h_dim, X_dim]), zeros(X_dim)
    Wxh, bxh = xavier_init([X_dim, h_dim]), zeros(h_dim)
    Why, bhy = xavier_init([h_dim, 1]), zeros(1)

    def G(z):
        h = F.relu(z @ Wzh + bzh.repeat(z.size(0), 1))
        return torch.sigmoid(h @ Whx + bhx.repeat(h.size(0), 1))

    def D(X):
        h = F.relu(X @ Wxh + bxh.repeat(X.size(0), 1))
        return torch.sigmoid(h @ Why + bhy.repeat(h.size(0), 1))

    G_params, D_params = [Wzh, bzh, Whx, bhx], [Wxh, bxh, Why, bhy]
    solvers = {"G": torch.optim.Adam(G_params, lr=1e-3), "D": torch.optim.Adam(D_params, lr=1e-3)}

    def reset_grad():
        for p in G_params + D_params:
            if p.grad is not None:
                p.grad = torch.zeros_like(p.grad)

    ones_label, zeros_label = torch.ones(mb_size, 1), torch.zeros(mb_size, 1)
    lines = []
    for it in range(iterations):
        z = torch.randn(mb_size, Z_dim)
        X = torch.from_numpy(data.train.next_batch(mb_size)[0])
        G_sample = G(z)
        D_real, D_fake = D(X), D(G_sample)
        D_loss = F.binary_cross_entropy(D_real, ones_label)
        D_loss = D_loss + F.binary_cross_entropy(D_fake, zeros_label)
        D_loss.backward()
        solvers["D"].step()
        reset_grad()
        z = torch.randn(mb_size, Z_dim)
        G_loss = F.binary_cross_entropy(D(G(z)), ones_label)
        G_loss.backward()
        solvers["G"].step()
        reset_grad()
        if it % print_every == 0:
            values = (D_loss.data.numpy(), G_loss.data.numpy())
            lines.append("Iter-{}; D_loss: {}; G_loss: {}".format(it, *values))
    weights = {"G": [Wzh, bzh, Whx, bhx], "D": [Wxh, bxh, Why, bhy]}
    return lines, weights, solvers


def test_wiseodd_pytorch_preset_trains_gan_pytorchs_numbers_bit_for_bit(mnist_dir, tmp_path):
    """After the same torch.manual_seed and on the same batches, the preset and gan_pytorch.py
    at b930d5f (vector biases, (64, 1) labels) print the same losses and end with the same
    weights and Adam moments, bit for bit on a CPU; the port's Adam is FlatAdam."""
    seed, iterations, every = 3, 5, 2
    lines, weights, solvers = _gan_pytorch_b930d5f(mnist_dir, seed, iterations, every)
    argv = ["--preset", "wiseodd-pytorch", "--iterations", str(iterations)]
    argv += ["--sample-every", str(every), "--seed", str(seed), "--out", str(tmp_path / "pt")]
    port.main(argv + ["--data-dir", str(mnist_dir), "--device", "cpu"])
    assert (tmp_path / "pt" / "log.txt").read_text().splitlines() == lines
    saved = torch.load(tmp_path / "pt" / "checkpoints" / "model.pt", weights_only=True)
    for net in ("G", "D"):
        names = ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
        ours = [saved[net][name] for name in names]
        # The port's weight is the raw [in, out] tensor's transpose; biases are vectors.
        for name, mine, theirs in zip(names, ours, weights[net]):
            mine = mine.T if name.endswith("weight") else mine
            assert torch.equal(mine, theirs.detach()), f"{net}.{name}"
        state = solvers[net].state_dict()["state"]
        for index, entries in state.items():
            for key, value in entries.items():
                mine = saved[f"opt_{net}"]["state"][index][key]
                mine = mine.T if key != "step" and mine.dim() == 2 else mine
                assert torch.equal(mine, value), f"opt_{net} {index} {key}"
