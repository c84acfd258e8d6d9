"""PyTorch port of xyang35's TF1 conditional Gaussian GAN (seed 000), cross-checked against it.

Same function as `tf1_reference/gaussian_cgan.py`: G(z, x) = z W1 + x W2 + b, a 2+2-6-4-1 tanh
D with one logit, `BCEWithLogitsLoss`, Glorot-uniform weights and zero biases, Adam 0.05 / 0.01,
the same data, loop, prints and pictures. The TF G step's dummy zero target batch has no twin
here: it only gave the labels their shape. Data, batch order and noise come from NumPy's
global generator, as in the reference. xyang35 wrote no PyTorch CGAN.

Source: xyang35/Introduction-to-GAN@59ab552 CGAN-tensorflow.ipynb; originals.md 1.1 and 1.4.

Run:
    python -m ports.gaussian_cgan               # the TF graph's twin (~5 s)
    python -m ports.gaussian_cgan --epochs 1    # a smoke run (~2 s)

Deviations: (from the TF1 reference)
- Initial weights come from torch's generator (`torch.manual_seed(seed)`), not TF's.
- `torch.optim.Adam` places epsilon after the bias correction (TF1 before it): weights differ
  by about 1e-5 after one step; `python -m crosscheck gaussian_cgan` measures it.
- As the reference: seeded, headless PNG per epoch, z rows = real batch rows, setup printed
  first, NaN losses stop the run, generated marginal mean and covariance in metrics.jsonl.
- Speed: D's parameters are frozen in the G step, so D's weight gradients, which
  TF's G step never computes, are skipped (no number changes). `--fused-adam` swaps in
  `torch.optim.Adam(fused=True)`: faster, and about 1 ulp per step off the default's rounding.
- The default Adam is ports/flat_adam.py's `FlatAdam`, not `torch.optim.Adam` itself: torch's
  CPU arithmetic, op for op, run once over one flat buffer of every moment instead of once per
  tensor, which saves per-call overhead. Weights, moments and checkpoints come out as
  torch.optim.Adam's, bit for bit (tests/test_bench.py compares the two over 120 steps and
  across a resume); on a GPU it runs torch.optim.Adam's own step.
- Subnormal float32 numbers (nonzero, below 2^-126): TensorFlow's CPU kernels flush them to
  zero, inputs and results, and PyTorch keeps them (`torch.set_flush_denormal(False)`, its
  default). This port met none in `python -m report.denormals`'s run (one epoch, 250 steps: 0 of
  396,695 float32 results, weights, gradients and Adam moments included, on an Intel Xeon with
  AVX-512 and AMX, one thread), so there TensorFlow's flush changes nothing
  (docs/crosscheck.md).
- Added: a checkpoint every `--checkpoint-every` steps, at the end and on Ctrl-C/SIGTERM
  (`<out>/checkpoints/`), `--resume RUN_DIR` (on a CPU the resumed run prints and writes what
  the uninterrupted one does), `--on-nan stop|continue`, TensorBoard event files in the run
  folder (torch.utils.tensorboard.SummaryWriter) and a tqdm progress bar on a terminal. None
  changes a number.
"""

import numpy as np
import torch
from torch import nn

from figures import scatter
from harness import command
from inputs import gaussian
from models.gaussian_cgan import HParams  # The hyper-parameters, shared with the reference.
from ports import backend, frozen
from ports.fast import gaussian_cgan as fast
from ports.gaussian_gan import accuracy_of, discriminator_loss, generator_loss

MODEL = "gaussian_cgan"


class Generator(nn.Module):
    """(z, x) (B, 2) each -> z W1 + x W2 + b (B, 2): xyang35's netG in scope `netG1`."""

    def __init__(self):
        super().__init__()
        self.noise = nn.Linear(2, 2, bias=False)
        self.condition = nn.Linear(2, 2, bias=False)
        self.bias = nn.Parameter(torch.zeros(2))

    def forward(self, z, x):
        return self.noise(z) + self.condition(x) + self.bias


class Discriminator(nn.Module):
    """(x1, x) -> tanh(x W12 + x1 W11 + b1) (6) -> tanh (4) -> 1 logit (B, 1)."""

    def __init__(self):
        super().__init__()
        self.target = nn.Linear(2, 6, bias=False)
        self.condition = nn.Linear(2, 6, bias=False)
        self.bias1 = nn.Parameter(torch.zeros(6))
        self.layer2 = nn.Linear(6, 4)
        self.layer3 = nn.Linear(4, 1)

    def forward(self, x1, x):
        # Summed in the TF graph's order, (x W12 + x1 W11) + b1: in float64 the cross-check
        # then sees rounding alone, which this model's training amplifies fast.
        layer1 = torch.tanh(self.condition(x) + self.target(x1) + self.bias1)
        return self.layer3(torch.tanh(self.layer2(layer1)))


# TF1 variable -> (port parameter, layout); see ports/layouts.py.
NAME_MAP = {
    "netG1/g_W1": ("generator.noise.weight", "dense"),
    "netG1/g_W2": ("generator.condition.weight", "dense"),
    "netG1/g_b": ("generator.bias", "same"),
    "discriminator/d_W11": ("discriminator.target.weight", "dense"),
    "discriminator/d_W12": ("discriminator.condition.weight", "dense"),
    "discriminator/d_b1": ("discriminator.bias1", "same"),
    "discriminator/d_W2": ("discriminator.layer2.weight", "dense"),
    "discriminator/d_b2": ("discriminator.layer2.bias", "same"),
    "discriminator/d_W3": ("discriminator.layer3.weight", "dense"),
    "discriminator/d_b3": ("discriminator.layer3.bias", "same"),
}


