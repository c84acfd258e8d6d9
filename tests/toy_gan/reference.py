"""The toy GAN's TF1 reference: G(z) = z w + b against a logistic D(x) = x w + b, on N(3, 0.5^2).

Source: the test's own (no original).

Run:
    tests/test_seventh_model.py calls `main` as the comparison report does.

Deviations: none (no original).
"""

import argparse
import dataclasses
import types

import imageio.v2 as imageio
import numpy as np
import tensorflow as tf

from harness import command as run_command
from harness import hooks as run_hooks
from harness import run_folder

tf1 = tf.compat.v1
MODEL = "toy_gan"


@dataclasses.dataclass(frozen=True)
class HParams:
    steps: int = 40  # A toy run.
    batch_size: int = 8  # A toy batch.
    lr: float = 0.01  # Adam's learning rate, both networks.


def dense(inputs, name):
    """One 1 -> 1 dense layer: variables <name>_w (glorot) and <name>_b (zeros)."""
    w = tf1.get_variable(
        f"{name}_w", [1, 1], inputs.dtype, initializer=tf1.glorot_uniform_initializer()
    )
    b = tf1.get_variable(f"{name}_b", [1], inputs.dtype, initializer=tf1.zeros_initializer())
    return tf.matmul(inputs, w) + b


def build_graph(hp, dtype=tf.float32):
    """Placeholders x and z, G and D, the two mean cross-entropy losses and their Adam steps."""
    x = tf1.placeholder(dtype, [None, 1], name="x")
    z = tf1.placeholder(dtype, [None, 1], name="z")
    with tf1.variable_scope("generator"):
        fake = dense(z, "g")
    with tf1.variable_scope("discriminator"):
        real_logits = dense(x, "d")
    with tf1.variable_scope("discriminator", reuse=True):
        fake_logits = dense(fake, "d")
    ce = tf.nn.sigmoid_cross_entropy_with_logits
    loss_D = tf.reduce_mean(ce(labels=tf.ones_like(real_logits), logits=real_logits))
    loss_D += tf.reduce_mean(ce(labels=tf.zeros_like(fake_logits), logits=fake_logits))
    loss_G = tf.reduce_mean(ce(labels=tf.ones_like(fake_logits), logits=fake_logits))
    d_vars = tf1.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES, scope="discriminator")
    g_vars = tf1.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES, scope="generator")
    d_optim = tf1.train.AdamOptimizer(hp.lr).minimize(loss_D, var_list=d_vars)
    g_optim = tf1.train.AdamOptimizer(hp.lr).minimize(loss_G, var_list=g_vars)
    return types.SimpleNamespace(
        x=x, z=z, fake=fake, loss_D=loss_D, loss_G=loss_G, d_optim=d_optim, g_optim=g_optim
    )


def picture(out, samples, step):
    """A 16 x 64 grey histogram of the generated samples over [0, 6], as step_NNN.png."""
    counts, _ = np.histogram(samples, bins=64, range=(0.0, 6.0))
    image = np.zeros((16, 64), np.uint8)
    for column, count in enumerate(counts):
        image[16 - min(16, int(count)) :, column] = 255
    imageio.imwrite(out.path / f"step_{step:03d}.png", image)


def train(hp, run, hooks=None):
    """`hp.steps` D and G steps; metrics every step, a picture every 10."""
    hooks, out, seed = hooks or run_hooks.Hooks(), run.out, run.seed
    config = getattr(run, "config", None)
    rng = np.random.default_rng(seed)
    with tf.Graph().as_default():
        tf1.set_random_seed(seed)
        g = build_graph(hp)
        variables = tf1.trainable_variables()
        with tf1.Session(config=config) as session:
            session.run(tf1.global_variables_initializer())
            state = types.SimpleNamespace(
                trainable_values=lambda: {v.op.name: session.run(v) for v in variables}
            )
            hooks.attach(state)
            for step in hooks.steps(hp.steps):
                x = rng.normal(3.0, 0.5, (hp.batch_size, 1))
                z = rng.normal(size=(hp.batch_size, 1))
                loss_D, _ = session.run([g.loss_D, g.d_optim], {g.x: x, g.z: z})
                loss_G, _ = session.run([g.loss_G, g.g_optim], {g.z: z})
                hooks.step(loss_D=loss_D, loss_G=loss_G)
                out.record(step + 1, step=step + 1, loss_D=float(loss_D), loss_G=float(loss_G))
                if (step + 1) % 10 == 0:
                    picture(out, session.run(g.fake, {g.z: rng.normal(size=(256, 1))}), step + 1)
            hooks.end()


def command(argv, framework, train):
    """--steps, --seed and --out; the run goes into its folder."""
    parser = argparse.ArgumentParser(prog=f"toy_gan {framework}")
    parser.add_argument("--steps", type=int, default=HParams.steps)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    hp = HParams(steps=args.steps)
    with run_folder.RunFolder(args.out) as out:
        out.save_hparams(hp, model=MODEL, framework=framework, seed=args.seed)
        train(hp, run_command.Run(out=out, seed=args.seed))
    return 0


def main(argv=None):
    return command(argv, "tf1", train)
