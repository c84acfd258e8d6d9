"""The toy GAN's PyTorch port: nn.Linear(1, 1) for G and for D, the same losses and Adam.

Source: tests/toy_gan/reference.py.

Run:
    tests/test_seventh_model.py calls `main` as the comparison report does.

Deviations: none.
"""

import types

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from harness import hooks as run_hooks
from ports import layouts
from toy_gan import reference

MODEL = reference.MODEL
HParams = reference.HParams  # The reference's defaults, by construction.
NAME_MAP = {
    "generator/g_w": ("generator.fc.weight", "dense"),
    "generator/g_b": ("generator.fc.bias", "same"),
    "discriminator/d_w": ("discriminator.fc.weight", "dense"),
    "discriminator/d_b": ("discriminator.fc.bias", "same"),
}


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(1, 1)

    def forward(self, z):
        return self.fc(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(1, 1)

    def forward(self, x):
        return self.fc(x)


def train_step(G, D, opt_D, opt_G, x, z):
    """One D step, then one G step on the same z; returns (loss_D, loss_G) as floats."""
    real, fake = D(x), D(G(z))
    loss_D = F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
    loss_D = loss_D + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    fake = D(G(z))
    loss_G = F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    return loss_D.item(), loss_G.item()


def trainable_values(G, D):
    """{TF variable name: array in TF's layout} of the port's weights, through NAME_MAP."""
    nets = {"generator": G, "discriminator": D}
    return {
        name: layouts.to_tf(layout, layouts.parameter(nets, path).detach().numpy())
        for name, (path, layout) in NAME_MAP.items()
    }


def train(hp, run, hooks=None):
    """The reference's loop in PyTorch (`fused_adam` and `fast` both mean fused Adam here)."""
    hooks, out, seed = hooks or run_hooks.Hooks(), run.out, run.seed
    fused_adam, fast = getattr(run, "fused_adam", False), getattr(run, "fast", False)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    G, D = Generator(), Discriminator()
    fused = {"fused": True} if fused_adam or fast else {}
    opt_D = torch.optim.Adam(D.parameters(), lr=hp.lr, **fused)
    opt_G = torch.optim.Adam(G.parameters(), lr=hp.lr, **fused)
    hooks.attach(types.SimpleNamespace(trainable_values=lambda: trainable_values(G, D)))
    for step in hooks.steps(hp.steps):
        x = torch.from_numpy(rng.normal(3.0, 0.5, (hp.batch_size, 1)).astype(np.float32))
        z = torch.from_numpy(rng.normal(size=(hp.batch_size, 1)).astype(np.float32))
        loss_D, loss_G = train_step(G, D, opt_D, opt_G, x, z)
        hooks.step(loss_D=loss_D, loss_G=loss_G)
        out.record(step + 1, ("loss_D", "loss_G"), step=step + 1, loss_D=loss_D, loss_G=loss_G)
        if (step + 1) % 10 == 0:
            with torch.no_grad():
                samples = G(torch.from_numpy(rng.normal(size=(256, 1)).astype(np.float32)))
            reference.picture(out, samples.numpy(), step + 1)
    hooks.end()


def main(argv=None):
    return reference.command(argv, "pytorch", train)
