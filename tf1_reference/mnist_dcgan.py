"""The seed-002 tf.layers MNIST DCGAN, made to run on TF 2.21 graph mode with the smallest fixes.

G: z (100) -> dense 128 -> dense 7*7*128 -> reshape -> conv2d_transpose 64 -> conv2d_transpose 1
-> tanh, 28x28x1. D: conv2d 64 /2 -> max(0.2x, x) -> conv2d 128 /2 -> batch_normalization
(training=True) -> max(0.2x, x) -> flatten -> dense 1. Non-saturating losses, two Adam(0.0002).
The seed's three sessions are three subcommands: `train` (D then G, 20 epochs, checkpoint),
`train-d` (restore, 20 epochs of D alone, save) and `test` (restore, draw, count "Errors").

Source: the seed text itself (seed 002's text, no repository); facts and bugs in
    docs/originals.md section 3.

Run: (on 2 contended CPU cores an epoch of 859 steps takes about 15 minutes; see README)
    python -m tf1_reference.mnist_dcgan train --out runs/dcgan        # 20 epochs, then a checkpoint
    python -m tf1_reference.mnist_dcgan train-d --restore runs/dcgan --out runs/dcgan-d
    python -m tf1_reference.mnist_dcgan test --restore runs/dcgan-d --out runs/dcgan-test
    python -m tf1_reference.mnist_dcgan train --epochs 1 --max-steps 20   # a smoke run (~30 s)

Deviations: (each fix names the error the seed gives without it; originals.md 3.3)
- `strides=(2, 2)` on the first conv2d_transpose. As written G makes 14x14 images and D(G)
  fails to build: "ValueError: Trying to share variable discriminator/dense/kernel, but
  specified shape (2048, 1) and found shape (6272, 1)". Kernel shapes, names and the 1,241,602
  trainable parameters are unchanged.
- `import numpy as np`, `matplotlib`, `random` added: "NameError: name 'np' is not defined".
- Real batches reshaped to (-1, 28, 28, 1): "ValueError: Cannot feed value of shape (64, 784)
  for Tensor real_images_placeholder:0, which has shape (?, 28, 28, 1)".
- `sample_noise` defined (16 uniform draws made once before training): "NameError: name
  'sample_noise' is not defined" after epoch 5, before any checkpoint exists.
- `plot_samples` defined (a 4x4 grid, or a titled pair in `test`), saved as a PNG in the run
  folder instead of shown: "NameError: name 'plot_samples' is not defined".
- `display_digit` mended: the seed passes a list of (image, label) tuples, so `num[0].reshape`
  raises "AttributeError: 'tuple' object has no attribute 'reshape'"; it now draws each image
  of an error with its own brightest-pixel index (the seed's stale i=999 values are not kept).
- `tensorflow.examples.tutorials.mnist.input_data` -> inputs/mnist.py (gone from TF 2;
  same splits and next_batch); `tf.contrib.layers.flatten` -> `tf.compat.v1.layers.flatten`.
- The reader shuffles with NumPy Generators of its own, seeded from --seed. The seed's
  `input_data` used NumPy's global generator, the one its `np.random.uniform` noise comes
  from: `read_data_sets` reseeded it from the operating system's entropy (the seed sets no
  graph seed), and every `next_batch` that starts a pass over the data (the first call, then
  about every 859 steps) and `test_set.next_batch(1000)` shuffled with it between two noise
  draws, shifting all later noise. Here the global generator draws the noise alone: the same
  distributions, but other noise beside each batch than the seed's stream would give (which
  no seed could repeat anyway).
- Kept as written: real images in [0, 1] beside tanh output in [-1, 1] (`--real-scale tanh`
  maps real images to [-1, 1]); BatchNorm's moving averages are never updated (UPDATE_OPS is
  never run), harmless since D always normalises with batch statistics; the meaningless
  "Errors" count (printed with one line saying so); the unused fake_images_placeholder.
- The seed's three sessions run in one process, so each continues the streams the one before
  left: NumPy's and Python's global generators, the reader's order and position, and the one
  `sample_noise`. Here they are three commands, so `models/` also holds
  `gan.ckpt.streams.json`, and `train-d` and `test` continue those streams from it.
- The seed's `saver.save(sess, "./models/gan.ckpt")` writes into the run folder
  (`<out>/models/`: variables, `gan.ckpt.meta` and TF's `checkpoint` file, with relative paths
  so that the folder written under a temporary name can be renamed into place); `train-d` and
  `test` restore from `--restore` (a run folder or a checkpoint prefix) and `train-d` saves into
  its own run folder, so no run is overwritten.
- The printed `cost` is computed as NumPy 1.x did: the float32 losses' sum halved in float64
  and `avg_cost` a float64 sum of `cost / total_batch` (NumPy 2 would keep float32), also when
  `--max-steps` ends an epoch early.
- `--seed` seeds NumPy's and Python's global generators, the batch order and TF's graph seed;
  `--max-steps` bounds a phase; `--data-dir` picks the MNIST folder; NaN losses stop the run.
- Added: a checkpoint every `--checkpoint-every` steps, at the end and on Ctrl-C/SIGTERM
  (`<out>/checkpoints/`), `--resume RUN_DIR` to continue a `train` or `train-d` phase (on a
  CPU the resumed run prints and writes what the uninterrupted one does), `--on-nan
  stop|continue`, TensorBoard event files in the run folder (a FileWriter with the graph,
  which holds the seed's own Saver ops; scalars as Summary protos, which add no op) and a tqdm
  progress bar on a terminal. None changes a number.
- Added for the cross-check: `generator` and `discriminator` take `layers=` (a dict that
  receives each layer's tensor), `build_graph` returns the seed's globals as attributes of a
  `Graph` holder, and `HParams.lr_D` / `lr_G` name the seed's one learning rate twice.
"""

