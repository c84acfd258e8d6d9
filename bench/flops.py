"""FLOPs of one training iteration (one D step + one G step) of each model, from its layer shapes.

Source:
    The archive's own: the compute floor is FLOPs per iteration, counted from the layer shapes,
    over the best float32 matmul throughput measured on the same machine. The layer shapes are
    the originals' (docs/originals.md), as built by tf1_reference/ and ports/.

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

import dataclasses


@dataclasses.dataclass(frozen=True)
class Dense:
    n_in: int  # Input features.
    n_out: int  # Output features.

    def flops(self, batch):
        return 2 * batch * self.n_in * self.n_out


@dataclasses.dataclass(frozen=True)
class Conv:
    c_in: int  # Input channels.
    c_out: int  # Output channels.
    kernel: int  # Square kernel side.
    h_out: int  # Output height (= width): the positions the kernel visits.

    def flops(self, batch):
        return 2 * batch * self.h_out * self.h_out * self.kernel**2 * self.c_in * self.c_out


@dataclasses.dataclass(frozen=True)
class ConvTranspose:
    c_in: int  # Input channels.
    c_out: int  # Output channels.
    kernel: int  # Square kernel side.
    h_in: int  # Input height (= width): each input pixel scatters one kernel.

    def flops(self, batch):
        return 2 * batch * self.h_in * self.h_in * self.kernel**2 * self.c_in * self.c_out


@dataclasses.dataclass(frozen=True)
class Architecture:
    batch: int  # Examples per D step and per G step (the original's batch size).
    generator: tuple  # G's layers, input first.
    discriminator: tuple  # D's layers, input first.


# The originals' layer shapes at their default settings.
ARCHITECTURES = {
    # xyang35: G z (2) -> 2; D 2 -> 5 -> 3 -> 1; batch 4.
    "gaussian_gan": Architecture(4, (Dense(2, 2),), (Dense(2, 5), Dense(5, 3), Dense(3, 1))),
    # xyang35 CGAN: G z W1 + x W2 (two 2 x 2 products); D on [x1, x] 4 -> 6 -> 4 -> 1; batch 4.
    "gaussian_cgan": Architecture(
        4, (Dense(2, 2), Dense(2, 2)), (Dense(4, 6), Dense(6, 4), Dense(4, 1))
    ),
    # See_GANs: G 256 -> 128 -> 128 -> 2; D 2 -> 128 -> 128 -> 1; batch 512.
    "ring_gan": Architecture(
        512,
        (Dense(256, 128), Dense(128, 128), Dense(128, 2)),
        (Dense(2, 128), Dense(128, 128), Dense(128, 1)),
    ),
    # wiseodd: G 100 -> 128 -> 784; D 784 -> 128 -> 1; batch 128.
    "mnist_vanilla_gan": Architecture(
        128, (Dense(100, 128), Dense(128, 784)), (Dense(784, 128), Dense(128, 1))
    ),
    # lyeoni / seed 004: G 100 -> 256 -> 512 -> 1024 -> 784; D 784 -> 1024 -> 512 -> 256 -> 1.
    "mnist_mlp_gan": Architecture(
        128,
        (Dense(100, 256), Dense(256, 512), Dense(512, 1024), Dense(1024, 784)),
        (Dense(784, 1024), Dense(1024, 512), Dense(512, 256), Dense(256, 1)),
    ),
    # Seed 002: G dense 100 -> 128 -> 7*7*128, conv2d_transpose 5x5 /2 to 64 x 14 x 14, then to
    # 1 x 28 x 28; D conv2d 5x5 /2 to 64 x 14 x 14, to 128 x 7 x 7, dense 6272 -> 1; batch 64.
    "mnist_dcgan": Architecture(
        64,
        (
            Dense(100, 128),
            Dense(128, 7 * 7 * 128),
            ConvTranspose(128, 64, 5, 7),
            ConvTranspose(64, 1, 5, 14),
        ),
        (Conv(1, 64, 5, 14), Conv(64, 128, 5, 7), Dense(7 * 7 * 128, 1)),
    ),
}


def forward_flops(layers, batch):
    """Sum of the layers' forward FLOPs at `batch`."""
    return sum(layer.flops(batch) for layer in layers)


def iteration_flops(model):
    """FLOPs of one D step + one G step: 4 F_G - F_G0 + 8 F_D - 2 F_D0 (module docstring)."""
    if model not in ARCHITECTURES:
        raise ValueError(f"no layer shapes for {model!r}; known: {', '.join(ARCHITECTURES)}.")
    arch = ARCHITECTURES[model]
    f_g, f_d = (
        forward_flops(arch.generator, arch.batch),
        forward_flops(arch.discriminator, arch.batch),
    )
    f_g0, f_d0 = arch.generator[0].flops(arch.batch), arch.discriminator[0].flops(arch.batch)
    return 4 * f_g - f_g0 + 8 * f_d - 2 * f_d0


def floor_ms(model, gflops):
    """The compute floor in ms per iteration at `gflops` GFLOP/s of float32 matmul."""
    return iteration_flops(model) / (gflops * 1e9) * 1e3
