"""FLOPs of one training iteration (one D step + one G step) of each model, from its layer shapes.

Source:
    The archive's own: the compute floor is FLOPs per iteration, counted from the layer shapes,
    over the best float32 matmul throughput measured on the same machine. The layer shapes are
    the originals' (docs/originals.md), as built by tf1_reference/ and ports/, and each model's
    registry row records them (`layers`, harness/registry/<model>.py).

Run:
    python -c "from bench import flops; print(flops.iteration_flops('mnist_mlp_gan'))"

Deviations:
    - None: a project tool with no original.

Only matrix products count: a dense layer is 2 B n_in n_out FLOPs forward (one multiply and
one add per weight per example), a convolution 2 B H_out W_out k^2 C_in C_out, a transposed
convolution 2 B H_in W_in k^2 C_in C_out (the same products run backwards). Activations,
losses, BatchNorm and Adam are elementwise and left out, so the floor is a lower bound.

With F_G and F_D the forward FLOPs of G and D at the batch size, and F_G0, F_D0 those of their
first layers, one iteration is, as the TF graphs compute it:

    D step: G forward (F_G), D forward on real and fake (2 F_D), D's weight gradients for both
            (2 F_D), D's input gradients for both except at the first layer, whose input needs
            none (2 (F_D - F_D0)).
    G step: G forward (F_G), D forward (F_D), D's input gradients all the way down to G (F_D),
            G's weight gradients (F_G), G's input gradients except the first layer (F_G - F_G0).

    total = 4 F_G - F_G0 + 8 F_D - 2 F_D0

A backward pass costs two forwards (weight and input gradients), hence "3x forward" per
trained network. The ports that reuse the D step's G(z) in the G step (gaussian_gan,
mnist_dcgan) skip one G forward; the floor still counts it, as the reference runs it.
"""

from harness import registry


def layer_flops(layer, batch):
    """Forward FLOPs at `batch` of one layer (a Dense, Conv or ConvTranspose of the registry)."""
    match layer:
        case registry.Dense(n_in, n_out):
            return 2 * batch * n_in * n_out
        case registry.Conv(c_in, c_out, kernel, h_out):
            return 2 * batch * h_out * h_out * kernel**2 * c_in * c_out
        case registry.ConvTranspose(c_in, c_out, kernel, h_in):
            return 2 * batch * h_in * h_in * kernel**2 * c_in * c_out
    raise TypeError(f"no FLOP count for a {type(layer).__name__} layer.")


def forward_flops(layers, batch):
    """Sum of the layers' forward FLOPs at `batch`."""
    return sum(layer_flops(layer, batch) for layer in layers)


def iteration_flops(model):
    """FLOPs of one D step + one G step: 4 F_G - F_G0 + 8 F_D - 2 F_D0 (module docstring)."""
    layers = registry.check(model).layers
    f_g = forward_flops(layers.generator, layers.batch)
    f_d = forward_flops(layers.discriminator, layers.batch)
    f_g0 = layer_flops(layers.generator[0], layers.batch)
    f_d0 = layer_flops(layers.discriminator[0], layers.batch)
    return 4 * f_g - f_g0 + 8 * f_d - 2 * f_d0


def floor_ms(model, gflops):
    """The compute floor in ms per iteration at `gflops` GFLOP/s of float32 matmul."""
    return iteration_flops(model) / (gflops * 1e9) * 1e3
