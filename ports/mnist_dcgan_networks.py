"""The seed-002 DCGAN's networks in PyTorch, named and laid out to match the TF1 graph's variables.

NCHW modules that compute what `tf1_reference/mnist_dcgan.py`'s `generator` and `discriminator`
compute (with its stride fix): TF's SAME padding reproduced exactly (stride-2 conv: pad 1 before
and 2 after, not `padding=2`; stride-2 conv-transpose: the full output cropped from row and
column 1), BatchNorm with TF's momentum 0.99 and epsilon 1e-3 (`momentum=0.01, eps=1e-3`) always
in training mode, LeakyReLU 0.2, Glorot-uniform weights and zero biases; `NAME_MAP` and
`BUFFER_MAP` name the TF1 variable of every parameter and buffer. ports/mnist_dcgan.py trains
them, as TF-GAN's examples keep `networks.py` beside their training loop.

Source: the seed text (seed 002's text); docs/originals.md section 3 and 6.3;
    docs/anchors.md pitfalls 3.2-3.5.

Run:
    python -m ports.mnist_dcgan train --epochs 1 --max-steps 20     # trains them (~20 s)

Deviations: (from the TF1 reference's networks)
- The dense layer after D's flatten and the one before G's reshape see NCHW (c, h, w) order
  where TF sees (h, w, c); `NAME_MAP` permutes their rows, columns and bias accordingly.
- PyTorch updates BatchNorm's running statistics in every training-mode forward (running_var
  with Bessel's correction); TF's are never updated here. Neither is ever used: D always
  normalises with the batch's own statistics, as the seed's `training=True`.
- D's `tf.maximum(x * 0.2, x)` is `F.leaky_relu(x, negative_slope=0.2)`: the same values and
  gradients bit for bit where 0.2x != x, and at x = 0 TF's gradient, 0.2 (TF's Maximum gives a
  tie to its first argument; `torch.maximum`, which the port used before, splits it, 0.6). At
  x = +inf, a tie too, TF's gradient is 0.2 and leaky_relu's 1; a run with finite losses never
  gets there (an infinite activation makes the loss infinite or NaN). The
  models start with zero biases, so in a run's first step about half of conv1's outputs (black
  patches) are exact ties: there D's first bias now gets TF's gradient, and a run from a given
  seed differs from the earlier port's from step 1 on (tests/test_mnist_dcgan.py).
- Added for the cross-check: `Generator.forward` and `Discriminator.forward` take `layers=`
  (a dict that receives each layer's output).
"""

import numpy as np
import torch
from torch import nn

# tf.nn.leaky_relu's alpha is a float32 op attribute, so even a float64 graph multiplies by
# float32(0.2) = 0.20000000298...; D's max(0.2x, x) uses 0.2 in the graph's own dtype.
LEAKY_SLOPE = float(np.float32(0.2))
# D's `tf.maximum(x * 0.2, x)` in the graph's own dtype, as `F.leaky_relu(x, 0.2)`: the same
# values and gradients bit for bit, the ties at 0 included; only at +inf, which a run with
# finite losses never reaches, do the gradients differ (Deviations; tests/test_mnist_dcgan.py).
D_SLOPE = 0.2


def same_conv_transpose(layer, x):
    """TF conv2d_transpose 'SAME', stride s: the full (padding 0) output, cropped to s * in.

    The full output has (in - 1) s + k rows; TF keeps s * in of them, dropping k - s = 3 in all:
    (k - s) // 2 = 1 before and 2 after, so out[1 : 1 + s * in] (docs/anchors.md pitfall 3.3).
    """
    full = layer(x)
    size = x.shape[-1] * layer.stride[0]
    before = (full.shape[-1] - size) // 2
    return full[..., before : before + size, before : before + size]


class Generator(nn.Module):
    """z (B, 100) -> 128 -> 7*7*128 -> (B, 128, 7, 7) -> 64 x 14 x 14 -> 1 x 28 x 28, tanh."""

    def __init__(self, noise_dim=100):
        super().__init__()
        self.dense = nn.Linear(noise_dim, 128)
        self.dense_1 = nn.Linear(128, 7 * 7 * 128)
        self.conv2d_transpose = nn.ConvTranspose2d(128, 64, kernel_size=5, stride=2)
        self.conv2d_transpose_1 = nn.ConvTranspose2d(64, 1, kernel_size=5, stride=2)

    def forward(self, noise, layers=None):
        leaky = nn.functional.leaky_relu
        fc1 = leaky(self.dense(noise), negative_slope=LEAKY_SLOPE)
        fc2 = leaky(self.dense_1(fc1), negative_slope=LEAKY_SLOPE)
        x = fc2.view(-1, 128, 7, 7)  # NCHW: NAME_MAP orders dense_1's outputs as (c, h, w).
        deconv1 = leaky(same_conv_transpose(self.conv2d_transpose, x), negative_slope=LEAKY_SLOPE)
        deconv2 = same_conv_transpose(self.conv2d_transpose_1, deconv1)
        out = torch.tanh(deconv2)
        if layers is not None:
            layers.update(fc1=fc1, fc2=fc2, x=x, deconv1=deconv1, deconv2=deconv2, out=out)
        return out


