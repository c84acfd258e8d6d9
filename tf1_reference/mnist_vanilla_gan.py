"""wiseodd's vanilla GAN on MNIST (seed 003): two 2-layer MLPs, TF1 graph mode on TF 2.21.

G maps 100 uniform numbers through 128 ReLU units to 784 sigmoid pixels; D maps an image
through 128 ReLU units to one logit. Both train with Adam's defaults, batch 128, for a million
iterations; every 1000 iterations a 4 x 4 grid of samples is saved and three lines printed.

Source: wiseodd/generative-models GAN/vanilla_gan/gan_tensorflow.py (repo HEAD) and the blog's
    named-variable version in seed 003. Facts: docs/originals.md section 4.1, 6.2.

Run:
    python -m tf1_reference.mnist_vanilla_gan                     # the original: 1e6 iterations
                                                                  # (~3 h on 2 CPU cores)
    python -m tf1_reference.mnist_vanilla_gan --iterations 2001   # a smoke run (~15 s)
    python -m tf1_reference.mnist_vanilla_gan --loss sce          # the repository's losses

Deviations:
- Names: the blog's (`D_W1` ... `G_b2`, placeholders `X`, `Z`); the repository left them
  unnamed (`Variable` ... `Variable_7`). Creation order is the same, so no number changes.
- `--loss log` (default) is the blog's `-mean(log D_real + log(1 - D_fake))`; `--loss sce` is
  the repository's sigmoid cross-entropy on logits. Equal in exact arithmetic; the log form
  turns inf (and the run stops) once D saturates in float32, the sce form does not.
- `input_data.read_data_sets` -> inputs/mnist.py (same files, split and `next_batch`); its
  shuffles draw from a NumPy Generator seeded from --seed instead of reseeding NumPy's global
  generator, so the z draws differ from TF's, not their distribution.
- `plt.savefig('out/NNN.png')` -> NNN.png in the run folder, same layout and
  `bbox_inches='tight'`; a GIF of all grids (training.gif) is written at the end, as the blog
  shows one. `--sample-every` makes the 1000 a flag.
- `--seed` seeds NumPy's global generator (the z draws) and the graph-level seed (the initial
  weights); the original seeds nothing. A NaN or infinite loss stops the run with one sentence.
- `build_graph(dtype=...)` (float32 by default) is the cross-check's seam: the same graph in
  float64; the original has no such argument.
- Added: a checkpoint every `--checkpoint-every` steps, at the end and on Ctrl-C/SIGTERM
  (`<out>/checkpoints/`), `--resume RUN_DIR` (on a CPU the resumed run prints and writes what
  the uninterrupted one does), `--on-nan stop|continue`, TensorBoard event files in the run
  folder (a FileWriter with the graph; scalars as Summary protos, which add no op) and a tqdm
  progress bar on a terminal. The checkpoints' `tf.compat.v1.train.Saver` adds its `save/` ops
  (and they show in TensorBoard's graph), built after the original's ops so that every name
  and the creation order stay the original's. None changes a number.
"""

import numpy as np
import tensorflow as tf

import tf1_reference
from figures import animation, image_grid
from harness import command
from inputs import mnist
from models.mnist_vanilla_gan import HParams  # The hyper-parameters, shared with the port.
from tf1_reference import backend

tf1 = tf.compat.v1

MODEL = "mnist_vanilla_gan"


def xavier_init(size, dtype=tf.float32):
    """wiseodd's xavier_init: N(0, stddev^2) with stddev = 1 / sqrt(fan_in / 2) = sqrt(2 / fan_in).

    Untruncated normal; despite the name this is He scaling, not Glorot. The stddev is
    computed in float32 as the original's `tf.sqrt(in_dim / 2.)` did.
    """
    xavier_stddev = 1.0 / tf.sqrt(size[0] / 2.0)
    return tf.random.normal(shape=size, stddev=tf.cast(xavier_stddev, dtype), dtype=dtype)


