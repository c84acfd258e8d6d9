"""Benchmark: ms per See_GANs "epoch" (one D step + one G step) of ring_gan, TF1 vs PyTorch.

Times, in one process and after a warm-up: the model's epoch in each framework on fixed
batches (so the model's cost is seen alone), the data the original's loop draws each epoch
(512 mixture points through `gmm_sample`, two 512 x 256 noise batches) on its own, and the
reference's epoch exactly as its loop runs it (data drawn inside). Each figure is the median
of REPEATS blocks; the machine's load average is printed beside them, because a busy machine
slows PyTorch's thread pool far more than TensorFlow's.

Source: tf1_reference/ring_gan.py and ports/ring_gan.py (issue 4's speed section).

Run:
    python -m bench.ring_gan              # 5 blocks of 200 epochs per figure (~1 min)
    python -m bench.ring_gan --epochs 50  # a quicker look

Deviations: none (a project tool with no original).
"""

import os
import statistics
import sys
import time

import tf1_reference  # noqa: F401, I001  (first: TF1 behaviour and a quiet TensorFlow)

import numpy as np
import tensorflow as tf
import torch

from harness import cli
from inputs import ring
from ports import ring_gan as port
from tf1_reference import ring_gan as reference

tf1 = tf.compat.v1
REPEATS = 5  # Blocks per figure; the median is reported.
WARMUP = 20  # Untimed epochs before each figure.


def median_ms(step, epochs):
    """Median over REPEATS blocks of `epochs` calls of `step`, in ms per call."""
    for _ in range(WARMUP):
        step()
    blocks = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(epochs):
            step()
        blocks.append((time.perf_counter() - start) / epochs * 1000)
    return statistics.median(blocks)


def draw(hp, random):
    """What fit() draws each epoch: 512 mixture points, z for the D step, z for the G step."""
    x = ring.sample(ring.RING, hp.batch_size, random)
    z_d = random.normal(size=(hp.batch_size, hp.num_z))
    return x, z_d, random.normal(size=(hp.batch_size, hp.num_z))


def main(argv=None):
    parser = cli.ArgumentParser(prog="python -m bench.ring_gan", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--epochs",
        type=cli._positive(int),
        default=200,
        help="epochs per timed block (default 200)",
    )
    args = parser.parse_args(argv)
    hp = reference.HParams()
    random = np.random.RandomState(0)
    x, z_d, z_g = draw(hp, random)
    figures = {"data (numpy, per epoch)": median_ms(lambda: draw(hp, random), args.epochs)}

    graph = tf.Graph()
    with graph.as_default():
        gan = reference.build_graph(hp)
        init = tf1.global_variables_initializer()
    with tf1.Session(graph=graph) as sess:
        sess.run(init)

        def tf_epoch():
            reference.d_step(sess, gan, x, z_d)
            reference.g_step(sess, gan, z_g)

        def tf_epoch_as_the_loop():
            batch = draw(hp, random)
            reference.d_step(sess, gan, batch[0], batch[1])
            reference.g_step(sess, gan, batch[2])

        figures["tf1 model"] = median_ms(tf_epoch, args.epochs)
        figures["tf1 as the loop runs it"] = median_ms(tf_epoch_as_the_loop, args.epochs)

    G, D = port.Generator(hp.num_z, hp.hidden_size), port.Discriminator(hp.hidden_size)
    opt_D, opt_G = port.make_optimizers(G, D, hp)
    tx, tz_d, tz_g = (torch.as_tensor(a, dtype=torch.float32) for a in (x, z_d, z_g))
    figures["pytorch model"] = median_ms(
        lambda: port.train_step(G, D, opt_D, opt_G, tx, tz_d, tz_g), args.epochs
    )

    load = os.getloadavg()[0]
    print(f"ring_gan, ms per epoch (D step + G step), median of {REPEATS} x {args.epochs} epochs;"
          f" load average {load:.2f} on {os.cpu_count()} cores, {torch.get_num_threads()} torch threads")  # fmt: skip
    for name, value in figures.items():
        print(f"  {name:<26} {value:8.3f}")
    ratio = figures["pytorch model"] / figures["tf1 model"]
    print(f"  port / reference (model)   {ratio:8.2f}")


if __name__ == "__main__":
    sys.exit(cli.run(main))
