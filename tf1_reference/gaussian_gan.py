"""xyang35's TF1 GAN that learns a 2-D Gaussian (seed 000), running on TF 2.21 in graph mode.

A linear generator G(z) = z W + b learns to turn N(0, I) noise into the points `N A + b` of
`inputs/gaussian.py`; a 2-5-3-1 tanh discriminator scores them. The tutorial wants the
discriminator's accuracy to fall to 50%, where its loss is 2 ln 2 = 1.386.

Source: xyang35/Introduction-to-GAN@59ab552 GAN-tensorflow.ipynb (blog post: seed 000),
    a TF port of zackchase/mxnet-the-straight-dope P10-C01-gan-intro.ipynb@61b402a.
    Facts: docs/originals.md sections 1.1-1.3.

Run:
    python -m tf1_reference.gaussian_gan               # the original's run, 10 epochs (~10 s)
    python -m tf1_reference.gaussian_gan --epochs 1    # a smoke run (~3 s)

Deviations:
- `tf.contrib.layers.xavier_initializer()` -> `tf.compat.v1.glorot_uniform_initializer()`:
  tf.contrib is gone; both draw U(+-sqrt(6 / (fan_in + fan_out))), so no number changes.
- `plt.show()` -> PNGs in the run folder (headless): cell 0's scatter of the data as
  `data.png`, then each epoch's as `epoch_NN.png` with the same points and colours and an
  added "epoch N" title.
- `--seed`: the original never seeds. We seed NumPy's global generator and the graph-level
  seed (a seed is drawn and printed when none is given), so any run can be repeated. The
  draws themselves are the original's, in the original's order.
- z is drawn with as many rows as the real batch; the original hard-codes 4, its batch size,
  so the default run is unchanged and `--batch-size` no longer breaks the losses.
- The resolved hyper-parameters and seed are printed before the first epoch; a NaN or
  infinite loss stops the run with a sentence naming the step (the original printed nan on).
- Each epoch also logs, to metrics.jsonl, the generated distribution's mean and covariance
  (exact for a linear G: g_b and g_W^T g_W) beside the true b and A^T A.
- `dtype` (the graph's float type, float32 by default) is the cross-check's seam: each
  `tf.get_variable` call takes `dtype=` from its input, so that the same graph is built in
  float64; the original's calls have no `dtype`.
- The printed epoch loss is a float64 sum of the float32 losses, as on the NumPy of 2017
  (NumPy 2 would keep a float32 sum); the port sums the same values the same way.
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
from figures import scatter
from harness import command
from inputs import gaussian
from models.gaussian_gan import HParams  # The hyper-parameters, shared with the port.
from tf1_reference import backend

tf1 = tf.compat.v1

MODEL = "gaussian_gan"
# xyang35 pins the CPU: tf.ConfigProto(device_count={'GPU': 0}).
ORIGINAL_CONFIG = tf1.ConfigProto(device_count={"GPU": 0})


class GAN(object):
    """xyang35's class: placeholders, netG, netD twice, losses, var lists, in that order."""

    def __init__(self, dtype=tf.float32):
        # Inputs; `real_x` must be fed even in the G step, see the losses below.
        self.z = tf1.placeholder(dtype, shape=[None, 2], name="z")
        self.x = tf1.placeholder(dtype, shape=[None, 2], name="real_x")

        self.fake_x = self.netG(self.z)
        self.real_logits = self.netD(self.x, reuse=False)
        self.fake_logits = self.netD(self.fake_x, reuse=True)

        # loss_D = mean softplus(-D(x)) + mean softplus(D(G(z))), loss_G = mean softplus(-D(G(z)))
        # (sigmoid cross-entropy on logits; G's loss is the non-saturating -log D(G(z))).
        # The labels are shaped like real_logits even for the fake terms, so the real and fake
        # batches must have the same size: hence the original's dummy zero batch in the G step.
        sce = tf.nn.sigmoid_cross_entropy_with_logits
        self.loss_D = tf.reduce_mean(
            sce(logits=self.real_logits, labels=tf.ones_like(self.real_logits))
        ) + tf.reduce_mean(sce(logits=self.fake_logits, labels=tf.zeros_like(self.real_logits)))
        self.loss_G = tf.reduce_mean(
            sce(logits=self.fake_logits, labels=tf.ones_like(self.real_logits))
        )

        # The original's substring filter (carpedm20's convention). Correct for this graph,
        # but it tests the whole name: a tf.layers name such as "generator/conv2d_transpose/"
        # contains "d_" and would land in d_vars (see lessons/ and docs/anchors.md section 4).
        t_vars = tf1.trainable_variables()
        self.d_vars = [var for var in t_vars if "d_" in var.name]
        self.g_vars = [var for var in t_vars if "g_" in var.name]

    def netG(self, z):
        """1-layer fully connected network: z (B, 2) -> z g_W + g_b (B, 2), no activation."""
        with tf1.variable_scope("generator"):
            g_W = tf1.get_variable(
                name="g_W",
                shape=[2, 2],
                dtype=z.dtype,
                initializer=tf1.glorot_uniform_initializer(),
                trainable=True,
            )
            g_b = tf1.get_variable(
                name="g_b",
                shape=[2],
                dtype=z.dtype,
                initializer=tf1.zeros_initializer(),
                trainable=True,
            )
            return tf.matmul(z, g_W) + g_b

    def netD(self, x, reuse=False):
        """3-layer fully connected network: x (B, 2) -> tanh 5 -> tanh 3 -> 1 logit (B, 1)."""
        with tf1.variable_scope("discriminator") as scope:
            if reuse:
                scope.reuse_variables()
            d_W1 = tf1.get_variable(
                name="d_W1",
                shape=[2, 5],
                dtype=x.dtype,
                initializer=tf1.glorot_uniform_initializer(),
                trainable=True,
            )
            d_b1 = tf1.get_variable(
                name="d_b1",
                shape=[5],
                dtype=x.dtype,
                initializer=tf1.zeros_initializer(),
                trainable=True,
            )
            d_W2 = tf1.get_variable(
                name="d_W2",
                shape=[5, 3],
                dtype=x.dtype,
                initializer=tf1.glorot_uniform_initializer(),
                trainable=True,
            )
            d_b2 = tf1.get_variable(
                name="d_b2",
                shape=[3],
                dtype=x.dtype,
                initializer=tf1.zeros_initializer(),
                trainable=True,
            )
            d_W3 = tf1.get_variable(
                name="d_W3",
                shape=[3, 1],
                dtype=x.dtype,
                initializer=tf1.glorot_uniform_initializer(),
                trainable=True,
            )
            d_b3 = tf1.get_variable(
                name="d_b3",
                shape=[1],
                dtype=x.dtype,
                initializer=tf1.zeros_initializer(),
                trainable=True,
            )
            layer1 = tf.nn.tanh(tf.matmul(x, d_W1) + d_b1)
            layer2 = tf.nn.tanh(tf.matmul(layer1, d_W2) + d_b2)
            return tf.matmul(layer2, d_W3) + d_b3


