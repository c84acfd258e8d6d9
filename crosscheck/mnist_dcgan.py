"""Cross-check of the seed-002 DCGAN: tf1_reference.mnist_dcgan against ports.mnist_dcgan.

Real MNIST batches of 64 (the 55,000 training images, permuted by the check's generator) and
U(-1, 1) noise, fed as the seed feeds them: D on (real, z), then G on the same z. Before any
update, every layer of G, D(real) and D(fake) is compared too (`compare_forward`): PyTorch's
NCHW maps are moved to NHWC, and its (c, h, w)-ordered vectors to (h, w, c) order, first.

Both float32 and float64 are checked: `tf.compat.v1.layers` builds in the input's dtype, and
in float64 TF's batch_normalization takes its non-fused path (FusedBatchNorm has no float64
kernel), which computes the same batch mean and biased variance.

D's conv2d_1 bias sits just before BatchNorm, which subtracts each channel's mean: its exact
gradient is zero, so what both frameworks compute is rounding noise (~1e-7..1e-9), which Adam
divides by its own square root and turns into steps of about lr = 2e-4 with a random sign.
It moves D's function by nothing but rounding, so the check reports it and judges the rest
(`gradient_free`).
"""

import functools

import numpy as np
import torch

from crosscheck import case
from inputs import mnist
from ports import mnist_dcgan as port
from tf1_reference import mnist_dcgan as reference

BATCH = 64  # seed: batch_size = 64
# The float32 tolerance for every layer, both losses and the gradients before any
# update: BatchNorm divides by a batch standard deviation, so norm2 agrees to ~1.3e-6, not 1e-6.
TOL_FORWARD_FLOAT32 = 1e-5


@functools.lru_cache(maxsize=1)
def _train_images():
    """The 55,000 training images as float64 (N, 28, 28, 1) in [0, 1], read once."""
    images = mnist.read_data_sets(reshape=False).train.images
    return images.astype(np.float64)


def make_batches(rng, steps):
    """`steps` real batches of 64 (one permutation of the training set) and U(-1, 1) noise."""
    images = _train_images()
    order = rng.permutation(len(images))
    return [
        {
            "x": images[order[i * BATCH : (i + 1) * BATCH]],
            "z": rng.uniform(-1.0, 1.0, size=(BATCH, 100)),
        }
        for i in range(steps)
    ]


def _nchw(batch):
    return {"x": batch["x"].permute(0, 3, 1, 2).contiguous(), "z": batch["z"]}


def torch_step(nets, opts, batch):
    batch = _nchw(batch)
    G, D = nets["generator"], nets["discriminator"]
    return port.train_step(G, D, opts["D"], opts["G"], batch["x"], batch["z"])


def _as_tf_layout(tensor, tf_shape):
    """A PyTorch activation in TF's layout: NCHW -> NHWC; a flat (c, h, w) vector -> (h, w, c)."""
    array = tensor.detach().numpy()
    if array.ndim == 4:
        return array.transpose(0, 2, 3, 1)
    if array.ndim == 2 and array.shape[1] == 7 * 7 * 128:
        return array.reshape(-1, 128, 7, 7).transpose(0, 2, 3, 1).reshape(len(array), -1)
    assert list(array.shape[1:]) == list(tf_shape[1:]), (array.shape, tf_shape)
    return array


def layer_values(reference_side, port_side, batch):
    """Every layer of G, D(real) and D(fake) in both frameworks (PyTorch's in TF's layout), and
    the four losses: ({name: TF value}, {name: PyTorch value})."""
    g = reference_side.g
    tensors = {f"{net}/{name}": t for net, layers in g.layers.items() for name, t in layers.items()}
    for name in ("loss_D_real", "loss_D_fake", "loss_D", "loss_G"):
        tensors[name] = getattr(g, name)
    feed = {g.real_images_placeholder: batch["x"], g.z_placeholder: batch["z"]}
    tf_values = dict(zip(tensors, reference_side.run_layers(list(tensors.values()), feed)))

    pt = _nchw(port_side.tensors(batch))
    layers = {"G": {}, "D_real": {}, "D_fake": {}}
    with torch.no_grad():
        fake = port_side.G(pt["z"], layers["G"])
        _, real_logits = port_side.D(pt["x"], layers["D_real"])
        _, fake_logits = port_side.D(fake, layers["D_fake"])
        bce = torch.nn.functional.binary_cross_entropy_with_logits
        torch_values = {
            "loss_D_real": bce(real_logits, torch.ones_like(real_logits)).item(),
            "loss_D_fake": bce(fake_logits, torch.zeros_like(fake_logits)).item(),
            "loss_D": port.discriminator_loss(real_logits, fake_logits).item(),
            "loss_G": port.generator_loss(fake_logits).item(),
        }
    for name, tf_value in tf_values.items():
        if name not in torch_values:
            net, layer = name.split("/")
            torch_values[name] = _as_tf_layout(layers[net][layer], tf_value.shape)
    return tf_values, torch_values


def compare_forward(reference_side, port_side, batch):
    """Max |TF - PyTorch| of every layer of G, D(real) and D(fake), and of the four losses."""
    tf_values, torch_values = layer_values(reference_side, port_side, batch)
    return {
        f"forward {name}": float(np.max(np.abs(np.float64(tf_value) - torch_values[name])))
        for name, tf_value in tf_values.items()
    }


CASE = case.Case(
    name="mnist_dcgan",
    graph=lambda dtype: reference.build_graph(reference.HParams(), dtype=dtype),
    modules=lambda: {"generator": port.Generator(), "discriminator": port.Discriminator()},
    name_map=port.NAME_MAP,
    buffer_map=port.BUFFER_MAP,
    batches=make_batches,
    tf_step=lambda sess, g, b: reference.train_step(sess, g, b["x"], b["z"]),
    torch_step=torch_step,
    default_steps=20,  # `python -m crosscheck mnist_dcgan` runs 20 MNIST steps unless --steps says.
    compare_forward=compare_forward,
    gradient_free=("discriminator/conv2d_1/bias",),
    tol_before_update_float32=TOL_FORWARD_FLOAT32,
)