def initialize(modules):
    """Glorot-uniform weights, zero biases: the TF graph's initializers."""
    for module in modules:
        for name, value in module.named_parameters():
            if value.dim() == 2:
                nn.init.xavier_uniform_(value)
            else:
                nn.init.zeros_(value)


def train_step(G, D, opt_D, opt_G, x_batch, x1_batch, z_batch):
    """One D step, then one G step on the same z and conditions; returns the two losses."""
    fake = G(z_batch, x_batch)
    opt_D.zero_grad()
    loss_D = discriminator_loss(D(x1_batch, x_batch), D(fake.detach(), x_batch))
    loss_D.backward()
    opt_D.step()
    opt_G.zero_grad()
    # D frozen: no gradient for D's weights, which TF's G step never computes.
    with frozen(D):
        loss_G = generator_loss(D(fake, x_batch))
        loss_G.backward()
    opt_G.step()
    return loss_D.item(), loss_G.item()


def generated_moments(G):
    """Mean and covariance of the generated marginal, x following the condition's law."""
    W1, W2 = (w.detach().cpu().double().numpy().T for w in (G.noise.weight, G.condition.weight))
    x_mean, x_cov = gaussian.true_moments(gaussian.A2, gaussian.b2)
    b = G.bias.detach().cpu().double().numpy()
    return x_mean @ W2 + b, W1.T @ W1 + W2.T @ x_cov @ W2


def train(hp, run, hooks=None):
    """The reference's loop; prints its two lines per epoch and saves its scatter per epoch.

    `run`: seed, run folder, device, --fused-adam and --fast; `hooks`: checkpoints, --resume,
    progress, TensorBoard and a step limit, as in gaussian_gan.
    """
    hooks = hooks or command.Hooks()
    out, device = run.out, run.device
    np.random.seed(run.seed)
    torch.manual_seed(run.seed)
    X, X1 = gaussian.conditional_data(np.random)
    true_mean, true_cov = gaussian.true_moments()
    G, D = Generator().to(device), Discriminator().to(device)
    initialize([G, D])
    opt_D = backend.adam(D.parameters(), run.fused_adam or run.fast, lr=hp.lr_D)
    opt_G = backend.adam(G.parameters(), run.fused_adam or run.fast, lr=hp.lr_G)
    as_tensor = lambda a: torch.as_tensor(a, dtype=torch.float32, device=device)  # noqa: E731
    hooks.attach(backend.ModuleState(G=G, D=D, opt_G=opt_G, opt_D=opt_D))
    if run.fast:  # Both steps as one compiled function.
        step = fast.whole_step(G, D, (opt_D, opt_G), losses=(discriminator_loss, generator_loss))
    steps = -(-len(X) // hp.batch_size)
    for epoch in hooks.epochs(hp.epochs, steps_per_epoch=steps):
        avg_loss, count = 0.0, 0
        batches = gaussian.iterate_minibatch(X, X1, batch_size=hp.batch_size, shuffle=True)
        for x_batch, x1_batch in hooks.batches(batches):
            z_batch = np.random.normal(size=(len(x_batch), 2))
            batch = as_tensor(x_batch), as_tensor(x1_batch), as_tensor(z_batch)
            if run.fast:
                loss_D, loss_G = step(*batch)
            else:
                loss_D, loss_G = train_step(G, D, opt_D, opt_G, *batch)
            avg_loss += loss_D
            count += 1
            hooks.step(f"epoch {epoch} step {count - 1}", loss_D=loss_D, loss_G=loss_G)
        avg_loss /= count
        z = as_tensor(np.random.normal(size=(hp.eval_size, 2)))
        excerpt = np.random.randint(len(X), size=hp.eval_size)
        x, x1 = as_tensor(X[excerpt, :]), as_tensor(X1[excerpt, :])
        with torch.no_grad():
            fake = G(z, x)
            accuracy = accuracy_of(D(x1, x), D(fake, x))
        out.print("\ndiscriminator loss at epoch %d: %f" % (epoch, avg_loss))
        out.print("\ndiscriminator accuracy at epoch %d: %f" % (epoch, accuracy))
        mean, cov = generated_moments(G)
        out.record(
            epoch,
            ("loss_D", "accuracy"),
            epoch=epoch,
            loss_D=avg_loss,
            accuracy=accuracy,
            gen_mean=mean,
            gen_cov=cov,
            true_mean=true_mean,
            true_cov=true_cov,
        )
        figure = scatter.condition_target_fake(
            X[excerpt], X1[excerpt], fake.cpu().numpy(), title=f"epoch {epoch}"
        )
        out.image("samples", out.save_figure(figure, f"epoch_{epoch:02d}.png"), epoch)
    hooks.end()
    return {"loss_D": avg_loss, "accuracy": accuracy, "gen_mean": mean, "gen_cov": cov}


COMMAND = command.Command(
    MODEL,
    train,
    hparams=HParams,
    doc=__doc__,
    backend=backend.PyTorch(),
)


def main(argv=None):
    return COMMAND.main(argv)


if __name__ == "__main__":
    command.run(main)
