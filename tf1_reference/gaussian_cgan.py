"""xyang35's TF1 conditional GAN on 2-D Gaussians (seed 000), running on TF 2.21 in graph mode.

The same noise N gives a condition X = N A2 + b2 and a target X1 = N A + b (so X1 is an affine
function of X). G(z, x) = z g_W1 + x g_W2 + g_b must learn that map; D scores (x1, x) pairs
with a 2+2-6-4-1 tanh network. Like the GAN, the run aims at 50% discriminator accuracy.

Source: xyang35/Introduction-to-GAN@59ab552 CGAN-tensorflow.ipynb (linked from seed 000).
    Facts: docs/originals.md sections 1.1 and 1.4.

Run:
    python -m tf1_reference.gaussian_cgan               # the original's run, 10 epochs (~10 s)
    python -m tf1_reference.gaussian_cgan --epochs 1    # a smoke run (~3 s)

Deviations:
- `tf.contrib.layers.xavier_initializer()` -> `tf.compat.v1.glorot_uniform_initializer()`:
  tf.contrib is gone; both draw U(+-sqrt(6 / (fan_in + fan_out))), so no number changes.
- `plt.show()` after each epoch -> `epoch_NN.png` in the run folder (headless), with an
  added "epoch N" title.
- `--seed` seeds NumPy's global generator and the graph-level seed (the original never
  seeds; a seed is drawn and printed when none is given). Draws and their order are kept.
- z is drawn with as many rows as the real batch (the original hard-codes 4, its batch size).
- The resolved hyper-parameters and seed are printed first; a NaN or infinite loss stops the
  run with a sentence naming the step.
- metrics.jsonl also records the generated marginal's mean and covariance beside the true
  ones (b and A^T A), computed exactly from the weights and the condition's distribution.
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
from models.gaussian_cgan import HParams  # The hyper-parameters, shared with the port.
from tf1_reference import backend
from tf1_reference.gaussian_gan import ORIGINAL_CONFIG, accuracy_of

tf1 = tf.compat.v1

MODEL = "gaussian_cgan"


class CGAN(object):
    """xyang35's class: placeholders z, x (condition), x1 (target); netG1; netD twice; losses."""

    def __init__(self, dtype=tf.float32):
        self.z = tf1.placeholder(dtype, shape=[None, 2], name="z")
        self.x = tf1.placeholder(dtype, shape=[None, 2], name="x")
        self.x1 = tf1.placeholder(dtype, shape=[None, 2], name="real_x1")

        self.fake_x1 = self.netG(self.z, self.x, name="netG1")
        self.real_logits = self.netD(self.x1, self.x, reuse=False)
        self.fake_logits = self.netD(self.fake_x1, self.x, reuse=True)

        # As the GAN: sigmoid cross-entropy on logits, non-saturating G loss, and fake labels
        # shaped like real_logits, so the G step feeds a dummy zero target batch.
        sce = tf.nn.sigmoid_cross_entropy_with_logits
        self.loss_D = tf.reduce_mean(
            sce(logits=self.real_logits, labels=tf.ones_like(self.real_logits))
        ) + tf.reduce_mean(sce(logits=self.fake_logits, labels=tf.zeros_like(self.real_logits)))
        self.loss_G = tf.reduce_mean(
            sce(logits=self.fake_logits, labels=tf.ones_like(self.real_logits))
        )

        # The original's substring filter; correct here (no name outside D contains "d_").
        t_vars = tf1.trainable_variables()
        self.d_vars = [var for var in t_vars if "d_" in var.name]
        self.g_vars = [var for var in t_vars if "g_" in var.name]

    def netG(self, z, x, name):
        """z (B, 2), x (B, 2) -> z g_W1 + x g_W2 + g_b (B, 2), linear."""
        with tf1.variable_scope(name):
            g_W1 = tf1.get_variable(
                name="g_W1",
                shape=[2, 2],
                dtype=z.dtype,
                initializer=tf1.glorot_uniform_initializer(),
                trainable=True,
            )
            g_W2 = tf1.get_variable(
                name="g_W2",
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
            return tf.matmul(z, g_W1) + tf.matmul(x, g_W2) + g_b

    def netD(self, x1, x, reuse=False):
        """(x1, x) -> tanh(x d_W12 + x1 d_W11 + d_b1) (6) -> tanh (4) -> 1 logit (B, 1)."""
        with tf1.variable_scope("discriminator") as scope:
            if reuse:
                scope.reuse_variables()
            d_W11 = tf1.get_variable(
                name="d_W11",
                shape=[2, 6],
                dtype=x.dtype,
                initializer=tf1.glorot_uniform_initializer(),
                trainable=True,
            )
            d_W12 = tf1.get_variable(
                name="d_W12",
                shape=[2, 6],
                dtype=x.dtype,
                initializer=tf1.glorot_uniform_initializer(),
                trainable=True,
            )
            d_b1 = tf1.get_variable(
                name="d_b1",
                shape=[6],
                dtype=x.dtype,
                initializer=tf1.zeros_initializer(),
                trainable=True,
            )
            d_W2 = tf1.get_variable(
                name="d_W2",
                shape=[6, 4],
                dtype=x.dtype,
                initializer=tf1.glorot_uniform_initializer(),
                trainable=True,
            )
            d_b2 = tf1.get_variable(
                name="d_b2",
                shape=[4],
                dtype=x.dtype,
                initializer=tf1.zeros_initializer(),
                trainable=True,
            )
            d_W3 = tf1.get_variable(
                name="d_W3",
                shape=[4, 1],
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
            layer1 = tf.nn.tanh(tf.matmul(x, d_W12) + tf.matmul(x1, d_W11) + d_b1)
            layer2 = tf.nn.tanh(tf.matmul(layer1, d_W2) + d_b2)
            return tf.matmul(layer2, d_W3) + d_b3


def build_graph(hp=HParams(), dtype=tf.float32):
    """Build the CGAN and its two Adam optimizers into the default graph, as the original."""
    tf1_reference.for_building()  # Keras 2; TF1 behaviour for a caller outside any graph.
    gan = CGAN(dtype)
    gan.d_optim = tf1.train.AdamOptimizer(learning_rate=hp.lr_D).minimize(
        gan.loss_D, var_list=gan.d_vars
    )
    gan.g_optim = tf1.train.AdamOptimizer(learning_rate=hp.lr_G).minimize(
        gan.loss_G, var_list=gan.g_vars
    )
    return gan


def train_step(sess, gan, x_batch, x1_batch, z_batch):
    """One D step, then one G step on the same z and conditions with a dummy zero target."""
    loss_D, _ = sess.run(
        [gan.loss_D, gan.d_optim], feed_dict={gan.z: z_batch, gan.x: x_batch, gan.x1: x1_batch}
    )
    loss_G, _ = sess.run(
        [gan.loss_G, gan.g_optim],
        feed_dict={gan.z: z_batch, gan.x: x_batch, gan.x1: np.zeros(x1_batch.shape)},
    )
    return loss_D, loss_G


def generated_moments(g_W1, g_W2, g_b):
    """Mean and covariance of z g_W1 + x g_W2 + g_b, z ~ N(0, I), x the condition's law."""
    x_mean, x_cov = gaussian.true_moments(gaussian.A2, gaussian.b2)
    return x_mean @ g_W2 + g_b, g_W1.T @ g_W1 + g_W2.T @ x_cov @ g_W2


def train(hp, run, hooks=None):
    """The original's loop; prints its two lines per epoch and saves its scatter per epoch.

    `run`: seed, run folder and session config; `hooks`: checkpoints, --resume, progress,
    TensorBoard and a step limit, as in gaussian_gan.
    """
    hooks = hooks or command.Hooks()
    out = run.out
    np.random.seed(run.seed)
    X, X1 = gaussian.conditional_data(np.random)
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
        steps = -(-len(X) // hp.batch_size)
        for epoch in hooks.epochs(hp.epochs, steps_per_epoch=steps):
            avg_loss, count = 0.0, 0
            batches = gaussian.iterate_minibatch(X, X1, batch_size=hp.batch_size, shuffle=True)
            for x_batch, x1_batch in hooks.batches(batches):
                z_batch = np.random.normal(size=(len(x_batch), 2))
                loss_D, loss_G = train_step(sess, gan, x_batch, x1_batch, z_batch)
                avg_loss += float(loss_D)  # float64, as NumPy 1.x summed np.float32 into 0.0.
                count += 1
                hooks.step(f"epoch {epoch} step {count - 1}", loss_D=loss_D, loss_G=loss_G)
            avg_loss /= count
            z = np.random.normal(size=(hp.eval_size, 2))
            excerpt = np.random.randint(len(X), size=hp.eval_size)
            fake_x1, real_logits, fake_logits = sess.run(
                [gan.fake_x1, gan.real_logits, gan.fake_logits],
                feed_dict={gan.z: z, gan.x: X[excerpt, :], gan.x1: X1[excerpt, :]},
            )
            accuracy = accuracy_of(real_logits, fake_logits)
            out.print("\ndiscriminator loss at epoch %d: %f" % (epoch, avg_loss))
            out.print("\ndiscriminator accuracy at epoch %d: %f" % (epoch, accuracy))
            mean, cov = generated_moments(*sess.run(gan.g_vars))
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
            figure = scatter.condition_target_fake(
                X[excerpt], X1[excerpt], fake_x1, title=f"epoch {epoch}"
            )
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