import pathlib
import random
import time

import numpy as np
import tensorflow as tf

import tf1_reference
from figures import digits
from harness import checkpoint_format, command
from inputs import mnist
from models.mnist_dcgan import HParams  # The hyper-parameters, shared with the port.
from tf1_reference import backend

tf1 = tf.compat.v1

MODEL = "mnist_dcgan"
ORIGINAL_CONFIG = None  # The seed opens a plain tf.Session().
CHECKPOINT = pathlib.Path("models") / "gan.ckpt"  # seed: saver.save(sess, "./models/gan.ckpt")
PHASES = command.Phases(
    names=("train", "train-d", "test"),  # The seed's three sessions, one command each.
    help="the seed's session: train (D and G, then save), train-d (restore, D alone, save) "
    "or test (restore, draw)",
    checkpoint=CHECKPOINT,
)


def generator(noise, reuse, layers=None):
    """The seed's generator with the stride fix: z (B, 100) -> tanh image (B, 28, 28, 1).

    `layers`, when given, receives every intermediate tensor by the seed's local names.
    """
    with tf1.variable_scope("generator", reuse=reuse):
        fc1 = tf1.layers.dense(inputs=noise, units=128, activation=tf.nn.leaky_relu)
        fc2 = tf1.layers.dense(inputs=fc1, units=7 * 7 * 128, activation=tf.nn.leaky_relu)
        x = tf.reshape(fc2, shape=[-1, 7, 7, 128])
        # FIX: strides=(2, 2) (the seed has none, so 7x7 -> 7x7 -> 14x14; see Deviations).
        deconv1 = tf1.layers.conv2d_transpose(
            inputs=x,
            filters=64,
            kernel_size=(5, 5),
            strides=(2, 2),
            padding="same",
            activation=tf.nn.leaky_relu,
        )
        deconv2 = tf1.layers.conv2d_transpose(
            inputs=deconv1, filters=1, kernel_size=(5, 5), strides=(2, 2), padding="same"
        )
        out = tf.tanh(deconv2)
        if layers is not None:
            layers.update(fc1=fc1, fc2=fc2, x=x, deconv1=deconv1, deconv2=deconv2, out=out)
        return out


