"""lyeoni's MLP GAN on MNIST (seed 004) written as a 2018 TF1 graph would have been, on TF 2.21.

The same model as ports/mnist_mlp_gan.py (the original is PyTorch): G 100 -> 256 -> 512 ->
1024 (leaky ReLU 0.2) -> 784 tanh; D 784 -> 1024 -> 512 -> 256 (leaky ReLU 0.2, dropout 0.3
always on) -> 1 sigmoid; `nn.BCELoss`, Adam 2e-4, batch 128, 10 epochs of 468 full batches,
one loss.txt line per epoch in the seed's format and a grid of 100 samples.

Source: lyeoni/pytorch-mnist-GAN pytorch-mnist-GAN.ipynb as modified in seed 004.
    Facts: docs/originals.md 5.1, 5.2, 6.1, 6.3.

Run:
    python -m tf1_reference.mnist_mlp_gan                # 10 epochs (~6 min on 2 CPU cores)
    python -m tf1_reference.mnist_mlp_gan --n-epoch 1    # a smoke run (~40 s)

Deviations: (a translation, so these are the choices of the translation)
- The loss.txt means are float32 means of the float32 losses, NumPy's (pairwise summation),
  where the seed's `torch.mean(torch.FloatTensor(list))` sums in torch's order: the two can
  differ in the last float32 bit, which moves the printed third decimal only when a mean lies
  within that bit of a rounding boundary. (The port prints the seed's own torch.mean.)
- Layers are `tf.compat.v1.layers.dense` named fc1..fc4 under `variable_scope("generator")` /
  `("discriminator")`; the second D call reuses the variables (`reuse=True`); var lists are
  the trainable variables of each scope. Initializers are PyTorch's `nn.Linear` defaults,
  U(+-1/sqrt(fan_in)) for kernels and biases.
- Leaky ReLU is `tf.maximum(x, 0.2 * x)` (as many 2018 TF GANs wrote it): the same values
  as `F.leaky_relu(x, 0.2)`; `tf.nn.leaky_relu` rounds 0.2 to float32 even in float64.
- Dropout: `x * mask` with the mask `tf.nn.dropout(ones, rate=0.3)` (0 or 1/0.7), held in a
  `placeholder_with_default`, so each session run draws fresh masks (as each PyTorch forward
  does) unless the cross-check feeds its own. Always on, as F.dropout in the original.
- BCE: `nn.BCELoss` exactly, as `bce_loss`: mean((y - 1) max(log1p(-p), -100) - y max(log p,
  -100)), PyTorch's forward formula, and a custom gradient with PyTorch's backward formula
  (p - y) / max((1 - p) p, 1e-12) / N. Plain autodiff through the clamp would give 0 * inf =
  NaN once p rounds to exactly 0 or 1 (a sigmoid logit beyond about +-17 in float32).
- Data: `datasets.MNIST(train=True)` and `DataLoader(batch_size=128, shuffle=True)` -> the
  60,000 training images from inputs/mnist.py, scaled as ToTensor and Normalize((0.5,),
  (0.5,)) do, in float32, to [-1, 1]; each epoch one `np.random.permutation` of them, 468
  batches of 128 and the last 96 images skipped, as the seed.
- Every random draw differs from the seed program's, in value, not in distribution: the
  original draws all of them from torch's global generator, which a TF1 program does not
  have. The initial weights come from TF's initializer ops (seeded by the graph-level seed),
  each epoch's order from NumPy's global generator (`np.random.permutation`, where the
  DataLoader draws a shuffling seed from torch's generator and permutes with it), z for the
  D step and then for the G step from NumPy's global generator (`np.random.normal`, fed,
  where the original calls torch.randn), and the dropout masks from the graph's own
  RandomUniform ops (where the original's F.dropout draws from torch's generator). The
  cross-check feeds both frameworks the same draws to compare the function itself.
- `--seed` seeds NumPy's global generator and the graph-level seed (drawn and printed when
  not given); the original seeds nothing. NaN losses stop the run with one sentence.
- Subnormal float32 numbers (nonzero, below 2^-126): TensorFlow's CPU kernels flush them to
  zero, inputs and results, where the seed's PyTorch keeps them. The port, which trains the
  seed's numbers bit for bit, met none in `python -m report.denormals`'s run (one epoch, 468
  steps: 0 of 7,884,441,229 float32 results, weights, gradients and Adam moments included, on an
  Intel Xeon with AVX-512 and AMX, one thread), so there the flush changes nothing
  (docs/crosscheck.md).
- Added, none of which draws from NumPy's global generator or TF's, or writes a weight:
  - each loss.txt line also goes to stdout and log.txt (the seed prints nothing; the same
    line as the port's), and loss.txt is rewritten (atomically) after every epoch;
  - a tqdm progress bar per epoch (on a terminal);
  - a grid of 100 samples per epoch, sample_NN.png (8 per row, values clamped to [0, 1], as
    lyeoni's README shows; the seed imports `save_image` but never calls it), its z the same
    every epoch, drawn once from a NumPy Generator of their own seeded with --seed;
  - a checkpoint every `--checkpoint-every` steps, at the end and on Ctrl-C/SIGTERM
    (`<out>/checkpoints/`, a `tf.train.Saver` built after the original's ops: its save and
    restore ops join the graph and draw nothing), `--resume RUN_DIR` (on a CPU the resumed
    run prints and writes what the uninterrupted one does), `--on-nan stop|continue`, and
    TensorBoard event files in the run folder (a FileWriter with the graph, the Saver's ops
    included; scalars and images as Summary protos, no graph ops); `--device`, `--out`,
    `--data-dir`.
- Resuming: TF1 cannot save the state of the in-graph dropout generators, so a resumed
  run replays their draws (`fast_forward_dropout`, about a millisecond per step done)
  and continues with the same masks as the uninterrupted run.
"""

