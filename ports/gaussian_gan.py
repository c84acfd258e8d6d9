"""PyTorch port of xyang35's TF1 Gaussian GAN (seed 000), cross-checked against the TF1 graph.

The port computes what `tf1_reference/gaussian_gan.py` computes: a linear G, a 2-5-3-1 tanh D
with ONE logit, sigmoid cross-entropy on logits (`BCEWithLogitsLoss`, the exact twin of
`tf.nn.sigmoid_cross_entropy_with_logits`), Glorot-uniform weights and zero biases, Adam 0.05
for D and 0.01 for G, the same data, loop, prints and pictures. It draws the data, batch order
and noise from NumPy's global generator like the reference, so the same `--seed` feeds both
the same numbers (only the initial weights come from different generators).

xyang35's own PyTorch notebook differs from his TF one: a 2-logit D with `CrossEntropyLoss`
(as MXNet), N(0, 0.02) weights and PyTorch's default biases. The port follows the TF graph,
since the point of the archive is a port that can be checked number for number against it;
`--preset xyang35-pytorch` and `--preset mxnet-gan-intro` run those two other programs, so
every published trajectory (originals.md section 7) has a program here that makes it.

Source: xyang35/Introduction-to-GAN@59ab552 GAN-tensorflow.ipynb and GAN-pytorch.ipynb;
    zackchase/mxnet-the-straight-dope P10-C01-gan-intro.ipynb@61b402a. originals.md 1.1-1.6.

Run:
    python -m ports.gaussian_gan                              # the TF graph's twin (~5 s)
    python -m ports.gaussian_gan --preset xyang35-pytorch     # his PyTorch notebook
    python -m ports.gaussian_gan --preset mxnet-gan-intro     # the MXNet original
    python -m ports.gaussian_gan --epochs 1                   # a smoke run (~2 s)

Deviations: (from the TF1 reference; the presets also list theirs)
- Initial weights come from torch's generator (`torch.manual_seed(seed)`), not TF's.
- `torch.optim.Adam` adds epsilon to sqrt(v_hat); TF1 adds it to sqrt(v) before the bias
  correction. With gradients near 1e-3 the weights differ by about 1e-5 after one step;
  `python -m crosscheck gaussian_gan` measures it, and `--adam tf` removes it there.
- xyang35-pytorch preset, random draws: after `np.random.seed(S)` and `torch.manual_seed(S)`
  every draw is the notebook's, in its order. NumPy's global generator draws the 1,000 points,
  each epoch's `np.random.shuffle`, each batch's z (4 x 2) and each epoch's 100 evaluation z
  and `randint` excerpt; torch's generator draws `nn.Linear`'s default weights and biases
  (netG, then netD's three layers), then the N(0, 0.02) weights, netD's before netG's as the
  notebook's `apply(init_weights)` calls. A run ends with the notebook's weights, bit for bit
  on a CPU (checked over two epochs against the notebook's cells on current PyTorch).
- Presets: PyTorch 0.2's `Variable` / `volatile=True` become plain tensors and `no_grad`;
  MXNet's per-sample losses with `Trainer.step(4)` become batch means (the same gradients).
- As the reference: seeded, headless PNGs (data.png, then one per epoch with an "epoch N"
  title), z rows = real batch rows, setup printed
  first, NaN losses stop the run, generated mean and covariance in metrics.jsonl.
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
  232,375 float32 results, weights, gradients and Adam moments included, on an Intel Xeon with
  AVX-512 and AMX, one thread), so there TensorFlow's flush changes nothing
  (docs/crosscheck.md).
- Added: a checkpoint every `--checkpoint-every` steps, at the end and on Ctrl-C/SIGTERM
  (`<out>/checkpoints/`), `--resume RUN_DIR` (on a CPU the resumed run prints and writes what
  the uninterrupted one does), `--on-nan stop|continue`, TensorBoard event files in the run
  folder (torch.utils.tensorboard.SummaryWriter) and a tqdm progress bar on a terminal. None
  changes a number.
"""

import time

import numpy as np
import torch
from torch import nn

from figures import scatter
from harness import command
from inputs import gaussian
from models.gaussian_gan import HParams  # The hyper-parameters, shared with the reference.
from ports import backend, frozen
from ports.fast import gaussian_gan as fast

MODEL = "gaussian_gan"
PRESETS = command.Presets(
    choices=("tf1", "xyang35-pytorch", "mxnet-gan-intro"),
    help="whose program to run: the TF graph's twin (default), "
    "xyang35's PyTorch notebook, or the MXNet original",
)