def build_graph(hp=HParams(), dtype=tf.float32):
    """Build the GAN and its two Adam optimizers into the default graph, as the original did.

    Returns the `GAN` object with `d_optim` and `g_optim` attached (the original kept them as
    globals beside it). `dtype=tf.float64` is the cross-check's seam; runs use float32.
    """
    tf1_reference.for_building()  # Keras 2; TF1 behaviour for a caller outside any graph.
    gan = GAN(dtype)
    gan.d_optim = tf1.train.AdamOptimizer(learning_rate=hp.lr_D).minimize(
        gan.loss_D, var_list=gan.d_vars
    )
    gan.g_optim = tf1.train.AdamOptimizer(learning_rate=hp.lr_G).minimize(
        gan.loss_G, var_list=gan.g_vars
    )
    return gan


def train_step(sess, gan, x_batch, z_batch):
    """One D step, then one G step on the same z with a dummy zero real batch; returns losses."""
    loss_D, _ = sess.run([gan.loss_D, gan.d_optim], feed_dict={gan.z: z_batch, gan.x: x_batch})
    loss_G, _ = sess.run(
        [gan.loss_G, gan.g_optim],
        feed_dict={gan.z: z_batch, gan.x: np.zeros(z_batch.shape)},  # Dummy input.
    )
    return loss_D, loss_G