import numpy as np
import tensorflow as tf

import tf1_reference
from figures import image_grid
from harness import command
from inputs import mnist
from models.mnist_mlp_gan import HParams  # The hyper-parameters, shared with the port.
from tf1_reference import backend

tf1 = tf.compat.v1

MODEL = "mnist_mlp_gan"
EPSILON = 1e-12  # PyTorch's BCE backward: max((1 - p) p, EPSILON) in the denominator.


def dense(x, units, name):
    """`tf.layers.dense` with nn.Linear's default initializers, U(+-1/sqrt(fan_in))."""
    bound = 1.0 / np.sqrt(int(x.shape[-1]))
    init = tf1.random_uniform_initializer(-bound, bound)
    return tf1.layers.dense(x, units, kernel_initializer=init, bias_initializer=init, name=name)


def leaky_relu(x, alpha):
    """max(x, alpha x), F.leaky_relu's values in float32 and float64 alike.

    `tf.nn.leaky_relu` would keep alpha as a float32 attribute, 0.2 -> 0.20000000298 even in a
    float64 graph: a 1.5e-8 relative change of every negative activation.
    """
    return tf.maximum(x, alpha * x)


def generator(z, g_output_dim=784):
    """z (B, 100) -> fc1 256 -> fc2 512 -> fc3 1024 (leaky ReLU 0.2) -> fc4 784 tanh."""
    with tf1.variable_scope("generator"):
        x = leaky_relu(dense(z, 256, "fc1"), 0.2)
        x = leaky_relu(dense(x, 512, "fc2"), 0.2)
        x = leaky_relu(dense(x, 1024, "fc3"), 0.2)
        return tf.tanh(dense(x, g_output_dim, "fc4"))


def discriminator(x, rate=0.3, reuse=False):
    """x (B, 784) -> fc1 1024 -> fc2 512 -> fc3 256 (leaky ReLU 0.2, dropout) -> fc4 sigmoid.

    Returns (probability, masks): masks are the three dropout-mask placeholders of this call,
    each defaulting to a fresh draw of 0 or 1 / (1 - rate).
    """
    masks = []
    with tf1.variable_scope("discriminator", reuse=reuse):
        for i, units in enumerate((1024, 512, 256), start=1):
            x = leaky_relu(dense(x, units, f"fc{i}"), 0.2)
            draw = tf.nn.dropout(tf.ones_like(x), rate=rate)
            masks.append(tf1.placeholder_with_default(draw, [None, units], f"dropout{i}_mask"))
            x = x * masks[-1]
        return tf.sigmoid(dense(x, 1, "fc4")), masks


