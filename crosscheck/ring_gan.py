"""Cross-check of the ring GAN: tf1_reference.ring_gan against ports.ring_gan.

See_GANs feeds each step 512 mixture points and a 512 x 256 z to the D step, then a DIFFERENT
fresh 512 x 256 z to the G step; each batch here carries both (`z_d`, `z_g`). The optimizers
are the original's Adam(2e-4, beta1=0.5) on both sides. 500 steps of two 1 MiB noise arrays
would hold 1 GiB, so batches are made on demand, each from its own generator seeded from
the engine's one generator.
"""

import collections.abc

import numpy as np

from crosscheck import engine
from inputs import ring
from ports import ring_gan as port
from tf1_reference import ring_gan as reference

HP = reference.HParams()


class Batches(collections.abc.Sequence):
    """Step i's batch: the mixture sample, z for the D step and z for the G step."""

    def __init__(self, rng, steps, hp=HP):
        self.root, self.steps, self.hp = int(rng.integers(2**63)), steps, hp

    def __len__(self):
        return self.steps

    def __getitem__(self, i):
        if not 0 <= i < self.steps:
            raise IndexError(i)
        rng = np.random.default_rng([self.root, i])
        x = ring.sample(ring.MIXTURES[self.hp.mixture], self.hp.batch_size, random=rng)
        shape = (self.hp.batch_size, self.hp.num_z)
        return {"x": x, "z_d": rng.normal(size=shape), "z_g": rng.normal(size=shape)}


def tf_feeds(gan, batch):
    return {gan.x: batch["x"], gan.z: batch["z_d"]}, {gan.z: batch["z_g"]}


def tf_step(sess, gan, batch):
    d_loss = reference.d_step(sess, gan, batch["x"], batch["z_d"])
    return d_loss, reference.g_step(sess, gan, batch["z_g"])


def torch_losses(G, D, batch):
    d_loss = port.discriminator_loss(D(batch["x"]), D(G(batch["z_d"])))
    return d_loss, port.generator_loss(D(G(batch["z_g"])), HP.g_loss)


def torch_step(G, D, opt_D, opt_G, batch):
    d_loss = port.d_step(G, D, opt_D, batch["x"], batch["z_d"])
    return d_loss.item(), port.g_step(G, D, opt_G, batch["z_g"], HP.g_loss).item()


def kinks(reference_side, port_side, batch):
    """The input of every ReLU: G on both z's, D on the real points and on G(z_d)."""
    names = ["generator/g_hidden1/add:0", "generator/g_hidden2/add:0"]
    d_names = [
        "discriminator/d_hidden1/add:0",
        "discriminator/d_hidden2/add:0",
        "discriminator/d_hidden1_1/add:0",
        "discriminator/d_hidden2_1/add:0",
    ]
    gan = reference_side.g
    tf_values = reference_side.run_layers(names, {gan.z: batch["z_g"]})
    tf_values += reference_side.run_layers(
        names + d_names, {gan.z: batch["z_d"], gan.x: batch["x"]}
    )
    t = port_side.tensors(batch)
    G, D = port_side.G, port_side.D
    torch_values = []
    with port.torch.no_grad():
        for z in (t["z_g"], t["z_d"]):
            h1 = G.g_hidden1(z)
            torch_values += [h1, G.g_hidden2(port.torch.relu(h1))]
        for x in (t["x"], G(t["z_d"])):
            h1 = D.d_hidden1(x)
            torch_values += [h1, D.d_hidden2(port.torch.relu(h1))]
    labels = [
        "G(z_g) h1",
        "G(z_g) h2",
        "G(z_d) h1",
        "G(z_d) h2",
        "D(x) h1",
        "D(x) h2",
        "D(G(z_d)) h1",
        "D(G(z_d)) h2",
    ]
    return [(n, a, b.numpy()) for n, a, b in zip(labels, tf_values, torch_values)]


CASE = engine.Case(
    reference=reference,
    port=port,
    make_batches=lambda rng, steps: Batches(rng, steps),
    tf_step=tf_step,
    tf_feeds=tf_feeds,
    torch_step=torch_step,
    torch_losses=torch_losses,
    var_lists=lambda gan: (gan.d_params, gan.g_params),
    losses=lambda gan: (gan.d_loss, gan.g_loss),
    adam=lambda hp: ((hp.learning_rate, hp.beta1), (hp.learning_rate, hp.beta1)),
    kinks=kinks,
)
