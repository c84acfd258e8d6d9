"""Cross-check of the ring GAN: tf1_reference.ring_gan against ports.ring_gan.

See_GANs feeds each step 512 mixture points and a 512 x 256 z to the D step, then a DIFFERENT
fresh 512 x 256 z to the G step; each batch here carries both (`z_d`, `z_g`). The optimizers
are the original's Adam(2e-4, beta1=0.5) on both sides. 500 steps of two 1 MiB noise arrays
would hold 1 GiB, so batches are made on demand, each from its own generator seeded from
the engine's one generator.
"""

import collections.abc

import numpy as np

from crosscheck import case
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


def tf_step(sess, gan, batch):
    d_loss = reference.d_step(sess, gan, batch["x"], batch["z_d"])
    return d_loss, reference.g_step(sess, gan, batch["z_g"])


def torch_step(nets, opts, batch):
    G, D = nets["generator"], nets["discriminator"]
    d_loss = port.d_step(G, D, opts["D"], batch["x"], batch["z_d"])
    return d_loss.item(), port.g_step(G, D, opts["G"], batch["z_g"], HP.g_loss).item()


CASE = case.Case(
    name="ring_gan",
    graph=lambda dtype: reference.build_graph(HP, dtype=dtype),
    modules=lambda: {"generator": port.Generator(), "discriminator": port.Discriminator()},
    name_map=port.NAME_MAP,
    batches=lambda rng, steps: Batches(rng, steps),
    tf_step=tf_step,
    torch_step=torch_step,
)