def bce_loss(p, y):
    """nn.BCELoss()(p, y): mean((y - 1) max(log(1 - p), -100) - y max(log p, -100)).

    The gradient is PyTorch's, dL/dp = (p - y) / max((1 - p) p, 1e-12) / N.
    """

    @tf.custom_gradient
    def bce(p):
        log_p = tf.maximum(tf.math.log(p), -100.0)
        log_1mp = tf.maximum(tf.math.log1p(-p), -100.0)
        loss = tf.reduce_mean((y - 1.0) * log_1mp - y * log_p)

        def grad(dy):
            n = tf.cast(tf.size(p), p.dtype)
            return dy * (p - y) / tf.maximum((1.0 - p) * p, EPSILON) / n

        return loss, grad

    return bce(p)


class MLPGAN(object):
    """The graph: placeholders x, z; G_output; D on real and fake; losses; var lists by scope."""

    def __init__(self, hp, dtype=tf.float32):
        self.x = tf1.placeholder(dtype, shape=[None, 784], name="x")
        self.z = tf1.placeholder(dtype, shape=[None, hp.z_dim], name="z")
        self.G_output = generator(self.z)
        self.D_real, self.real_masks = discriminator(self.x, hp.dropout)
        self.D_fake, self.fake_masks = discriminator(self.G_output, hp.dropout, reuse=True)
        # D_loss = BCE(D(x), 1) + BCE(D(G(z)), 0); G_loss = BCE(D(G(z)), 1).
        D_real_loss = bce_loss(self.D_real, tf.ones_like(self.D_real))
        D_fake_loss = bce_loss(self.D_fake, tf.zeros_like(self.D_fake))
        self.D_loss = D_real_loss + D_fake_loss
        self.G_loss = bce_loss(self.D_fake, tf.ones_like(self.D_fake))
        trainable = tf1.GraphKeys.TRAINABLE_VARIABLES
        self.D_vars = tf1.get_collection(trainable, scope="discriminator")
        self.G_vars = tf1.get_collection(trainable, scope="generator")


def build_graph(hp=HParams(), dtype=tf.float32):
    """Build the GAN and its two Adam optimizers (lr 2e-4, default betas) into the default graph."""
    tf1_reference.for_building()  # Keras 2; TF1 behaviour for a caller outside any graph.
    gan = MLPGAN(hp, dtype)
    gan.D_optimizer = tf1.train.AdamOptimizer(hp.lr).minimize(gan.D_loss, var_list=gan.D_vars)
    gan.G_optimizer = tf1.train.AdamOptimizer(hp.lr).minimize(gan.G_loss, var_list=gan.G_vars)
    return gan


def mask_feed(placeholders, masks):
    """Feed entries for three mask placeholders; none when `masks` is None (draw in-graph)."""
    return {} if masks is None else dict(zip(placeholders, masks))


def train_step(sess, gan, x, z_D, z_G, masks=None):
    """D step on (x, z_D), then G step on z_G; returns (D_loss, G_loss) before each update.

    `masks`: None, or {"real": [3], "fake": [3], "G": [3]} arrays, as the port's train_step.
    """
    masks = masks or {}
    feed = {
        gan.x: x,
        gan.z: z_D,
        **mask_feed(gan.real_masks, masks.get("real")),
        **mask_feed(gan.fake_masks, masks.get("fake")),
    }
    D_loss, _ = sess.run([gan.D_loss, gan.D_optimizer], feed_dict=feed)
    feed = {gan.z: z_G, **mask_feed(gan.fake_masks, masks.get("G"))}
    G_loss, _ = sess.run([gan.G_loss, gan.G_optimizer], feed_dict=feed)
    return D_loss, G_loss


def normalized(images):
    """uint8 images -> float32 (N, 784) in [-1, 1], (x / 255 - 0.5) / 0.5: ToTensor, Normalize."""
    x = images.reshape(len(images), 784).astype(np.float32) / np.float32(255.0)
    return (x - np.float32(0.5)) / np.float32(0.5)


def dropout_draws(gan):
    """The RandomUniform op behind each dropout mask: (real-call ops, fake-call ops).

    Found by walking back from each mask placeholder's default, stopping at the masks of
    earlier layers, so each list holds exactly the three ops of that D call.
    """

    def random_op(mask):
        pending, seen = [mask.op.inputs[0].op], set()
        while pending:
            op = pending.pop()
            if op.type == "RandomUniform":
                return op
            for tensor in op.inputs:
                if tensor.op.name not in seen and tensor.op.type != "PlaceholderWithDefault":
                    seen.add(tensor.op.name)
                    pending.append(tensor.op)
        raise ValueError(f"no RandomUniform op behind {mask.name}.")

    return [random_op(m) for m in gan.real_masks], [random_op(m) for m in gan.fake_masks]


