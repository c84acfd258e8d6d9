"""Benchmark: ms per training step (one D and one G step) of seeds 003 and 004, TF1 vs PyTorch.

Source:
    tf1_reference/mnist_vanilla_gan.py, mnist_mlp_gan.py and their ports; issue 5 asks for both
    models in both frameworks side by side in one process, with the ratio.

Run:
    python -m bench.mnist_gans            # 50 timed steps per model and framework (~2 min)
    python -m bench.mnist_gans 10         # fewer steps

Deviations:
    - None: a project tool with no original. Random batches in the models' value ranges stand in
      for MNIST (the step's cost does not depend on the pixels); 5 warm-up steps are not timed.
"""

import sys
import time

import tf1_reference  # noqa: F401, I001  (first: TF1 behaviour and a quiet TensorFlow)

import numpy as np
import tensorflow as tf
import torch

from harness import cli
from ports import mnist_mlp_gan as mlp_port
from ports import mnist_vanilla_gan as vanilla_port
from tf1_reference import mnist_mlp_gan as mlp_reference
from tf1_reference import mnist_vanilla_gan as vanilla_reference

tf1 = tf.compat.v1
WARMUP = 5


def timed(step, steps):
    for _ in range(WARMUP):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps * 1000


def tf_ms(reference, make_step, steps):
    graph = tf.Graph()
    with graph.as_default():
        gan = reference.build_graph()
        init = tf1.global_variables_initializer()
    with tf1.Session(graph=graph) as sess:
        sess.run(init)
        return timed(lambda: make_step(sess, gan), steps)


def main(argv=None):
    parser = cli.ArgumentParser(
        prog="python -m bench.mnist_gans", description=__doc__.split("\n")[0]
    )
    parser.add_argument("steps", nargs="?", type=cli._positive(int), default=50,
                        help="timed steps per model and framework (default 50)")  # fmt: skip
    steps = parser.parse_args(argv).steps
    rng = np.random.default_rng(0)
    x01, x11 = rng.uniform(size=(128, 784)), rng.uniform(-1, 1, size=(128, 784))
    z = lambda: rng.uniform(-1, 1, size=(128, 100))  # noqa: E731
    rows = []

    hp = vanilla_port.HParams()
    G, D = vanilla_port.Generator(), vanilla_port.Discriminator()
    oD, oG = torch.optim.Adam(D.parameters()), torch.optim.Adam(G.parameters())
    t = torch.as_tensor
    rows.append(("mnist_vanilla_gan", tf_ms(vanilla_reference, lambda s, g: vanilla_reference
                 .train_step(s, g, x01, z(), z()), steps), timed(lambda: vanilla_port.train_step(
                     G, D, oD, oG, t(x01).float(), t(z()).float(), t(z()).float(), hp.loss),
                     steps)))  # fmt: skip

    G, D = mlp_port.Generator(100, 784), mlp_port.Discriminator(784)
    oD, oG = torch.optim.Adam(D.parameters(), 2e-4), torch.optim.Adam(G.parameters(), 2e-4)
    rows.append(("mnist_mlp_gan", tf_ms(mlp_reference, lambda s, g: mlp_reference.train_step(
        s, g, x11, z(), z()), steps), timed(lambda: mlp_port.train_step(
            G, D, oD, oG, t(x11).float(), torch.randn(128, 100), torch.randn(128, 100)),
            steps)))  # fmt: skip

    print(f"ms per step (D + G), batch 128, {steps} steps, {torch.get_num_threads()} torch threads")
    print(f"{'model':<20} {'tf1':>9} {'pytorch':>9} {'tf1/pytorch':>12}")
    for model, tf_value, torch_value in rows:
        print(f"{model:<20} {tf_value:>9.2f} {torch_value:>9.2f} {tf_value / torch_value:>12.2f}")


if __name__ == "__main__":
    sys.exit(cli.run(main))