def accuracy_of(real_logits, fake_logits):
    """The original's accuracy: mean of (real scored > 0) and (fake scored < 0)."""
    return 0.5 * (np.mean(real_logits > 0) + np.mean(fake_logits < 0))


def generated_moments(g_W, g_b):
    """Mean and covariance of z g_W + g_b for z ~ N(0, I): (g_b, g_W^T g_W)."""
    return g_b, g_W.T @ g_W


def train(hp, run, hooks=None):
    """The original's loop; prints its two lines per epoch and saves its scatter per epoch.

    `run` (tf1_reference/backend.py): the seed, the run folder and the session's config.
    `hooks` (harness/hooks.py) adds checkpoints, --resume, progress, TensorBoard and a step
    limit; without them the loop only stops on a NaN loss.
    """
    hooks = hooks or command.Hooks()
    out = run.out
    np.random.seed(run.seed)
    X = gaussian.gaussian_data(np.random)
    true_mean, true_cov = gaussian.true_moments()
    graph = tf.Graph()
    with graph.as_default():
        tf1.set_random_seed(run.seed)
        gan = build_graph(hp)
        init = tf1.global_variables_initializer()
        saver = backend.saver_for(hooks)  # Built after the original's ops.
    with tf1.Session(graph=graph, config=run.config) as sess:
        sess.run(init)
        hooks.attach(backend.SessionState(sess, saver, graph))
        out.save_figure(scatter.data(X), "data.png")  # Cell 0's scatter of the data.
        steps = -(-len(X) // hp.batch_size)  # Batches per epoch: 250.
        for epoch in hooks.epochs(hp.epochs, steps_per_epoch=steps):
            avg_loss, count = 0.0, 0
            batches = gaussian.iterate_minibatch(X, batch_size=hp.batch_size, shuffle=True)
            for x_batch in hooks.batches(batches):
                z_batch = np.random.normal(size=(len(x_batch), 2))
                loss_D, loss_G = train_step(sess, gan, x_batch, z_batch)
                avg_loss += float(loss_D)  # float64, as NumPy 1.x summed np.float32 into 0.0.
                count += 1
                hooks.step(f"epoch {epoch} step {count - 1}", loss_D=loss_D, loss_G=loss_G)
            avg_loss /= count
            z = np.random.normal(size=(hp.eval_size, 2))
            excerpt = np.random.randint(len(X), size=hp.eval_size)
            fake_x, real_logits, fake_logits = sess.run(
                [gan.fake_x, gan.real_logits, gan.fake_logits],
                feed_dict={gan.z: z, gan.x: X[excerpt, :]},
            )
            accuracy = accuracy_of(real_logits, fake_logits)
            out.print("\ndiscriminator loss at epoch %d: %f" % (epoch, avg_loss))
            out.print("\ndiscriminator accuracy at epoch %d: %f" % (epoch, accuracy))
            g_W, g_b = sess.run(gan.g_vars)
            mean, cov = generated_moments(g_W, g_b)
            out.record(
                epoch,
                ("loss_D", "accuracy"),
                epoch=epoch,
                loss_D=float(avg_loss),
                accuracy=float(accuracy),
                gen_mean=mean,
                gen_cov=cov,
                true_mean=true_mean,
                true_cov=true_cov,
            )
            figure = scatter.real_and_fake(X, fake_x, title=f"epoch {epoch}")
            out.image("samples", out.save_figure(figure, f"epoch_{epoch:02d}.png"), epoch)
        hooks.end()
    return {
        "loss_D": float(avg_loss),
        "accuracy": float(accuracy),
        "gen_mean": mean,
        "gen_cov": cov,
    }


COMMAND = command.Command(
    MODEL,
    train,
    hparams=HParams,
    doc=__doc__,
    backend=backend.TF1(ORIGINAL_CONFIG),
)


def main(argv=None):
    return COMMAND.main(argv)


if __name__ == "__main__":
    command.run(main)