def fast_forward_dropout(sess, gan, steps, bs):
    """Advance the in-graph dropout generators by `steps` training steps (for --resume).

    TF1 cannot save the state of a stateful random op; each op's Philox counter moves on by
    the number of values it draws. A training step runs the real-data masks once (D step)
    and the generated-data masks twice (D and G steps), so running the bare RandomUniform ops
    with the same shapes that often puts every counter where the interrupted run left it.
    """
    real, fake = dropout_draws(gan)
    feed = {
        op.inputs[0]: np.array([bs, int(op.outputs[0].shape[-1])], np.int32) for op in real + fake
    }
    both = [op.outputs[0] for op in real + fake]
    for _ in range(steps):
        sess.run(both, feed_dict=feed)
        sess.run(both[len(real) :], feed_dict=feed)


def train(hp, run, hooks=None):
    """The seed's loop in TF1: per epoch a reshuffle, D and G steps per full batch, a loss line.

    `run` (tf1_reference/backend.py): the seed, the run folder, the MNIST folder and the
    session's config. `hooks` (harness/hooks.py) adds checkpoints, --resume, progress,
    TensorBoard and a step limit. The dropout masks are drawn in the graph, whose generator
    state TF1 cannot save; a resumed run replays those draws (`fast_forward_dropout`), so it
    still repeats the uninterrupted run number for number.
    """
    hooks = hooks or command.Hooks()
    out, seed = run.out, run.seed
    np.random.seed(seed)
    images = normalized(mnist.read_raw(run.data_dir).train_images)
    graph = tf.Graph()
    with graph.as_default():
        tf1.set_random_seed(seed)
        gan = build_graph(hp)
        init = tf1.global_variables_initializer()
        saver = backend.saver_for(hooks)  # Built after the original's ops.
    starts = range(0, len(images) - hp.bs + 1, hp.bs)  # Full batches only, as the seed.
    # The grid's z, the same every epoch, from a generator of its own: drawn from NumPy's
    # global one, they would move every later z and epoch order.
    test_z = np.random.default_rng(seed).normal(size=(hp.samples, hp.z_dim))
    with tf1.Session(graph=graph, config=run.config) as sess:
        sess.run(init)
        state = backend.SessionState(sess, saver, graph)
        hooks.track(appended=["loss.txt"]).attach(state, first_logged=1)
        if hooks.resumed:
            fast_forward_dropout(sess, gan, hooks.done, hp.bs)
        for epoch in hooks.epochs(hp.n_epoch, first=1, steps_per_epoch=len(starts)):
            order = np.random.permutation(len(images))  # DataLoader(shuffle=True)'s new order.
            D_losses, G_losses = [], []
            for start in hooks.batches(starts):
                x = images[order[start : start + hp.bs]]
                z_D = np.random.normal(size=(hp.bs, hp.z_dim))
                z_G = np.random.normal(size=(hp.bs, hp.z_dim))
                D_loss, G_loss = train_step(sess, gan, x, z_D, z_G)
                hooks.step(f"epoch {epoch} batch {len(D_losses)}", D_loss=D_loss, G_loss=G_loss)
                D_losses.append(float(D_loss))  # float32 values, exact as Python floats.
                G_losses.append(float(G_loss))
            loss_d = np.mean(np.asarray(D_losses, np.float32))
            loss_g = np.mean(np.asarray(G_losses, np.float32))
            line = f"[{epoch}/{hp.n_epoch}]: loss_d: {loss_d:.3f}, loss_g: {loss_g:.3f}\n"
            out.print(line, end="")
            out.append("loss.txt", line)
            losses = {"loss_d": float(loss_d), "loss_g": float(loss_g)}
            out.record(epoch, ("loss_d", "loss_g"), epoch=epoch, **losses)
            samples = sess.run(gan.G_output, feed_dict={gan.z: test_z})
            path = out.save_figure(image_grid.tiled(samples), f"sample_{epoch:02d}.png")
            out.image("samples", path, epoch)
        hooks.end()
    return (out.path / "loss.txt").read_text().splitlines(keepends=True)


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
