"""TwistedW's See_GANs toy GAN on an 8-mode ring (seed 001), running on TF 2.21 in graph mode.

A 256-128-128-2 ReLU generator learns main.py's mixture of 8 Gaussians on a circle of radius 2;
a 2-128-128-1 ReLU discriminator with a sigmoid output scores points. Losses are the raw logs
of the sigmoid outputs, as the original wrote them (no epsilon). One "epoch" is one D step on
512 real points and 512 fresh z, then one G step on another 512 fresh z.

Source: TwistedW/See_GANs@57b3da7 GAN.py, ops.py, utils.py, main.py; the blog post (seed 001)
    `_posts/2018-02-20-GAN-toy.md`, whose fit() adds the generate_animation call and whose
    g_loss is -mean(log D(G(z))). Facts: docs/originals.md section 2.

Run:
    python -m tf1_reference.ring_gan                     # main.py's run: 100,000 epochs (~12 min)
    python -m tf1_reference.ring_gan --num-epochs 10000        # to all 8 modes (~70 s)
    python -m tf1_reference.ring_gan --num-epochs 400 --disp-freq 200   # a smoke run (~4 s)

Deviations:
- The default prints are those of See_GANs' GAN.py with its g_loss line replaced by the blog's
  (the seed text): seeds 6789 (`np.random.seed` and the graph-level seed, where `_init` sets
  them), ops created in `_build_model`'s order, and every NumPy draw of fit(), live plot
  included. The setup line goes to stderr, not stdout.
- `--g-loss blog` (default, the seed text: -mean(log d_g)) or `repo` (GAN.py at 57b3da7, line
  88: mean(log(1 - d_g)), the repository's own, saturating form).
- `--mixture ring` (default, main.py's, what every published image shows) or `two-gaussians`
  (the class defaults the blog text names).
- The live window every 50 steps is drawn only with `--live` on a GUI backend; headless runs
  still make its 1000 real and 1000 generated points, so the numbers are unchanged.
- Frames go to the run folder as `_<epoch>.png` (the original: ./results/GAN/). The live layer
  that pyplot's current-figure state put under every frame after the first is drawn too.
- generate_animation (called by the blog, defined nowhere) is ours: generate_animation.gif,
  the frames at 200 ms each, looping (imageio).
- Added: mode coverage of 2,500 generated points at every display() (metrics.jsonl,
  coverage.png), drawn from its own generator so the printed numbers do not move; a NaN or
  infinite loss stops the run naming the step (`--on-nan continue`: the original's behaviour);
  `--seed` (default 6789); the original's D2GAN/WGAN imports (an ImportError at HEAD) are gone.
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
from harness import command
from inputs import ring
from models.ring_gan import HParams, RingDisplay  # Shared with the port: see its docstring.
from tf1_reference import backend

tf1 = tf.compat.v1

MODEL = "ring_gan"
SEED = 6789  # GAN.__init__ random_seed=6789; main.py passes 6789 too.
# See_GANs fit()'s prints and live plot, verbatim.
LOSS_LINE = "Epoch: [%4d/%4d] , d_loss: %.8f, g_loss: %.8f"
PRINT_EVERY = 200  # The loss line when epoch % 200 == 0 (before the increment).
LIVE_EVERY = 50  # The live plot when epoch % 50 == 0 (after the increment).


def original_config():
    """GAN._init: allow_growth, no device-placement log, soft placement."""
    config = tf1.ConfigProto()
    config.gpu_options.allow_growth = True
    config.log_device_placement = False
    config.allow_soft_placement = True
    return config


def linear(input, output_dim, scope="linear", stddev=0.01):
    """See_GANs ops.linear: input @ weights + biases, weights N(0, stddev) untruncated, biases 0."""
    norm = tf1.random_normal_initializer(stddev=stddev)
    const = tf1.constant_initializer(0.0)
    with tf1.variable_scope(scope):
        w = tf1.get_variable(
            "weights", [input.get_shape()[1], output_dim], dtype=input.dtype, initializer=norm
        )
        b = tf1.get_variable("biases", [output_dim], dtype=input.dtype, initializer=const)
        return tf.matmul(input, w) + b


class GAN(object):
    """GAN._build_model, in its order: z and G, x, D twice, losses, var lists, D's and G's Adam."""

    def __init__(self, hp, dtype=tf.float32):
        with tf1.variable_scope("generator"):
            self.z = tf1.placeholder(dtype, shape=[None, hp.num_z])  # generator/Placeholder
            self.g = self._create_generator(self.z, hp.hidden_size)

        self.x = tf1.placeholder(dtype, shape=[None, 2])  # Placeholder, outside any scope

        with tf1.variable_scope("discriminator") as scope:
            self.d_x = self._create_discriminator(self.x, hp.hidden_size)
            scope.reuse_variables()
            self.d_g = self._create_discriminator(self.g, hp.hidden_size)

        # d_loss = -mean(log D(x) + log(1 - D(G(z)))); raw logs of sigmoid outputs, no epsilon.
        self.d_loss = -tf.reduce_mean(tf.math.log(self.d_x) + tf.math.log(1 - self.d_g))
        if hp.g_loss == "blog":
            self.g_loss = -tf.reduce_mean(tf.math.log(self.d_g))  # Non-saturating, ~ +0.69.
        else:
            self.g_loss = tf.reduce_mean(tf.math.log(1 - self.d_g))  # Saturating, ~ -0.69.

        self.d_params = tf1.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES, scope="discriminator")
        self.g_params = tf1.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES, scope="generator")

        self.d_opt = self._create_optimizer(self.d_loss, self.d_params, hp)
        self.g_opt = self._create_optimizer(self.g_loss, self.g_params, hp)

    def _create_generator(self, input, h_dim):
        """z (B, num_z) -> relu 128 -> relu 128 -> (B, 2), no output activation."""
        hidden = tf.nn.relu(linear(input, h_dim, "g_hidden1"))
        hidden = tf.nn.relu(linear(hidden, h_dim, "g_hidden2"))
        return linear(hidden, 2, scope="g_out")

    def _create_discriminator(self, input, h_dim):
        """x (B, 2) -> relu 128 -> relu 128 -> sigmoid (B, 1): a probability, not a logit."""
        hidden = tf.nn.relu(linear(input, h_dim, "d_hidden1"))
        hidden = tf.nn.relu(linear(hidden, h_dim, "d_hidden2"))
        return tf.nn.sigmoid(linear(hidden, 1, scope="d_out"))

    def _create_optimizer(self, loss, var_list, hp):
        return tf1.train.AdamOptimizer(hp.learning_rate, beta1=hp.beta1).minimize(
            loss, var_list=var_list
        )


def build_graph(hp=HParams(), dtype=tf.float32):
    """Build the model into the default graph; `dtype=tf.float64` is the cross-check's seam."""
    tf1_reference.for_building()  # Keras 2; TF1 behaviour for a caller outside any graph.
    return GAN(hp, dtype)


