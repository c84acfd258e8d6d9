"""The PyTorch port of gan_tf1.py: the same networks, losses and step, in current PyTorch.

Written as an engineer porting gan_tf1.py would write it; case.py cross-checks the two
(`python -m crosscheck --case examples/mnist_gan_2017/case.py:CASE`).

Run:
    python examples/mnist_gan_2017/gan_pytorch.py --iterations 2000   # a short training run

Deviations: none (a port of the archive's own example). Dropout is `F.dropout(p=0.5)`, TF's
keep_prob 0.5; `nn.Linear` keeps its weight as [out, in], the transpose of TF's [in, out].
"""

import argparse

import torch
import torch.nn.functional as F
from torch import nn

Z_dim = 100  # gan_tf1.py: Z_dim.
h_dim = 128  # gan_tf1.py: h_dim.
keep_prob = 0.5  # gan_tf1.py: feed_dict={keep_prob: 0.5} in both steps.


class Generator(nn.Module):
    """z (B, 100) -> 128 ReLU -> 784 sigmoid."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(Z_dim, h_dim), nn.Linear(h_dim, 784)

    def forward(self, z):
        return torch.sigmoid(self.fc2(torch.relu(self.fc1(z))))


class Discriminator(nn.Module):
    """x (B, 784) -> 128 ReLU -> dropout -> 1 logit."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(784, h_dim), nn.Linear(h_dim, 1)

    def forward(self, x):
        return self.fc2(F.dropout(torch.relu(self.fc1(x)), p=1 - keep_prob))


def train_step(G, D, D_solver, G_solver, X_mb, Z_D, Z_G):
    """One D step on (X_mb, Z_D), then one G step on Z_G; returns the two losses.

    D_loss = BCE(D(x), 1) + BCE(D(G(z)), 0) and G_loss = BCE(D(G(z)), 1), on logits.
    """
    bce = F.binary_cross_entropy_with_logits
    D_solver.zero_grad()
    real, fake = D(X_mb), D(G(Z_D).detach())
    D_loss = bce(real, torch.ones_like(real)) + bce(fake, torch.zeros_like(fake))
    D_loss.backward()
    D_solver.step()
    G_solver.zero_grad()
    fake = D(G(Z_G))
    G_loss = bce(fake, torch.ones_like(fake))
    G_loss.backward()
    G_solver.step()
    return D_loss.item(), G_loss.item()


def optimizers(G, D):
    """Adam(2e-4, betas=(0.5, 0.999)) for each network, as gan_tf1.py's two AdamOptimizers."""
    return (
        torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999)),
        torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999)),
    )


def main():
    import numpy as np

    from inputs import mnist

    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    train = mnist.read_data_sets(download=False).train
    G, D = Generator(), Discriminator()
    D_solver, G_solver = optimizers(G, D)
    for it in range(args.iterations):
        X_mb = torch.as_tensor(train.next_batch(args.batch_size)[0], dtype=torch.float32)
        Z_D, Z_G = (torch.rand(args.batch_size, Z_dim) * 2 - 1 for _ in range(2))
        D_loss, G_loss = train_step(G, D, D_solver, G_solver, X_mb, Z_D, Z_G)
        if it % 1000 == 0:
            print(f"Iter: {it}\nD loss: {D_loss:.4}\nG_loss: {G_loss:.4}\n")
    np.save("G_sample.npy", G(torch.rand(16, Z_dim) * 2 - 1).detach().numpy())


if __name__ == "__main__":
    main()
