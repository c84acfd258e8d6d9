"""Cross-check of the conditional GAN: tf1_reference.gaussian_cgan against ports.gaussian_cgan."""

import numpy as np

from crosscheck import engine
from inputs import gaussian
from ports import gaussian_cgan as port
from tf1_reference import gaussian_cgan as reference


def make_batches(rng, steps):
    """The original's feeding: (X, X1) once, aligned reshuffled batches of 4, z ~ N(0, I)."""
    X, X1 = gaussian.conditional_data(rng)
    batches = []
    while len(batches) < steps:
        for x, x1 in gaussian.iterate_minibatch(X, X1, batch_size=4, random=rng):
            batches.append({"x": x, "x1": x1, "z": rng.normal(size=(4, 2))})
    return batches[:steps]


def tf_feeds(g, batch):
    feed_D = {g.z: batch["z"], g.x: batch["x"], g.x1: batch["x1"]}
    return feed_D, {g.z: batch["z"], g.x: batch["x"], g.x1: np.zeros((4, 2))}


def torch_losses(G, D, batch):
    fake = G(batch["z"], batch["x"])
    loss_D = port.discriminator_loss(D(batch["x1"], batch["x"]), D(fake, batch["x"]))
    return loss_D, port.generator_loss(D(fake, batch["x"]))


CASE = engine.Case(
    reference=reference,
    port=port,
    make_batches=make_batches,
    tf_step=lambda sess, g, b: reference.train_step(sess, g, b["x"], b["x1"], b["z"]),
    tf_feeds=tf_feeds,
    torch_step=lambda G, D, oD, oG, b: port.train_step(G, D, oD, oG, b["x"], b["x1"], b["z"]),
    torch_losses=torch_losses,
    var_lists=lambda g: (g.d_vars, g.g_vars),
)