class Generator(nn.Module):
    """z (B, 2) -> z W + b (B, 2): xyang35's 1-layer netG (`generator/g_W`, `g_b`)."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 2)

    def forward(self, z):
        return self.linear(z)


class Discriminator(nn.Module):
    """x (B, 2) -> tanh 5 -> tanh 3 -> logits (B, n_logits): 1 logit (TF) or 2 (MXNet)."""

    def __init__(self, n_logits=1):
        super().__init__()
        self.layer1 = nn.Linear(2, 5)
        self.layer2 = nn.Linear(5, 3)
        self.layer3 = nn.Linear(3, n_logits)

    def forward(self, x):
        return self.layer3(torch.tanh(self.layer2(torch.tanh(self.layer1(x)))))


# TF1 variable -> (port parameter, layout); see ports/layouts.py.
NAME_MAP = {
    "generator/g_W": ("generator.linear.weight", "dense"),
    "generator/g_b": ("generator.linear.bias", "same"),
    "discriminator/d_W1": ("discriminator.layer1.weight", "dense"),
    "discriminator/d_b1": ("discriminator.layer1.bias", "same"),
    "discriminator/d_W2": ("discriminator.layer2.weight", "dense"),
    "discriminator/d_b2": ("discriminator.layer2.bias", "same"),
    "discriminator/d_W3": ("discriminator.layer3.weight", "dense"),
    "discriminator/d_b3": ("discriminator.layer3.bias", "same"),
}


def initialize(modules, preset="tf1"):
    """tf1: Glorot-uniform weights, zero biases (the TF graph's initializers).

    xyang35-pytorch: weights N(0, 0.02), biases left at PyTorch's U(+-1/sqrt(fan_in)).
    mxnet-gan-intro: weights N(0, 0.02) (`mx.init.Normal(0.02)`), zero biases (Dense default).
    """
    for module in modules:
        for layer in module.modules():
            if isinstance(layer, nn.Linear):
                if preset == "tf1":
                    nn.init.xavier_uniform_(layer.weight)
                else:
                    nn.init.normal_(layer.weight, mean=0.0, std=0.02)
                if preset != "xyang35-pytorch" and layer.bias is not None:
                    nn.init.zeros_(layer.bias)


def discriminator_loss(real_logits, fake_logits):
    """One logit: mean softplus(-D(x)) + mean softplus(D(G(z))), i.e. BCE with labels 1 and 0.

    Two logits (the presets): softmax cross-entropy with class 1 = real, class 0 = fake.
    """
    if real_logits.shape[1] == 1:
        bce = nn.functional.binary_cross_entropy_with_logits
        return bce(real_logits, torch.ones_like(real_logits)) + bce(
            fake_logits, torch.zeros_like(real_logits)
        )
    ce = nn.functional.cross_entropy
    ones = torch.ones(len(real_logits), dtype=torch.long, device=real_logits.device)
    return ce(real_logits, ones) + ce(fake_logits, ones * 0)


def generator_loss(fake_logits):
    """Non-saturating: mean -log D(G(z)) (one logit), or CE towards class 1 (two logits)."""
    if fake_logits.shape[1] == 1:
        return nn.functional.binary_cross_entropy_with_logits(
            fake_logits, torch.ones_like(fake_logits)
        )
    ones = torch.ones(len(fake_logits), dtype=torch.long, device=fake_logits.device)
    return nn.functional.cross_entropy(fake_logits, ones)


def train_step(G, D, opt_D, opt_G, x_batch, z_batch):
    """One D step, then one G step on the same z (D already updated); returns the two losses.

    Also returns D's pre-update logits on the real and fake batch (MXNet's training accuracy).
    """
    fake = G(z_batch)
    opt_D.zero_grad()
    real_logits, fake_logits = D(x_batch), D(fake.detach())
    loss_D = discriminator_loss(real_logits, fake_logits)
    loss_D.backward()
    opt_D.step()
    opt_G.zero_grad()
    # D frozen: no gradient for D's weights, which TF's G step never computes.
    with frozen(D):
        # G's weights did not change in the D step, so `fake` is G(z) as TF's G step recomputes it.
        loss_G = generator_loss(D(fake))
        loss_G.backward()
    opt_G.step()
    return loss_D.item(), loss_G.item(), real_logits.detach(), fake_logits.detach()


def accuracy_of(real_logits, fake_logits):
    """Fraction of real scored real and fake scored fake, averaged (1 or 2 logits)."""
    if real_logits.shape[1] == 1:
        return 0.5 * ((real_logits > 0).float().mean() + (fake_logits < 0).float().mean()).item()
    real_ok = (real_logits[:, 1] > real_logits[:, 0]).float().mean()
    fake_ok = (fake_logits[:, 0] > fake_logits[:, 1]).float().mean()
    return 0.5 * (real_ok + fake_ok).item()


def generated_moments(G):
    """Mean and covariance of G(z), z ~ N(0, I): (b, W^T W) in TF's row-vector convention."""
    W = G.linear.weight.detach().cpu().double().numpy().T
    return G.linear.bias.detach().cpu().double().numpy(), W.T @ W


