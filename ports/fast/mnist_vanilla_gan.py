"""`--fast` for the vanilla GAN's port (seed 003): both steps compiled as one, D called once.

Source: the archive's own; the step is ports/mnist_vanilla_gan.py's `train_step`, written as a
    pure function of the weights for ports/fast/whole_step.py.

Run:
    python -m ports.mnist_vanilla_gan --iterations 20001 --fast   # the first step compiles

Deviations: (from the port's default run)
- `--fast` (opt-in; recorded in hparams.json, and a run resumes only in the mode it was made
  in): the D step and the G step, Adam included, compiled as one function
  (`torch.compile(fullgraph=True)`, ports/fast/whole_step.py; the first step compiles for
  seconds), with D seeing the real and the generated batch as one batch of twice the rows (D
  has no batch statistics, so each half's logits are the same sums; fewer, larger products).
  It changes rounding, not the model or its distributions; docs/speed.md has its speed.
"""

import torch

from ports.fast import whole_step as compiled


def whole_step(G, D, optimizers, *, losses, loss="log"):
    """`train_step` compiled as one function of (X_mb, Z_D, Z_G) that returns (D_loss, G_loss)
    as floats; `optimizers` is (D_solver, G_solver), `losses` the port's (D_loss_of, G_loss_of)
    and `loss` their form (--loss)."""
    D_loss_of, G_loss_of = losses

    def D_loss(D, G, X_mb, Z_D, Z_G):
        # D on the real and the generated batch stacked, one call of 2B rows, split back in two.
        D_logit_real, D_logit_fake = D(torch.cat([X_mb, G(Z_D)])).split(len(X_mb))
        return D_loss_of(D_logit_real, D_logit_fake, loss)

    def G_loss(D, G, X_mb, Z_D, Z_G):
        return G_loss_of(D(G(Z_G)), loss)

    step = compiled.WholeStep(G, D, *optimizers, D_loss, G_loss)
    return lambda *batch: torch.stack(step(*batch)).tolist()
