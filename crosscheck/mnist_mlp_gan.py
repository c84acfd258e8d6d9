"""Cross-check of seed 004: tf1_reference.mnist_mlp_gan against ports.mnist_mlp_gan.

Real MNIST batches as the seed fed them (the 60,000 training images in [-1, 1], one
permutation per 468 full batches of 128) and two z ~ N(0, I) batches per step, all from the
engine's one generator. Dropout stays ON: each step's nine masks (three layers of D for its
real, fake and G-step calls) are drawn here, 0 or 1 / 0.7, and fed to both sides through the
batch dict (the graph's mask placeholders, the port's `masks` argument).
"""

import numpy as np

from crosscheck import case
from inputs import mnist
from ports import mnist_mlp_gan as port
from tf1_reference import mnist_mlp_gan as reference

HP = reference.HParams()
CALLS = ("real", "fake", "G")
UNITS = (1024, 512, 256)


def make_batches(rng, steps):
    """`steps` batches {x, z_D, z_G, mask_<call><layer>}, float64."""
    images = reference.normalized(mnist.read_raw(download=False).train_images)
    per_epoch = len(images) // HP.bs
    batches = []
    for step in range(steps):
        if step % per_epoch == 0:
            order = rng.permutation(len(images))
        start = (step % per_epoch) * HP.bs
        batch = {
            "x": images[order[start : start + HP.bs]].astype(np.float64),
            "z_D": rng.normal(size=(HP.bs, HP.z_dim)),
            "z_G": rng.normal(size=(HP.bs, HP.z_dim)),
        }
        for call in CALLS:
            for i, units in enumerate(UNITS):
                keep = rng.uniform(size=(HP.bs, units)) >= HP.dropout
                batch[f"mask_{call}{i}"] = keep / (1.0 - HP.dropout)
        batches.append(batch)
    return batches


def masks_of(batch):
    return {call: [batch[f"mask_{call}{i}"] for i in range(len(UNITS))] for call in CALLS}


def torch_step(nets, opts, b):
    G, D = nets["generator"], nets["discriminator"]
    masks = masks_of(b)
    return port.train_step(G, D, opts["D"], opts["G"], b["x"], b["z_D"], b["z_G"], masks)


CASE = case.Case(
    name="mnist_mlp_gan",
    graph=lambda dtype: reference.build_graph(HP, dtype=dtype),
    modules=lambda: {
        "generator": port.Generator(HP.z_dim, 784),
        "discriminator": port.Discriminator(784, HP.dropout),
    },
    name_map=port.NAME_MAP,
    batches=make_batches,
    tf_step=lambda sess, g, b: reference.train_step(
        sess, g, b["x"], b["z_D"], b["z_G"], masks_of(b)
    ),
    torch_step=torch_step,
)
