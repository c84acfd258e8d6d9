"""`--fast` for seed 004's MLP GAN port: its own dropout masks, oneDNN's products, one D call.

Source: the archive's own; the step is ports/mnist_mlp_gan.py's `train_step` (lyeoni's D_train
    and G_train) with D's real and generated batches in one call.

Run:
    python -m ports.mnist_mlp_gan --fast     # the seed's 10 epochs

Deviations: (from the port's default run)
- `--fast` (opt-in; recorded in hparams.json, and a run resumes only in the mode it was made
  in): `torch.optim.Adam(fused=True)`, as `--fused-adam`; on a CPU every linear layer's three
  products through oneDNN instead of MKL (ports/fast/onednn.py); and D's nine dropout masks of a
  step drawn in one call of NumPy's PCG64 generator seeded with --seed (`FastMasks`, kept in
  the checkpoints) instead of nine `bernoulli_` calls on torch's: the same Bernoulli(0.7) law,
  another stream, so torch's generator then draws only z and the shuffles; and D's step sees
  the real and the generated batch as one batch of 256 rows (no batch statistics in D, so
  each half's outputs are the same sums; fewer, larger products). It changes rounding
  and random streams, not the model or its distributions; docs/speed.md has its speed and its
  sample quality beside the default's.
"""

import math

import numpy as np
import torch
from torch import nn

from harness import checkpoint_format
from ports import frozen
from ports.fast import onednn


class Step:
    """--fast's training step of a port run: `joint_step` with `FastMasks`, after routing G's
    and D's linear layers through oneDNN on a CPU. `optimizers` is (D_optimizer, G_optimizer);
    a checkpoint keeps the masks' generator (`state()`, `set_state()`)."""

    def __init__(self, G, D, optimizers, *, hp, seed, device):
        widths = [fc.out_features for fc in (D.fc1, D.fc2, D.fc3)]
        self.masks = FastMasks(seed, hp.bs, widths, hp.dropout)
        self.G, self.D, self.optimizers, self.device = G, D, optimizers, device
        if torch.device(device).type == "cpu":
            onednn.use_onednn(G, D)  # oneDNN's GEMMs in place of MKL's.

    def __call__(self, x):
        """One D step and one G step on the real batch `x`; returns (D_loss, G_loss)."""
        masks = self.masks.draw(self.device)
        return joint_step(self.G, self.D, self.optimizers, x, masks=masks)

    def state(self):
        return self.masks.state()

    def set_state(self, state):
        self.masks.set_state(state)


def joint_step(G, D, optimizers, x, *, masks, z_D=None, z_G=None):
    """The port's `train_step` with D's real and generated batches as one batch of 2B rows, the
    masks of `FastMasks.draw` (`masks["D"]`: real's rows, then fake's; `masks["G"]`), each loss
    the mean over its half: the same sums, fewer and larger products, rounded differently.
    `optimizers` is (D_optimizer, G_optimizer); z_D, z_G: given, or drawn as the port draws
    them. Returns (D_loss, G_loss) as floats."""
    D_optimizer, G_optimizer = optimizers
    criterion = nn.BCELoss()

    def noise(z):
        return torch.randn(len(x), G.fc1.in_features).to(x.device) if z is None else z

    D.zero_grad()
    with torch.no_grad():
        fake = G(noise(z_D))
    D_real, D_fake = D(torch.cat([x, fake]), masks["D"]).split(len(x))
    D_loss = criterion(D_real, torch.ones_like(D_real)) + criterion(
        D_fake, torch.zeros_like(D_fake)
    )
    D_loss.backward()
    D_optimizer.step()

    G.zero_grad()
    z_G = noise(z_G)
    with frozen(D):  # As the port's G step: no gradient for D's weights.
        D_output = D(G(z_G), masks["G"])
        G_loss = criterion(D_output, torch.ones_like(D_output))
        G_loss.backward()
    G_optimizer.step()
    return D_loss.item(), G_loss.item()


class FastMasks:
    """--fast's dropout masks: all nine of a step (D's three layers in each of its three calls)
    in one draw of NumPy's PCG64 generator, seeded with --seed, instead of nine `bernoulli_`
    calls on torch's generator. A unit is kept when U[0, 1) >= p and then scaled by
    1 / (1 - p), as F.dropout's mask: the same Bernoulli(1 - p) law (to float32's 2^-24 grid),
    another stream. A checkpoint keeps the generator's state (`state()`, `set_state()`)."""

    def __init__(self, seed, batch, widths, p):
        if not 0 <= p < 1:
            raise ValueError(f"dropout must be at least 0 and below 1, not {p}.")
        self.rng = np.random.Generator(np.random.PCG64(seed))
        self.shape, self.widths, self.p = (3, batch, sum(widths)), widths, p
        self.scale = np.float32(1.0) / np.float32(1.0 - p)  # F.dropout's noise.div_(1 - p).
        # NumPy's float32 U from a 32-bit word w is (w >> 8) 2^-24, so U >= float32(p) exactly
        # when w >= ceil(float32(p) 2^24) << 8: one comparison on the raw words, no floats.
        self.threshold = np.uint32(math.ceil(float(np.float32(p)) * 2**24) << 8)

    def draw(self, device):
        """{"real", "fake", "G"}: three (batch, width) masks each, for the port's `train_step`;
        "D": real's and fake's stacked, three (2 batch, width) masks for `joint_step`.

        The 32-bit words are PCG64's 64-bit outputs, low half first: for an even count the
        very words, and so the very masks, of `rng.random(shape, dtype=np.float32) >= p`."""
        count = int(np.prod(self.shape))
        words = self.rng.bit_generator.random_raw((count + 1) // 2).view(np.uint32)[:count]
        keep = words.reshape(self.shape) >= self.threshold
        masks = torch.from_numpy(keep * self.scale).to(device)
        edges = np.cumsum((0,) + tuple(self.widths))

        def layers(rows):  # One call's (rows, sum(widths)) masks -> one per layer.
            return [rows[:, a:b] for a, b in zip(edges[:-1], edges[1:])]

        drawn = {call: layers(masks[i]) for i, call in enumerate(("real", "fake", "G"))}
        drawn["D"] = layers(masks[:2].reshape(-1, masks.shape[-1]))  # Real's rows, then fake's.
        return drawn

    def state(self):
        return checkpoint_format.generator_state(self.rng)

    def set_state(self, state):
        checkpoint_format.set_generator_state(self.rng, state)
