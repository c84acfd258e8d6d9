"""One training iteration of each model, in each framework, exactly as its training loop runs it.

Source:
    The loop bodies of tf1_reference/<model>.py and ports/<model>.py (their `train` or
    `run_epochs`): each closure here makes one iteration's data the way the loop makes it
    (NumPy draws, `next_batch`, the DataLoader), calls the same step function, checks the
    losses with `cli.check_finite` and accumulates them as the loop does. Picture saving, the
    per-epoch prints and the progress bar (off when not on a terminal) are left out.

Run:
    Imported by `python -m bench`; `python -m bench --help`.

Deviations:
    - None: a project tool with no original. If a loop body changes, the closure that mirrors
      it here must change with it (each names the loop it mirrors).

Each `setup_<model>(seed, data_dir)` returns a `Setup`: `reference()` and `port()` run one
iteration (data included), `reference_data()` and `port_data()` make one iteration's data
alone (so a slow input pipeline shows on its own line), `compile_port()` swaps the port's
G and D for `torch.compile`d ones, and `close()` ends the TF session. The reference runs in a
session with the model's original ConfigProto, as its own run does.
"""

import dataclasses

import tf1_reference  # noqa: F401, I001  (first: TF1 behaviour and a quiet TensorFlow)

import numpy as np
import tensorflow as tf
import torch

from harness import cli
from inputs import gaussian, mnist, ring

tf1 = tf.compat.v1


@dataclasses.dataclass
class Setup:
    reference: object  # () -> None: one reference iteration as its loop runs it.
    port: object  # () -> None: one port iteration as its loop runs it.
    reference_data: object  # () -> None: the reference loop's data for one iteration, alone.
    port_data: object  # () -> None: the port loop's data for one iteration, alone.
    compile_port: object  # () -> None: replace the port's G and D by torch.compile'd modules.
    close: object  # () -> None: close the TF session.
    port_fused: object = None  # () -> None: the port's iteration with --fused-adam's Adam.
    adams: object = None  # The port's _Adams: both optimizer pairs.


def _session(reference, hp, config, seed, tf_threads=None):
    """The reference's graph in a fresh session with `config`, variables initialized.

    `tf_threads` sets the session's intra- and inter-op thread counts on a copy of `config`.
    """
    if tf_threads is not None:
        base, config = config, tf1.ConfigProto()
        if base is not None:
            config.CopyFrom(base)
        config.intra_op_parallelism_threads = tf_threads
        config.inter_op_parallelism_threads = tf_threads
    graph = tf.Graph()
    with graph.as_default():
        tf1.set_random_seed(seed)
        gan = reference.build_graph(hp)
        init = tf1.global_variables_initializer()
    sess = tf1.Session(graph=graph, config=config)
    sess.run(init)
    return sess, gan


def _cycle(make_iterator):
    """next() over an iterator that is remade when it runs out (a new epoch's batches)."""
    state = {"iterator": make_iterator()}

    def next_item():
        try:
            return next(state["iterator"])
        except StopIteration:
            state["iterator"] = make_iterator()
            return next(state["iterator"])

    return next_item


class _Modules:
    """The port's G and D behind one indirection, so `compile_port` can swap them."""

    def __init__(self, G, D):
        self.G, self.D = G, D

    def compile(self):
        self.G, self.D = torch.compile(self.G), torch.compile(self.D)


class _Adams:
    """The port's Adam for D and for G, built twice over the same weights: as the port's loop
    builds it, and fused (the ports' --fused-adam). `fused` says which pair steps."""

    def __init__(self, D, G, D_options, G_options=None):
        from ports.command import fused

        G_options = D_options if G_options is None else G_options
        adam = torch.optim.Adam
        self.pairs = {
            False: (adam(D.parameters(), **D_options), adam(G.parameters(), **G_options)),
            True: (
                adam(D.parameters(), **fused(D_options)),
                adam(G.parameters(), **fused(G_options)),
            ),
        }
        self.fused = False

    @property
    def D(self):
        return self.pairs[self.fused][0]

    @property
    def G(self):
        return self.pairs[self.fused][1]

    def fused_run(self, iteration):
        """`iteration`, with the fused pair stepping."""

        def run():
            self.fused = True
            try:
                iteration()
            finally:
                self.fused = False

        return run


def _as_tensor(a):
    return torch.as_tensor(a, dtype=torch.float32)


