"""Cross-check of seed 004: tf1_reference.mnist_mlp_gan against ports.mnist_mlp_gan.

Real MNIST batches as the seed fed them (the 60,000 training images in [-1, 1], one
permutation per 468 full batches of 128) and two z ~ N(0, I) batches per step, all from the
engine's one generator. Dropout stays ON: each step's nine masks (three layers of D for its
real, fake and G-step calls) are drawn here, 0 or 1 / 0.7, and fed to both sides through the
batch dict (the graph's mask placeholders, the port's `masks` argument).
"""

import numpy as np

from crosscheck import engine
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


def tf_feeds(g, batch):
    m = masks_of(batch)
    feed_D = {
        g.x: batch["x"],
        g.z: batch["z_D"],
        **dict(zip(g.real_masks, m["real"])),
        **dict(zip(g.fake_masks, m["fake"])),
    }
    return feed_D, {g.z: batch["z_G"], **dict(zip(g.fake_masks, m["G"]))}


def torch_losses(G, D, batch):
    m, bce = masks_of(batch), port.nn.BCELoss()
    D_real, D_fake = D(batch["x"], m["real"]), D(G(batch["z_D"]), m["fake"])
    D_loss = bce(D_real, port.torch.ones_like(D_real)) + bce(D_fake, port.torch.zeros_like(D_fake))
    D_fake_G = D(G(batch["z_G"]), m["G"])
    return D_loss, bce(D_fake_G, port.torch.ones_like(D_fake_G))


def _torch_pre_activations(layers, x, masks=None):
    """The inputs of the three leaky ReLUs of G or D (D with its dropout masks)."""
    out = []
    for i, fc in enumerate(layers):
        out.append(fc(x))
        x = port.F.leaky_relu(out[-1], 0.2)
        x = x if masks is None else x * masks[i]
    return out


def kinks(reference_side, port_side, batch):
    """The input of every leaky ReLU in the D step: G(z_D), D(x) and D(G(z_D)), masks as fed."""
    g, t, m = reference_side.g, port_side.tensors(batch), masks_of(batch)
    names = [
        f"{scope}/fc{i}/BiasAdd:0"
        for scope in ("generator", "discriminator", "discriminator_1")
        for i in (1, 2, 3)
    ]
    tf_values = reference_side.run_layers(names, tf_feeds(g, batch)[0])
    G, D = port_side.G, port_side.D
    tm = {
        call: [port.torch.as_tensor(a, dtype=t["x"].dtype) for a in arrays]
        for call, arrays in m.items()
    }
    with port.torch.no_grad():
        torch_values = (
            _torch_pre_activations((G.fc1, G.fc2, G.fc3), t["z_D"])
            + _torch_pre_activations((D.fc1, D.fc2, D.fc3), t["x"], tm["real"])
            + _torch_pre_activations((D.fc1, D.fc2, D.fc3), G(t["z_D"]), tm["fake"])
        )
    return [(n, a, b.numpy()) for n, a, b in zip(names, tf_values, torch_values)]


CASE = engine.Case(
    reference=reference,
    port=port,
    make_batches=make_batches,
    tf_step=lambda sess, g, b: reference.train_step(
        sess, g, b["x"], b["z_D"], b["z_G"], masks_of(b)
    ),
    tf_feeds=tf_feeds,
    torch_step=lambda G, D, oD, oG, b: port.train_step(
        G, D, oD, oG, b["x"], b["z_D"], b["z_G"], masks_of(b)
    ),
    torch_losses=torch_losses,
    var_lists=lambda g: (g.D_vars, g.G_vars),
    make_modules=lambda: (port.Generator(HP.z_dim, 784), port.Discriminator(784, HP.dropout)),
    losses=lambda g: (g.D_loss, g.G_loss),
    adam=lambda hp: ((hp.lr, 0.9), (hp.lr, 0.9)),
    kinks=kinks,
)