def discriminator(inputs, reuse, layers=None):
    """The seed's discriminator: image (B, 28, 28, 1) -> (sigmoid(logits), logits), (B, 1)."""
    with tf1.variable_scope("discriminator", reuse=reuse):
        conv1 = tf1.layers.conv2d(
            inputs=inputs, filters=64, kernel_size=(5, 5), strides=(2, 2), padding="same"
        )
        lrelu1 = tf.maximum(conv1 * 0.2, conv1)
        conv2 = tf1.layers.conv2d(
            inputs=lrelu1, filters=128, kernel_size=(5, 5), strides=(2, 2), padding="same"
        )
        norm2 = tf1.layers.batch_normalization(conv2, training=True)
        lrelu2 = tf.maximum(norm2 * 0.2, norm2)
        flat = tf1.layers.flatten(lrelu2)  # Was tf.contrib.layers.flatten: NHWC order h, w, c.
        logits = tf1.layers.dense(flat, units=1)
        prob = tf.sigmoid(logits)
        if layers is not None:
            names = "conv1 lrelu1 conv2 norm2 lrelu2 flat logits prob".split()
            layers.update(zip(names, (conv1, lrelu1, conv2, norm2, lrelu2, flat, logits, prob)))
        return prob, logits


class Graph:
    """The seed's global names, as attributes; `layers` holds G's, D(real)'s and D(fake)'s."""


def build_graph(hp=HParams(), dtype=tf.float32):
    """Placeholders, G, D twice, the four losses and two Adam optimizers, in the seed's order.

    `dtype=tf.float64` is the cross-check's seam (the seed is float32). Returns a `Graph`
    whose attributes carry the seed's identifiers, plus `d_vars` and `g_vars`, the var lists.
    """
    tf1_reference.for_building()  # Keras 2; TF1 behaviour for a caller outside any graph.
    g = Graph()
    g.layers = {"G": {}, "D_real": {}, "D_fake": {}}
    g.z_placeholder = tf1.placeholder(
        dtype=dtype, shape=[None, hp.noise_dim], name="noise_placeholder"
    )
    g.real_images_placeholder = tf1.placeholder(
        dtype=dtype, shape=[None, 28, 28, 1], name="real_images_placeholder"
    )
    g.fake_images_placeholder = tf1.placeholder(
        dtype=dtype, shape=[None, 28, 28, 1], name="fake_images_placeholder"
    )  # Never used, as in the seed.

    g.G = generator(g.z_placeholder, False, g.layers["G"])
    g.D_prob_real, g.D_logit_real = discriminator(
        g.real_images_placeholder, False, g.layers["D_real"]
    )
    g.D_prob_fake, g.D_logit_fake = discriminator(g.G, True, g.layers["D_fake"])

    # loss_D = mean softplus(-D(x)) + mean softplus(D(G(z))); loss_G = mean softplus(-D(G(z)))
    # (sigmoid cross-entropy on logits, labels 1 / 0 / 1: the non-saturating G loss).
    sce = tf.nn.sigmoid_cross_entropy_with_logits
    g.loss_D_real = tf.reduce_mean(sce(labels=tf.ones_like(g.D_logit_real), logits=g.D_logit_real))
    g.loss_D_fake = tf.reduce_mean(sce(labels=tf.zeros_like(g.D_logit_fake), logits=g.D_logit_fake))
    g.loss_D = g.loss_D_real + g.loss_D_fake
    g.loss_G = tf.reduce_mean(sce(labels=tf.ones_like(g.D_logit_fake), logits=g.D_logit_fake))

    # Var lists by scope prefix, as the seed: correct here, and the only safe filter for
    # tf.layers names (a "d_" substring would also match generator/conv2d_transpose/...).
    g.d_vars = tf1.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES, "discriminator")
    g.g_vars = tf1.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES, "generator")
    g.optimizer_D = tf1.train.AdamOptimizer(hp.learning_rate).minimize(g.loss_D, var_list=g.d_vars)
    g.optimizer_G = tf1.train.AdamOptimizer(hp.learning_rate).minimize(g.loss_G, var_list=g.g_vars)
    return g