def setup_gaussian_gan(seed, data_dir=None, tf_threads=None):
    """tf1_reference.gaussian_gan.train / ports.gaussian_gan.train, the inner loop."""
    from ports import gaussian_gan as port
    from tf1_reference import gaussian_gan as reference

    np.random.seed(seed)
    torch.manual_seed(seed)
    hp = reference.HParams()
    X = gaussian.gaussian_data(np.random)
    sess, gan = _session(reference, hp, reference.ORIGINAL_CONFIG, seed, tf_threads)
    batch = _cycle(lambda: gaussian.iterate_minibatch(X, batch_size=hp.batch_size))
    total = {"loss": 0.0}

    def reference_data():
        x_batch = batch()
        return x_batch, np.random.normal(size=(len(x_batch), 2))

    def reference_iteration():
        x_batch, z_batch = reference_data()
        loss_D, loss_G = reference.train_step(sess, gan, x_batch, z_batch)
        cli.check_finite("bench", loss_D=loss_D, loss_G=loss_G)
        total["loss"] += loss_D

    G, D = port.Generator(), port.Discriminator(1)
    port.initialize([G, D])
    net = _Modules(G, D)
    adams = _Adams(D, G, {"lr": hp.lr_D}, {"lr": hp.lr_G})

    def port_data():
        x_batch, z_batch = reference_data()
        return _as_tensor(x_batch), _as_tensor(z_batch)

    def port_iteration():
        x_batch, z_batch = port_data()
        loss_D, loss_G, _, _ = port.train_step(net.G, net.D, adams.D, adams.G, x_batch, z_batch)
        cli.check_finite("bench", loss_D=loss_D, loss_G=loss_G)
        total["loss"] += loss_D  # The tf1 preset's loop scores accuracy once per epoch only.

    return Setup(reference_iteration, port_iteration, reference_data, port_data, net.compile,
                 sess.close, adams.fused_run(port_iteration), adams)  # fmt: skip


def setup_gaussian_cgan(seed, data_dir=None, tf_threads=None):
    """tf1_reference.gaussian_cgan.train / ports.gaussian_cgan.train, the inner loop."""
    from ports import gaussian_cgan as port
    from tf1_reference import gaussian_cgan as reference
    from tf1_reference import gaussian_gan

    np.random.seed(seed)
    torch.manual_seed(seed)
    hp = reference.HParams()
    X, X1 = gaussian.conditional_data(np.random)
    sess, gan = _session(reference, hp, gaussian_gan.ORIGINAL_CONFIG, seed, tf_threads)
    batch = _cycle(lambda: gaussian.iterate_minibatch(X, X1, batch_size=hp.batch_size))
    total = {"loss": 0.0}

    def reference_data():
        x_batch, x1_batch = batch()
        return x_batch, x1_batch, np.random.normal(size=(len(x_batch), 2))

    def reference_iteration():
        x_batch, x1_batch, z_batch = reference_data()
        loss_D, loss_G = reference.train_step(sess, gan, x_batch, x1_batch, z_batch)
        cli.check_finite("bench", loss_D=loss_D, loss_G=loss_G)
        total["loss"] += loss_D

    G, D = port.Generator(), port.Discriminator()
    port.initialize([G, D])
    net = _Modules(G, D)
    adams = _Adams(D, G, {"lr": hp.lr_D}, {"lr": hp.lr_G})

    def port_data():
        return tuple(_as_tensor(a) for a in reference_data())

    def port_iteration():
        x_batch, x1_batch, z_batch = port_data()
        loss_D, loss_G = port.train_step(net.G, net.D, adams.D, adams.G, x_batch, x1_batch, z_batch)
        cli.check_finite("bench", loss_D=loss_D, loss_G=loss_G)
        total["loss"] += loss_D

    return Setup(reference_iteration, port_iteration, reference_data, port_data, net.compile,
                 sess.close, adams.fused_run(port_iteration), adams)  # fmt: skip


def setup_ring_gan(seed, data_dir=None, tf_threads=None):
    """tf1_reference.ring_gan.train / ports.ring_gan.train (GAN.fit), one epoch."""
    from harness import checkpoints, ring_display
    from ports import ring_gan as port
    from tf1_reference import ring_gan as reference

    np.random.seed(seed)
    torch.manual_seed(seed)
    hp = reference.HParams()
    mixture = ring.MIXTURES[hp.mixture]
    sess, gan = _session(reference, hp, reference.original_config(), seed, tf_threads)
    control = checkpoints.Control(on_nan=hp.on_nan)  # The loop's NaN check, no checkpoints.

    def reference_data():
        x = ring.sample(mixture, hp.batch_size)
        z_d = np.random.normal(0.0, 1.0, [hp.batch_size, hp.num_z])
        return x, z_d, np.random.normal(0.0, 1.0, [hp.batch_size, hp.num_z])

    def reference_iteration():
        x, z_d, z_g = reference_data()
        d_loss = reference.d_step(sess, gan, x, z_d)
        g_loss = reference.g_step(sess, gan, z_g)
        ring_display.check_losses(0, d_loss, g_loss, control, lambda: None)

    G, D = port.Generator(hp.num_z, hp.hidden_size), port.Discriminator(hp.hidden_size)
    port.initialize([G, D])
    net = _Modules(G, D)
    adams = _Adams(D, G, {"lr": hp.learning_rate, "betas": (hp.beta1, 0.999)})  # make_optimizers

    def port_data():
        return tuple(_as_tensor(a) for a in reference_data())

    def port_iteration():
        x, z_d, z_g = port_data()
        d_loss = port.d_step(net.G, net.D, adams.D, x, z_d)
        g_loss = port.g_step(net.G, net.D, adams.G, z_g, hp.g_loss)
        d_loss, g_loss = torch.stack([d_loss, g_loss]).tolist()
        ring_display.check_losses(0, d_loss, g_loss, control, lambda: None)

    return Setup(reference_iteration, port_iteration, reference_data, port_data, net.compile,
                 sess.close, adams.fused_run(port_iteration), adams)  # fmt: skip