def train(hp, run, hooks=None):
    """The reference's loop (or a preset's); prints and pictures as the original.

    `run` (ports/backend.py): the seed, the run folder, the device, the preset, --fused-adam
    and --fast. `hooks` (harness/hooks.py) adds checkpoints, --resume, progress, TensorBoard
    and a step limit; without them the loop only stops on a NaN loss.
    """
    hooks = hooks or command.Hooks()
    out, device, preset = run.out, run.device, run.preset
    np.random.seed(run.seed)
    torch.manual_seed(run.seed)
    X = gaussian.gaussian_data(np.random)
    true_mean, true_cov = gaussian.true_moments()
    G, D = Generator().to(device), Discriminator(1 if preset == "tf1" else 2).to(device)
    # The notebook initialises netD before netG (`netD.apply(init_weights)` comes first).
    initialize([D, G] if preset == "xyang35-pytorch" else [G, D], preset)
    opt_D = backend.adam(D.parameters(), run.fused_adam or run.fast, lr=hp.lr_D)
    opt_G = backend.adam(G.parameters(), run.fused_adam or run.fast, lr=hp.lr_G)
    as_tensor = lambda a: torch.as_tensor(a, dtype=torch.float32, device=device)  # noqa: E731
    hooks.attach(backend.ModuleState(G=G, D=D, opt_G=opt_G, opt_D=opt_D))
    # --fast: both steps as one compiled function; MXNet's metric needs D's per-step logits.
    whole = run.fast and preset != "mxnet-gan-intro"
    if whole:
        step = fast.whole_step(G, D, (opt_D, opt_G), losses=(discriminator_loss, generator_loss))
    out.save_figure(scatter.data(X), "data.png")  # Cell 0's scatter of the data.
    steps = -(-len(X) // hp.batch_size)  # Batches per epoch: 250.
    for epoch in hooks.epochs(hp.epochs, steps_per_epoch=steps):
        started = time.time()
        avg_loss, count, correct = 0.0, 0, []
        batches = gaussian.iterate_minibatch(X, batch_size=hp.batch_size, shuffle=True)
        for x_batch in hooks.batches(batches):
            z_batch = np.random.normal(size=(len(x_batch), 2))
            if whole:
                loss_D, loss_G = step(as_tensor(x_batch), as_tensor(z_batch))
            else:
                loss_D, loss_G, real_logits, fake_logits = train_step(
                    G, D, opt_D, opt_G, as_tensor(x_batch), as_tensor(z_batch)
                )
            avg_loss += loss_D
            count += 1
            if preset == "mxnet-gan-intro":  # Only MXNet's metric needs the per-step scores.
                correct.append(accuracy_of(real_logits, fake_logits))
            hooks.step(f"epoch {epoch} step {count - 1}", loss_D=loss_D, loss_G=loss_G)
        avg_loss /= count
        mean, cov = generated_moments(G)
        if preset == "mxnet-gan-intro":
            # MXNet's metric: D's pre-update outputs over the whole epoch (2000 predictions).
            accuracy = float(np.mean(correct))
            noise = as_tensor(np.random.normal(size=(hp.eval_size, 2)))
            with torch.no_grad():
                fake_x = G(noise).cpu().numpy()
            out.print("\nbinary training acc at epoch %d: %s=%f" % (epoch, "accuracy", accuracy))
            out.print("time: %f" % (time.time() - started))
        else:
            z = as_tensor(np.random.normal(size=(hp.eval_size, 2)))
            excerpt = np.random.randint(len(X), size=hp.eval_size)
            with torch.no_grad():
                fake = G(z)
                accuracy = accuracy_of(D(as_tensor(X[excerpt, :])), D(fake))
            fake_x = fake.cpu().numpy()
            out.print("\ndiscriminator loss at epoch %d: %f" % (epoch, avg_loss))
            out.print("\ndiscriminator accuracy at epoch %d: %f" % (epoch, accuracy))
        out.record(
            epoch,
            ("loss_D", "accuracy"),
            accuracy=accuracy,
            epoch=epoch,
            loss_D=avg_loss,
            gen_mean=mean,
            gen_cov=cov,
            true_mean=true_mean,
            true_cov=true_cov,
        )
        figure = scatter.real_and_fake(X, fake_x, title=f"epoch {epoch}")
        out.image("samples", out.save_figure(figure, f"epoch_{epoch:02d}.png"), epoch)
    hooks.end()
    return {"loss_D": avg_loss, "accuracy": accuracy, "gen_mean": mean, "gen_cov": cov}


COMMAND = command.Command(
    MODEL,
    train,
    hparams=HParams,
    doc=__doc__,
    backend=backend.PyTorch(),
    presets=PRESETS,
)


def main(argv=None):
    return COMMAND.main(argv)


if __name__ == "__main__":
    command.run(main)