def d_step(sess, gan, x, z):
    """fit()'s D update: fetches [d_x, d_loss, d_opt]; returns d_loss (before the update)."""
    _, d_loss, _ = sess.run([gan.d_x, gan.d_loss, gan.d_opt], feed_dict={gan.x: x, gan.z: z})
    return d_loss


def g_step(sess, gan, z):
    """fit()'s G update on its own fresh z; returns g_loss (before the update)."""
    g_loss, _ = sess.run([gan.g_loss, gan.g_opt], feed_dict={gan.z: z})
    return g_loss


def generate_from(sess, gan, zs, batch_size):
    """GAN.generate given its noise: G run on chunks of `batch_size` rows."""
    g = np.zeros([len(zs), 2])
    for start, end in ring.make_batches(len(zs), batch_size):
        g[start:end] = sess.run(gan.g, feed_dict={gan.z: zs[start:end]})
    return g


def train(hp, run, hooks=None):
    """GAN.fit(): the original's loop, draws and prints; returns the last coverage record.

    `run` (tf1_reference/backend.py): the seed (the original's 6789 by default), the run folder
    and the session's config. `hooks` (harness/hooks.py) adds checkpoints, --resume, progress,
    TensorBoard and a step limit; without them the loop stops on a NaN loss unless --on-nan
    continue.
    """
    hooks = hooks or command.Hooks(on_nan=hp.on_nan)
    out, seed = run.out, run.seed
    mixture = ring.MIXTURES[hp.mixture]
    graph = tf.Graph()  # GAN._init: graph, session, then the two seeds.
    sess = tf1.Session(config=run.config, graph=graph)
    np.random.seed(seed)
    with graph.as_default():
        tf1.set_random_seed(seed)
        gan = build_graph(hp)
        sess.run(tf1.global_variables_initializer())
        saver = backend.saver_for(hooks)  # Built after the original's ops.

    def generate(num_samples):  # GAN.generate: zs from NumPy's global generator.
        zs = np.random.normal(0.0, 1.0, [num_samples, hp.num_z])
        return generate_from(sess, gan, zs, hp.batch_size)

    view = RingDisplay(out, mixture, seed, hp.num_z, live=hp.live)
    coverage_of = lambda zs: generate_from(sess, gan, zs, hp.batch_size)  # noqa: E731
    with sess:
        hooks.track(view).attach(backend.SessionState(sess, saver, graph))
        record = view.records[-1] if view.records else None
        try:
            for epoch in hooks.steps(hp.num_epochs):
                x = ring.sample(mixture, hp.batch_size)
                z = np.random.normal(0.0, 1.0, [hp.batch_size, hp.num_z])
                d_loss = d_step(sess, gan, x, z)
                z = np.random.normal(0.0, 1.0, [hp.batch_size, hp.num_z])
                g_loss = g_step(sess, gan, z)
                if epoch % PRINT_EVERY == 0:
                    out.print(LOSS_LINE % (epoch, hp.num_epochs, d_loss, g_loss))
                    out.record(
                        epoch,
                        ("d_loss", "g_loss"),
                        epoch=epoch,
                        d_loss=float(d_loss),
                        g_loss=float(g_loss),
                    )
                hooks.step(
                    f"step {epoch} (the raw log of a saturated sigmoid; frames saved)",
                    d_loss=d_loss,
                    g_loss=g_loss,
                )
                if (epoch + 1) % LIVE_EVERY == 0:
                    view.live_plot(generate)
                if (epoch + 1) % hp.disp_freq == 0:
                    losses = {"d_loss": float(d_loss), "g_loss": float(g_loss)}
                    record = view.display(epoch + 1, generate, coverage_of, losses)
            hooks.end()
        finally:
            view.finish()  # The blog's generate_animation, also after a stop.
    return record


COMMAND = command.Command(
    MODEL,
    train,
    hparams=HParams,
    doc=__doc__,
    backend=backend.TF1(original_config()),
    default_seed=SEED,
)


def main(argv=None):
    return COMMAND.main(argv)


if __name__ == "__main__":
    command.run(main)