class VanillaGAN(object):
    """The original's globals as attributes, created in the original's order."""

    def __init__(self, hp, dtype=tf.float32):
        self.X = tf1.placeholder(dtype, shape=[None, 784], name="X")
        self.D_W1 = tf1.Variable(xavier_init([784, hp.h_dim], dtype), name="D_W1")
        self.D_b1 = tf1.Variable(tf.zeros(shape=[hp.h_dim], dtype=dtype), name="D_b1")
        self.D_W2 = tf1.Variable(xavier_init([hp.h_dim, 1], dtype), name="D_W2")
        self.D_b2 = tf1.Variable(tf.zeros(shape=[1], dtype=dtype), name="D_b2")
        self.theta_D = [self.D_W1, self.D_W2, self.D_b1, self.D_b2]

        self.Z = tf1.placeholder(dtype, shape=[None, hp.Z_dim], name="Z")
        self.G_W1 = tf1.Variable(xavier_init([hp.Z_dim, hp.h_dim], dtype), name="G_W1")
        self.G_b1 = tf1.Variable(tf.zeros(shape=[hp.h_dim], dtype=dtype), name="G_b1")
        self.G_W2 = tf1.Variable(xavier_init([hp.h_dim, 784], dtype), name="G_W2")
        self.G_b2 = tf1.Variable(tf.zeros(shape=[784], dtype=dtype), name="G_b2")
        self.theta_G = [self.G_W1, self.G_W2, self.G_b1, self.G_b2]

        self.G_sample = self.generator(self.Z)
        self.D_real, self.D_logit_real = self.discriminator(self.X)
        self.D_fake, self.D_logit_fake = self.discriminator(self.G_sample)
        if hp.loss == "log":
            # D_loss = -mean(log D(x) + log(1 - D(G(z)))), G_loss = -mean(log D(G(z))).
            self.D_loss = -tf.reduce_mean(tf.math.log(self.D_real) + tf.math.log(1.0 - self.D_fake))
            self.G_loss = -tf.reduce_mean(tf.math.log(self.D_fake))
        else:
            # D_loss = mean softplus(-logit_real) + mean softplus(logit_fake),
            # G_loss = mean softplus(-logit_fake): sigmoid cross-entropy with labels 1, 0, 1.
            sce = tf.nn.sigmoid_cross_entropy_with_logits
            real, fake = self.D_logit_real, self.D_logit_fake
            D_loss_real = tf.reduce_mean(sce(logits=real, labels=tf.ones_like(real)))
            D_loss_fake = tf.reduce_mean(sce(logits=fake, labels=tf.zeros_like(fake)))
            self.D_loss = D_loss_real + D_loss_fake
            self.G_loss = tf.reduce_mean(sce(logits=fake, labels=tf.ones_like(fake)))

    def generator(self, z):
        """z (B, 100) -> relu(z G_W1 + G_b1) -> sigmoid(. G_W2 + G_b2): (B, 784), in (0, 1)."""
        G_h1 = tf.nn.relu(tf.matmul(z, self.G_W1) + self.G_b1)
        G_log_prob = tf.matmul(G_h1, self.G_W2) + self.G_b2
        return tf.nn.sigmoid(G_log_prob)

    def discriminator(self, x):
        """x (B, 784) -> relu(x D_W1 + D_b1) -> logit . D_W2 + D_b2; returns (sigmoid, logit)."""
        D_h1 = tf.nn.relu(tf.matmul(x, self.D_W1) + self.D_b1)
        D_logit = tf.matmul(D_h1, self.D_W2) + self.D_b2
        return tf.nn.sigmoid(D_logit), D_logit