class Discriminator(nn.Module):
    """(B, 1, 28, 28) -> 64 x 14 x 14 -> 128 x 7 x 7, BatchNorm -> flatten -> 1 logit."""

    def __init__(self):
        super().__init__()
        self.conv2d = nn.Conv2d(1, 64, kernel_size=5, stride=2)
        self.conv2d_1 = nn.Conv2d(64, 128, kernel_size=5, stride=2)
        # TF momentum 0.99 (weight on the old value) is PyTorch momentum 0.01.
        self.batch_normalization = nn.BatchNorm2d(128, momentum=0.01, eps=1e-3)
        self.dense = nn.Linear(7 * 7 * 128, 1)

    def forward(self, inputs, layers=None):
        """Returns (sigmoid(logits), logits), as the seed's discriminator."""
        # TF 'SAME', k 5, stride 2, even size: 3 padding rows, 1 before and 2 after.
        conv1 = self.conv2d(nn.functional.pad(inputs, (1, 2, 1, 2)))
        lrelu1 = nn.functional.leaky_relu(conv1, negative_slope=D_SLOPE)
        conv2 = self.conv2d_1(nn.functional.pad(lrelu1, (1, 2, 1, 2)))
        bn = self.batch_normalization
        # Always batch statistics, as the seed's training=True, even after .eval().
        norm2 = nn.functional.batch_norm(
            conv2,
            bn.running_mean,
            bn.running_var,
            bn.weight,
            bn.bias,
            training=True,
            momentum=bn.momentum,
            eps=bn.eps,
        )
        lrelu2 = nn.functional.leaky_relu(norm2, negative_slope=D_SLOPE)
        flat = lrelu2.flatten(1)  # (c, h, w) order; NAME_MAP permutes dense's rows to match.
        logits = self.dense(flat)
        prob = torch.sigmoid(logits)
        if layers is not None:
            names = "conv1 lrelu1 conv2 norm2 lrelu2 flat logits prob".split()
            layers.update(zip(names, (conv1, lrelu1, conv2, norm2, lrelu2, flat, logits, prob)))
        return prob, logits


# TF1 variable -> (port parameter, layout); see ports/layouts.py.
NAME_MAP = {
    "generator/dense/kernel": ("generator.dense.weight", "dense"),
    "generator/dense/bias": ("generator.dense.bias", "same"),
    "generator/dense_1/kernel": ("generator.dense_1.weight", "dense_nhwc_out:7,7,128"),
    "generator/dense_1/bias": ("generator.dense_1.bias", "nhwc_vector:7,7,128"),
    "generator/conv2d_transpose/kernel": ("generator.conv2d_transpose.weight", "conv_transpose"),
    "generator/conv2d_transpose/bias": ("generator.conv2d_transpose.bias", "same"),
    "generator/conv2d_transpose_1/kernel": (
        "generator.conv2d_transpose_1.weight",
        "conv_transpose",
    ),
    "generator/conv2d_transpose_1/bias": ("generator.conv2d_transpose_1.bias", "same"),
    "discriminator/conv2d/kernel": ("discriminator.conv2d.weight", "conv"),
    "discriminator/conv2d/bias": ("discriminator.conv2d.bias", "same"),
    "discriminator/conv2d_1/kernel": ("discriminator.conv2d_1.weight", "conv"),
    "discriminator/conv2d_1/bias": ("discriminator.conv2d_1.bias", "same"),
    "discriminator/batch_normalization/gamma": ("discriminator.batch_normalization.weight", "same"),
    "discriminator/batch_normalization/beta": ("discriminator.batch_normalization.bias", "same"),
    "discriminator/dense/kernel": ("discriminator.dense.weight", "dense_nhwc_in:7,7,128"),
    "discriminator/dense/bias": ("discriminator.dense.bias", "same"),
}

# TF1's BatchNorm moving statistics -> the port's buffers, for checkpoints (convert/checkpoint.py).
# Neither framework reads them here (D always normalises with batch statistics).
BUFFER_MAP = {
    "discriminator/batch_normalization/moving_mean": (
        "discriminator.batch_normalization.running_mean",
        "same",
    ),
    "discriminator/batch_normalization/moving_variance": (
        "discriminator.batch_normalization.running_var",
        "same",
    ),
}


def initialize(modules):
    """tf.layers defaults: Glorot-uniform kernels, zero biases; BatchNorm gamma 1, beta 0."""
    for module in modules:
        for layer in module.modules():
            if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.xavier_uniform_(layer.weight)  # Same fans as TF for HWIO and OIHW.
                nn.init.zeros_(layer.bias)