def setup_mnist_vanilla_gan(seed, data_dir=None, tf_threads=None):
    """tf1_reference.mnist_vanilla_gan.train / ports.mnist_vanilla_gan.train, one iteration."""
    from ports import mnist_vanilla_gan as port
    from tf1_reference import mnist_vanilla_gan as reference

    np.random.seed(seed)
    torch.manual_seed(seed)
    hp = reference.HParams()
    train_set = mnist.read_data_sets(data_dir, one_hot=True, rng=seed, download=False).train
    sess, gan = _session(reference, hp, None, seed, tf_threads)

    def reference_data():
        X_mb, _ = train_set.next_batch(hp.mb_size)
        Z_D = reference.sample_Z(hp.mb_size, hp.Z_dim)
        return X_mb, Z_D, reference.sample_Z(hp.mb_size, hp.Z_dim)

    def reference_iteration():
        X_mb, Z_D, Z_G = reference_data()
        D_loss_curr, G_loss_curr = reference.train_step(sess, gan, X_mb, Z_D, Z_G)
        cli.check_finite("bench", D_loss=D_loss_curr, G_loss=G_loss_curr)

    G, D = port.Generator(hp.Z_dim, hp.h_dim), port.Discriminator(hp.h_dim)
    port.initialize([G, D])
    net = _Modules(G, D)
    adams = _Adams(D, G, {"lr": hp.lr_D}, {"lr": hp.lr_G})

    def port_data():
        X_mb, _ = train_set.next_batch(hp.mb_size)
        Z_D = _as_tensor(np.random.uniform(-1.0, 1.0, size=[hp.mb_size, hp.Z_dim]))
        Z_G = _as_tensor(np.random.uniform(-1.0, 1.0, size=[hp.mb_size, hp.Z_dim]))
        return torch.as_tensor(X_mb), Z_D, Z_G

    def port_iteration():
        X_mb, Z_D, Z_G = port_data()
        D_loss, G_loss = port.train_step(net.G, net.D, adams.D, adams.G, X_mb, Z_D, Z_G,
                                            hp.loss)  # fmt: skip
        cli.check_finite("bench", D_loss=D_loss, G_loss=G_loss)

    return Setup(reference_iteration, port_iteration, reference_data, port_data, net.compile,
                 sess.close, adams.fused_run(port_iteration), adams)  # fmt: skip


def setup_mnist_mlp_gan(seed, data_dir=None, tf_threads=None):
    """tf1_reference.mnist_mlp_gan.train / ports.mnist_mlp_gan.train, one batch of an epoch."""
    from ports import mnist_mlp_gan as port
    from tf1_reference import mnist_mlp_gan as reference

    np.random.seed(seed)
    torch.manual_seed(seed)
    hp = reference.HParams()
    raw = mnist.read_raw(data_dir, download=False)
    images = reference.normalized(raw.train_images)
    sess, gan = _session(reference, hp, None, seed, tf_threads)

    def batch_starts():
        order = np.random.permutation(len(images))
        return ((order, start) for start in range(0, len(images) - hp.bs + 1, hp.bs))

    next_start = _cycle(batch_starts)
    D_losses, G_losses = [], []

    def reference_data():
        order, start = next_start()
        x = images[order[start : start + hp.bs]]
        z_D = np.random.normal(size=(hp.bs, hp.z_dim))
        return x, z_D, np.random.normal(size=(hp.bs, hp.z_dim))

    def reference_iteration():
        x, z_D, z_G = reference_data()
        D_loss, G_loss = reference.train_step(sess, gan, x, z_D, z_G)
        cli.check_finite("bench", D_loss=D_loss, G_loss=G_loss)
        D_losses.append(D_loss)
        G_losses.append(G_loss)
        del D_losses[:-468], G_losses[:-468]  # The loop keeps one epoch's worth.

    loader = mnist.torch_loader(mnist.TorchMnist(raw.train_images, raw.train_labels), hp.bs,
                                generator=torch.Generator().manual_seed(seed))  # fmt: skip
    next_batch = _cycle(lambda: iter(loader))
    G, D = port.Generator(g_input_dim=hp.z_dim, g_output_dim=784), port.Discriminator(
        784, hp.dropout
    )
    net = _Modules(G, D)
    adams = _Adams(D, G, {"lr": hp.lr, "foreach": True})

    def port_data():
        x, _ = next_batch()
        while len(x) != hp.bs:  # The loop skips the last, incomplete batch.
            x, _ = next_batch()
        x = x.view(-1, 784)
        return x, torch.randn(hp.bs, hp.z_dim), torch.randn(hp.bs, hp.z_dim)

    def port_iteration():
        x, z_D, z_G = port_data()
        D_loss, G_loss = port.train_step(net.G, net.D, adams.D, adams.G, x, z_D, z_G)
        cli.check_finite("bench", D_loss=D_loss, G_loss=G_loss)
        D_losses.append(D_loss)
        G_losses.append(G_loss)
        del D_losses[:-468], G_losses[:-468]

    return Setup(reference_iteration, port_iteration, reference_data, port_data, net.compile,
                 sess.close, adams.fused_run(port_iteration), adams)  # fmt: skip