def build_graph(hp=HParams(), dtype=tf.float32):
    """Build the GAN with its two Adam solvers into the default graph; returns the object.

    `dtype=tf.float64` is the cross-check's seam; runs use float32.
    """
    tf1_reference.for_building()  # Keras 2; TF1 behaviour for a caller outside any graph.
    gan = VanillaGAN(hp, dtype)
    gan.D_solver = tf1.train.AdamOptimizer(hp.lr_D).minimize(gan.D_loss, var_list=gan.theta_D)
    gan.G_solver = tf1.train.AdamOptimizer(hp.lr_G).minimize(gan.G_loss, var_list=gan.theta_G)
    return gan


def sample_Z(m, n):
    """Uniform prior for G(Z): m x n draws from NumPy's global generator on [-1, 1)."""
    return np.random.uniform(-1.0, 1.0, size=[m, n])


def train_step(sess, gan, X_mb, Z_D, Z_G):
    """One D step on (X_mb, Z_D), then one G step on Z_G; returns the losses each run fetched."""
    _, D_loss_curr = sess.run([gan.D_solver, gan.D_loss], feed_dict={gan.X: X_mb, gan.Z: Z_D})
    _, G_loss_curr = sess.run([gan.G_solver, gan.G_loss], feed_dict={gan.Z: Z_G})
    return D_loss_curr, G_loss_curr


def grids(out):
    """The grids a run saved, NNN.png in the original's order (its counter i)."""
    return sorted(out.path.glob("[0-9][0-9][0-9].png"))


def train(hp, run, hooks=None):
    """The original's loop: grid and prints every `sample_every` iterations, then D and G steps.

    `run` (tf1_reference/backend.py): the seed, the run folder, the MNIST folder and the
    session's config. `hooks` (harness/hooks.py) adds checkpoints, --resume, progress,
    TensorBoard and a step limit; without them the loop only stops on a NaN loss.
    """
    hooks = hooks or command.Hooks()
    out = run.out
    np.random.seed(run.seed)
    datasets = mnist.read_data_sets(run.data_dir, one_hot=True, rng=run.seed)
    graph = tf.Graph()
    with graph.as_default():
        tf1.set_random_seed(run.seed)
        gan = build_graph(hp)
        init = tf1.global_variables_initializer()
        saver = backend.saver_for(hooks)  # Built after the original's ops.
    with tf1.Session(graph=graph, config=run.config) as sess:
        sess.run(init)
        hooks.track(datasets.train).attach(backend.SessionState(sess, saver, graph))
        for it in hooks.steps(hp.iterations):
            if it % hp.sample_every == 0:
                samples = sess.run(gan.G_sample, feed_dict={gan.Z: sample_Z(16, hp.Z_dim)})
                name = f"{str(it // hp.sample_every).zfill(3)}.png"  # The original's counter i.
                path = out.save_figure(image_grid.wiseodd_4x4(samples), name, bbox_inches="tight")
                out.image("samples", path, it)
            X_mb, _ = datasets.train.next_batch(hp.mb_size)
            Z_D, Z_G = sample_Z(hp.mb_size, hp.Z_dim), sample_Z(hp.mb_size, hp.Z_dim)
            D_loss_curr, G_loss_curr = train_step(sess, gan, X_mb, Z_D, Z_G)
            hooks.step(f"iteration {it}", D_loss=D_loss_curr, G_loss=G_loss_curr)
            if it % hp.sample_every == 0:
                out.print("Iter: {}".format(it))
                out.print("D loss: {:.4}".format(D_loss_curr))
                out.print("G_loss: {:.4}".format(G_loss_curr))
                out.print()
                losses = {"D_loss": float(D_loss_curr), "G_loss": float(G_loss_curr)}
                out.record(it, ("D_loss", "G_loss"), iteration=it, **losses)
        hooks.end()
    animation.write_gif(out.path / "training.gif", grids(out))
    return {"D_loss": float(D_loss_curr), "G_loss": float(G_loss_curr)}


COMMAND = command.Command(
    MODEL,
    train,
    hparams=HParams,
    doc=__doc__,
    backend=backend.TF1(),
    read_data=mnist.read_raw,
)


def main(argv=None):
    return COMMAND.main(argv)


if __name__ == "__main__":
    command.run(main)
