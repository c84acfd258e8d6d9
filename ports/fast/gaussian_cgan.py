"""`--fast` for the conditional Gaussian GAN's port (seed 000): its two steps compiled as one.

Source: the archive's own; the step is ports/gaussian_cgan.py's `train_step`, written as a pure
    function of the weights for ports/fast/whole_step.py.

Run:
    python -m ports.gaussian_cgan --fast     # the first step compiles for seconds

Deviations: (from the port's default run)
- `--fast` (opt-in; recorded in hparams.json, and a run resumes only in the mode it was made
  in): the D step and the G step, Adam included, compiled as one function
  (`torch.compile(fullgraph=True)`, ports/fast/whole_step.py; the first step compiles for
  seconds). It changes rounding, not the model or its distributions; docs/speed.md has its
  speed.
"""

import torch

from ports.fast import whole_step as compiled


def whole_step(G, D, optimizers, *, losses):
    """`train_step` compiled as one function of (x_batch, x1_batch, z_batch) that returns
    (loss_D, loss_G) as floats; `optimizers` is (opt_D, opt_G), `losses` the port's
    (discriminator_loss, generator_loss)."""
    discriminator_loss, generator_loss = losses

    def D_loss(D, G, x_batch, x1_batch, z_batch):
        return discriminator_loss(D(x1_batch, x_batch), D(G(z_batch, x_batch), x_batch))

    def G_loss(D, G, x_batch, x1_batch, z_batch):
        return generator_loss(D(G(z_batch, x_batch), x_batch))

    step = compiled.WholeStep(G, D, *optimizers, D_loss, G_loss)
    return lambda *batch: torch.stack(step(*batch)).tolist()