def real_batch(batch_xs, hp):
    """FIX: the flat (B, 784) batch reshaped to the placeholder's (B, 28, 28, 1); optional scale."""
    images = batch_xs.reshape(-1, 28, 28, 1)
    return images * 2.0 - 1.0 if hp.real_scale == "tanh" else images


def train_step(sess, g, images, noise, train_G=True):
    """The seed's step: D on real images and noise, then G on the SAME noise; returns losses."""
    _, loss_value_D = sess.run(
        [g.optimizer_D, g.loss_D],
        feed_dict={g.real_images_placeholder: images, g.z_placeholder: noise},
    )
    if not train_G:
        return loss_value_D, None
    _, loss_value_G = sess.run([g.optimizer_G, g.loss_G], feed_dict={g.z_placeholder: noise})
    return loss_value_D, loss_value_G


def cost_of(loss_D, loss_G=None):
    """The seed's `cost` as the NumPy of its day computed it: `(loss_D + loss_G) / 2` adds the
    two float32 losses in float32 and halves in float64 (NumPy 1.x promoted np.float32 / int to
    float64; NumPy 2 keeps float32), or `loss_D` alone in train-d; the seed's running
    `avg_cost += cost / total_batch` is then float64. Both frameworks print the same for the
    same losses."""
    if loss_G is None:
        return float(loss_D)
    return float(np.float32(loss_D) + np.float32(loss_G)) / 2


def plot_samples(samples, title=None):
    """FIX: the seed calls `plot_samples` but never defines it; a grid of digits (a Figure)."""
    return digits.grid(samples, titles=title)


def run_epochs(sess, g, hp, *, datasets, run, sample_noise, hooks):
    """The seed's epoch loop (`train`: D and G; `train-d`: D alone); prints its cost line.

    `hooks` (harness/hooks.py): the NaN stop, checkpoints, --resume, progress, TensorBoard, and
    `--max-steps` (ours), which ends the phase after that many steps in all.
    """
    out, phase, train_set = run.out, run.phase, datasets.train
    total_batch = int(train_set.num_examples / hp.batch_size)
    for epoch in hooks.epochs(hp.epochs, steps_per_epoch=total_batch):
        started, avg_cost = time.time(), 0
        for i in hooks.batches(range(total_batch)):  # Fewer when --max-steps ends the phase.
            batch_xs, _ = train_set.next_batch(hp.batch_size)
            noise = np.random.uniform(-1.0, 1.0, size=[hp.batch_size, hp.noise_dim]).astype(
                np.float32
            )
            loss_D, loss_G = train_step(sess, g, real_batch(batch_xs, hp), noise, phase == "train")
            hooks.step(f"epoch {epoch + 1} step {i + 1}", loss_D=loss_D, loss_G=loss_G)
            avg_cost += cost_of(loss_D, loss_G) / total_batch
        steps = i + 1
        out.print("Epoch:", "%04d" % (epoch + 1), "cost=", "{:.9f}".format(avg_cost))
        seconds = time.time() - started
        losses = {"cost": float(avg_cost), "loss_D": float(loss_D)}
        losses["loss_G"] = None if loss_G is None else float(loss_G)
        timing = {"seconds": seconds, "seconds_per_step": seconds / steps}
        record = dict(phase=phase, epoch=epoch + 1, steps=steps, **losses, **timing)
        out.record(epoch + 1, losses, prefix=f"{phase}/", **record)  # TensorBoard: the losses.
        if phase == "train" and (epoch + 1) % hp.sample_every == 0:
            samples = sess.run(g.G, feed_dict={g.z_placeholder: sample_noise})
            path = out.save_figure(plot_samples(samples[:16]), f"samples_epoch_{epoch + 1:04d}.png")
            out.image("samples", path, epoch + 1)
    hooks.end()


