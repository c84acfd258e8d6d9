"""`--fast` for the ring GAN's port (seed 001): its own float32 noise, both steps compiled as one.

Source: the archive's own; the steps are ports/ring_gan.py's `d_step` and `g_step`, written as a
    pure function of the weights for ports/fast/whole_step.py.

Run:
    python -m ports.ring_gan --num-epochs 10000 --fast     # the first step compiles for seconds

Deviations: (from the port's default run)
- `--fast` (opt-in; recorded in hparams.json, and a run resumes only in the mode it was made
  in): the D step and the G step, Adam included, compiled as one function
  (`torch.compile(fullgraph=True)`, ports/fast/whole_step.py; the first step compiles for
  seconds), and the training z drawn in float32 from NumPy's PCG64 generator seeded with --seed
  (`FastNoise`, kept in the checkpoints) instead of the global generator's float64
  `np.random.normal`. It changes rounding and random streams, not the model or its
  distributions; docs/speed.md has its speed.
"""

import numpy as np
import torch

from harness import checkpoint_format
from ports.fast import whole_step


class FastNoise:
    """--fast's training z: N(0, 1) in float32 from NumPy's PCG64 generator (its ziggurat),
    seeded with --seed, in place of the global generator's float64 `np.random.normal`. The
    same law, another stream; a checkpoint keeps the generator's state (`state()`,
    `set_state()`)."""

    def __init__(self, seed):
        self.rng = np.random.Generator(np.random.PCG64(seed))

    def normal(self, shape):
        return self.rng.standard_normal(shape, dtype=np.float32)

    def state(self):
        return checkpoint_format.generator_state(self.rng)

    def set_state(self, state):
        checkpoint_format.set_generator_state(self.rng, state)


class Iteration:
    """One "epoch" of See_GANs after its real batch: z for the D step, then z for the G step,
    from `FastNoise`, and both steps as one compiled function. `optimizers` is (opt_D, opt_G),
    `losses` the port's (discriminator_loss, generator_loss); a checkpoint keeps the noise
    generator's state (`state()`, `set_state()`)."""

    def __init__(self, G, D, optimizers, *, losses, hp, seed, device):
        discriminator_loss, generator_loss = losses

        def D_loss(D, G, x, z_d, z_g):
            return discriminator_loss(D(x), D(G(z_d)))

        def G_loss(D, G, x, z_d, z_g):
            return generator_loss(D(G(z_g)), hp.g_loss)

        self.step = whole_step.WholeStep(G, D, *optimizers, D_loss, G_loss)
        self.noise, self.shape, self.device = FastNoise(seed), [hp.batch_size, hp.num_z], device

    def __call__(self, x):
        """Both steps on the real batch `x`; returns (d_loss, g_loss), 0-d tensors."""
        z_d, z_g = (self.noise.normal(self.shape) for _ in range(2))  # z_d first, as the original.
        z_d, z_g = (torch.as_tensor(z, device=self.device) for z in (z_d, z_g))
        return self.step(x, z_d, z_g)

    def state(self):
        return self.noise.state()

    def set_state(self, state):
        self.noise.set_state(state)
