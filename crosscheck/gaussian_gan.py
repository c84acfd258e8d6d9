"""Cross-check of the Gaussian GAN: tf1_reference.gaussian_gan against ports.gaussian_gan."""

import numpy as np

from crosscheck import engine
from inputs import gaussian
from ports import gaussian_gan as port
from tf1_reference import gaussian_gan as reference


def make_batches(rng, steps):
    """The original's feeding, from one generator: data once, reshuffled batches of 4, z ~ N."""
    X, batches = gaussian.gaussian_data(rng), []
    while len(batches) < steps:
        for x in gaussian.iterate_minibatch(X, batch_size=4, random=rng):
            batches.append({"x": x, "z": rng.normal(size=(4, 2))})
    return batches[:steps]


def tf_feeds(g, batch):
    return {g.z: batch["z"], g.x: batch["x"]}, {g.z: batch["z"], g.x: np.zeros((4, 2))}


def torch_losses(G, D, batch):
    fake = G(batch["z"])
    loss_D = port.discriminator_loss(D(batch["x"]), D(fake))
    return loss_D, port.generator_loss(D(fake))


CASE = engine.Case(
    reference=reference,
    port=port,
    make_batches=make_batches,
    tf_step=lambda sess, g, b: reference.train_step(sess, g, b["x"], b["z"]),
    tf_feeds=tf_feeds,
    torch_step=lambda G, D, oD, oG, b: port.train_step(G, D, oD, oG, b["x"], b["z"])[:2],
    torch_losses=torch_losses,
    var_lists=lambda g: (g.d_vars, g.g_vars),
)