def test(sess, g, hp, datasets, out):
    """The seed's third session: 10 generated/real pairs, then its "Errors" count as written."""
    test_xs, _ = datasets.validation.next_batch(hp.test_size)  # seed: test_set = mnist.validation
    noise = np.random.uniform(-1.0, 1.0, size=[hp.test_size, hp.noise_dim]).astype(np.float32)
    generated_images = sess.run(g.G, feed_dict={g.z_placeholder: noise})
    for i in range(10):
        idx = random.randint(0, hp.test_size - 1)
        sample = [generated_images[idx, :].reshape([28, 28]), test_xs[idx, :]]
        title = ["Generated images", "Real Images"]
        out.save_figure(plot_samples(sample, title), f"pair_{i:02d}.png")
    errors, labels, predictions = [], [], []
    for i in range(hp.test_size):
        label = np.argmax(test_xs[i])
        predicted = np.argmax(generated_images[i])
        labels.append(label)
        predictions.append(predicted)
        if label != predicted:
            errors.append(i)
    out.print("Errors:", len(errors))
    out.print(
        "(This compares the positions of the brightest pixel of a real and an unrelated "
        "generated image; the seed calls it errors, but it measures nothing.)"
    )
    out.print("Sample Errors:")
    for k, e in enumerate(errors[:10]):
        # FIX: the seed passed [(image, label), ...] and stale label/predicted from i = 999.
        out.save_figure(
            digits.digit(generated_images[e], predictions[e]), f"error_{k:02d}_generated.png"
        )
        out.save_figure(digits.digit(test_xs[e], labels[e]), f"error_{k:02d}_real.png")
    out.metric(phase="test", errors=len(errors), test_size=hp.test_size)
    return len(errors)


def train(hp, run, hooks=None):
    """One of the seed's three sessions (`run.phase`) in the same process state it had: `train`
    (D and G, then save), `train-d` (D alone, then save) or `test`, the last two from
    `run.restore` (a checkpoint prefix). `run` (tf1_reference/backend.py) also holds the seed,
    the run folder, the MNIST folder and the session's config; `hooks` (harness/hooks.py):
    checkpoints, --resume, progress, TensorBoard and --max-steps."""
    hooks = hooks or command.Hooks()
    out = run.out
    np.random.seed(run.seed)
    random.seed(run.seed)
    datasets = mnist.read_data_sets(run.data_dir, one_hot=True, rng=run.seed)
    graph = tf.Graph()
    with graph.as_default():
        tf1.set_random_seed(run.seed)
        g = build_graph(hp)
        # Relative paths in TF's `checkpoint` file, so that the folder can be renamed.
        saver = tf1.train.Saver(save_relative_paths=True)
        init = tf1.global_variables_initializer()
    # FIX: the seed uses sample_noise but never defines it: 16 fixed U(-1, 1) draws.
    sample_noise = np.random.uniform(-1.0, 1.0, size=[16, hp.noise_dim]).astype(np.float32)
    with tf1.Session(graph=graph, config=run.config) as sess:
        sess.run(init)
        if run.restore:
            streams = backend.restore_phase(sess, saver, run.restore, MODEL)
            sample_noise = checkpoint_format.continue_streams(streams, datasets.train, sample_noise)
        if run.phase == "test":
            return test(sess, g, hp, datasets, out)
        noise = checkpoint_format.Kept(sample_noise)
        state = backend.SessionState(sess, saver, graph)
        hooks.track(datasets.train, noise).attach(state, first_logged=1)
        run_epochs(sess, g, hp, datasets=datasets, run=run, sample_noise=noise.value, hooks=hooks)
        streams = checkpoint_format.streams(datasets.train, sample_noise=noise.value)
        save_path = backend.save_phase(sess, saver, out, CHECKPOINT, streams)
        out.print("Model saved in path: %s" % save_path)


COMMAND = command.Command(
    MODEL,
    train,
    hparams=HParams,
    doc=__doc__,
    backend=backend.TF1(ORIGINAL_CONFIG),
    read_data=mnist.read_raw,
    phases=PHASES,
)


def main(argv=None):
    return COMMAND.main(argv)


if __name__ == "__main__":
    command.run(main)