def setup_mnist_dcgan(seed, data_dir=None, tf_threads=None):
    """tf1_reference.mnist_dcgan.run_epochs / ports.mnist_dcgan.run_epochs, phase `train`."""
    from ports import mnist_dcgan as port
    from tf1_reference import mnist_dcgan as reference

    np.random.seed(seed)
    torch.manual_seed(seed)
    hp = reference.HParams()
    train_set = mnist.read_data_sets(data_dir, one_hot=True, rng=seed, download=False).train
    sess, g = _session(reference, hp, reference.ORIGINAL_CONFIG, seed, tf_threads)
    total = {"cost": 0.0}

    def reference_data():
        batch_xs, _ = train_set.next_batch(hp.batch_size)
        noise = np.random.uniform(-1.0, 1.0, size=[hp.batch_size, hp.noise_dim]).astype(np.float32)  # fmt: skip
        return reference.real_batch(batch_xs, hp), noise

    def reference_iteration():
        images, noise = reference_data()
        loss_D, loss_G = reference.train_step(sess, g, images, noise, True)
        cli.check_finite("bench", loss_D=loss_D, loss_G=loss_G)
        total["cost"] += (loss_D + loss_G) / 2 / 859

    G, D = port.Generator(hp.noise_dim), port.Discriminator()
    port.initialize([G, D])
    net = _Modules(G, D)
    adams = _Adams(D, G, {"lr": hp.learning_rate, "foreach": True})

    def port_data():
        batch_xs, _ = train_set.next_batch(hp.batch_size)
        noise = np.random.uniform(-1.0, 1.0, size=[hp.batch_size, hp.noise_dim]).astype(np.float32)  # fmt: skip
        return port.real_batch(batch_xs, hp, "cpu"), torch.as_tensor(noise)

    def port_iteration():
        images, noise = port_data()
        loss_D, loss_G = port.train_step(net.G, net.D, adams.D, adams.G, images, noise, True)
        cli.check_finite("bench", loss_D=loss_D, loss_G=loss_G)
        total["cost"] += (loss_D + loss_G) / 2 / 859

    return Setup(reference_iteration, port_iteration, reference_data, port_data, net.compile,
                 sess.close, adams.fused_run(port_iteration), adams)  # fmt: skip


# Iterations of each original's full default run, for the full-run estimates in the JSON.
FULL_RUN_ITERATIONS = {
    "gaussian_gan": 10 * 250,  # 10 epochs of 250 batches of 4
    "gaussian_cgan": 10 * 250,  # 10 epochs of 250 batches of 4
    "ring_gan": 100_000,  # main.py --num_epochs 100000, one D and one G step each
    "mnist_vanilla_gan": 1_000_000,  # wiseodd: for it in range(1000000)
    "mnist_mlp_gan": 10 * 468,  # seed 004: 10 epochs of 468 full batches of 128
    "mnist_dcgan": 20 * 859,  # seed 002's first phase: 20 epochs of 859 steps (D and G)
}

SETUPS = {
    "gaussian_gan": setup_gaussian_gan,
    "gaussian_cgan": setup_gaussian_cgan,
    "ring_gan": setup_ring_gan,
    "mnist_vanilla_gan": setup_mnist_vanilla_gan,
    "mnist_mlp_gan": setup_mnist_mlp_gan,
    "mnist_dcgan": setup_mnist_dcgan,
}
MNIST_MODELS = ("mnist_vanilla_gan", "mnist_mlp_gan", "mnist_dcgan")
