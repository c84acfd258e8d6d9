"""PyTorch port of wiseodd's TF1 vanilla GAN on MNIST (seed 003), cross-checked against it.

The port computes what `tf1_reference/mnist_vanilla_gan.py` computes: G 100 -> 128 ReLU ->
784 sigmoid, D 784 -> 128 ReLU -> 1 logit, wiseodd's `xavier_init` (N(0, 2 / fan_in)) and zero
biases, the blog's log-form losses (or `--loss sce`), Adam 1e-3, batch 128, uniform z on
[-1, 1], the same `next_batch` data, loop, prints and 4 x 4 grids. Data order and z come from
the same NumPy generators as the reference, so one `--seed` feeds both the same numbers.

wiseodd's own PyTorch twin (gan_pytorch.py) differs from his TF script: batch 64, z ~ N(0, I),
`binary_cross_entropy` on probabilities (clamped at log -100), 100,000 iterations, the print
`Iter-{}; D_loss: {}; G_loss: {}` after the steps and a grid of the G step's own samples.
`--preset wiseodd-pytorch` runs that program; flags still override its values.

Source: wiseodd/generative-models @b930d5f (2018-08-03, the repository's last commit)
    GAN/vanilla_gan/gan_tensorflow.py and gan_pytorch.py; blog version in seed 003. Facts:
    docs/originals.md 4.1, 4.2, 6.3.

Run:
    python -m ports.mnist_vanilla_gan                              # the TF graph's twin, 1e6 its
                                                                   # (~2 h on 2 CPU cores)
    python -m ports.mnist_vanilla_gan --preset wiseodd-pytorch     # his PyTorch script (~15 min)
    python -m ports.mnist_vanilla_gan --iterations 2001            # a smoke run (~10 s)

Deviations: (from the TF1 reference; the preset's from gan_pytorch.py follow)
- Initial weights come from torch's generator (`torch.manual_seed(seed)`), not TF's.
- `torch.optim.Adam` adds epsilon to sqrt(v_hat), TF1 to sqrt(v); `python -m crosscheck
  mnist_vanilla_gan` measures the difference and `--adam tf` removes it there.
- wiseodd-pytorch preset: gan_pytorch.py as of b930d5f, the revision docs/originals.md names.
  Its raw tensors `Wzh, bzh, Whx, bhx, Wxh, bxh, Why, bhy` become `RepeatedBiasLinear` layers,
  built without drawing from torch's generator, that compute as gan_pytorch.py does:
  `x @ W + b.repeat(len(x), 1)` with W held in its [in, out] layout and b a vector (nn.Linear's
  `addmm` adds the bias inside the product and rounds some outputs 1 ulp differently).
  `Variable`, `.data.numpy()` and `reset_grad()` become plain tensors, `.item()` and
  `zero_grad()` before each backward; the D step detaches G(z), where gan_pytorch.py
  backpropagated into G and then zeroed G's gradients (the same D gradients); `ones_label` and
  `zeros_label`, (mb_size, 1), become `ones_like` / `zeros_like` of D's output (the same
  values). Earlier revisions differ and are not followed: before daadb46 (2017-02-12)
  `create_bias` made each bias a (mb_size, size) matrix, one trainable row per place in the
  batch, and before c146d7d (2018-03-30) the labels had shape (mb_size,) against D's
  (mb_size, 1) output.
- wiseodd-pytorch preset, random draws: gan_pytorch.py cannot be repeated number for number,
  because of its data reader. TF's `input_data.read_data_sets` reseeds NumPy's global
  generator from the operating system's entropy and shuffles with it, so no seed repeats its
  batch order; the preset's batches come from inputs/mnist.py (the same 55,000 images and
  `next_batch`), shuffled by a NumPy Generator seeded with --seed. Its torch draws are
  gan_pytorch.py's calls in its order after the same `torch.manual_seed(S)`: `torch.randn` of
  Wzh [100, 128], Whx [128, 784], Wxh [784, 128] and Why [128, 1] (times 1 / sqrt(fan_in / 2)),
  then per iteration `torch.randn(64, 100)` for the D step and again for the G step. So on a
  CPU, given the same batches, the preset trains exactly what gan_pytorch.py trains: every
  weight, Adam moment and printed loss bit for bit (tests/test_mnist_vanilla_gan.py runs
  gan_pytorch.py's statements, written out on current PyTorch, beside it). On a GPU the preset
  draws z from the GPU's generator, where gan_pytorch.py drew them on the CPU.
- As the reference: seeded, grids as NNN.png in the run folder, training.gif at the end,
  NaN losses stop the run.
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
  default). This port meets them in Adam's first moment (`exp_avg`) of D's weights (nearly all
  in its first layer) whose gradient is exactly 0 step after step (those of hidden units that
  stopped firing, and of pixels that are 0 in every image a unit still fires on): the moment
  shrinks by beta1 each step down through the subnormal range, where TF's is flushed to 0 as
  soon as it falls below 2^-126. `python -m report.denormals` (1,000 iterations on an Intel Xeon
  with AVX-512 and AMX, one thread) counted 1,488,041 subnormal results, all of them those
  moments (from D's step 667); the same run with flush-to-zero on ends with every weight the
  same bit for bit and 9,263 moment values different (docs/crosscheck.md).
- Added: a checkpoint every `--checkpoint-every` steps, at the end and on Ctrl-C/SIGTERM
  (`<out>/checkpoints/`), `--resume RUN_DIR` (on a CPU the resumed run prints and writes what
  the uninterrupted one does), `--on-nan stop|continue`, TensorBoard event files in the run
  folder (torch.utils.tensorboard.SummaryWriter) and a tqdm progress bar on a terminal. None
  changes a number.
"""

import numpy as np
import torch
from torch import nn

from figures import animation, image_grid
from harness import command
from inputs import mnist
from models.mnist_vanilla_gan import HParams  # The hyper-parameters, shared with the reference.
from ports import backend, frozen
from ports.fast import mnist_vanilla_gan as fast

MODEL = "mnist_vanilla_gan"
LOSSES = ("log", "sce", "bce")  # The reference's two --loss forms and gan_pytorch.py's BCE.
PRESETS = command.Presets(
    choices=("tf1", "wiseodd-pytorch"),
    help="whose program to run: the TF graph's twin (default) or "
    "wiseodd's gan_pytorch.py (batch 64, normal z, BCE, 1e5 iterations)",
    # gan_pytorch.py's settings where they differ from gan_tensorflow.py's, for the fields no
    # flag sets. Its z prior, N(0, I) instead of U(-1, 1), comes with the preset and is no flag.
    settings={"wiseodd-pytorch": dict(iterations=100000, mb_size=64, loss="bce")},
)


class RepeatedBiasLinear(nn.Linear):
    """gan_pytorch.py's layer: `x @ W + b.repeat(len(x), 1)`, W stored [in, out] as its raw
    tensor (`weight` is its transpose, a view), built without drawing from torch's generator.

    The matrix product and then the bias sum, each rounded, where nn.Linear's `addmm` folds
    the bias into the product and rounds some outputs differently.
    """

    def __init__(self, in_features, out_features):
        with torch.random.fork_rng(devices=[]):  # gan_pytorch.py draws only in xavier_init.
            super().__init__(in_features, out_features)
        self.weight = nn.Parameter(torch.zeros(in_features, out_features).T)

    def forward(self, x):
        return x @ self.weight.T + self.bias.repeat(x.size(0), 1)


class Generator(nn.Module):
    """z (B, Z_dim) -> relu(z W1 + b1) -> sigmoid(. W2 + b2): pixels (B, 784) in (0, 1)."""

    def __init__(self, Z_dim=100, h_dim=128, linear=nn.Linear):
        super().__init__()
        self.fc1 = linear(Z_dim, h_dim)
        self.fc2 = linear(h_dim, 784)

    def forward(self, z):
        return torch.sigmoid(self.fc2(torch.relu(self.fc1(z))))


class Discriminator(nn.Module):
    """x (B, 784) -> relu(x W1 + b1) -> one logit (B, 1); callers take the sigmoid."""

    def __init__(self, h_dim=128, linear=nn.Linear):
        super().__init__()
        self.fc1 = linear(784, h_dim)
        self.fc2 = linear(h_dim, 1)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


# TF1 variable -> (port parameter, layout); see ports/layouts.py.
NAME_MAP = {
    "D_W1": ("discriminator.fc1.weight", "dense"),
    "D_b1": ("discriminator.fc1.bias", "same"),
    "D_W2": ("discriminator.fc2.weight", "dense"),
    "D_b2": ("discriminator.fc2.bias", "same"),
    "G_W1": ("generator.fc1.weight", "dense"),
    "G_b1": ("generator.fc1.bias", "same"),
    "G_W2": ("generator.fc2.weight", "dense"),
    "G_b2": ("generator.fc2.bias", "same"),
}


def generator_of(hp):
    """A Generator with the parameters `train` builds for `hp`, under either preset (the
    wiseodd-pytorch preset's layers hold the same shapes in another memory layout)."""
    return Generator(hp.Z_dim, hp.h_dim)


@torch.no_grad()
def initialize(modules):
    """wiseodd's xavier_init for every weight, N(0, std^2) with std = 1 / sqrt(fan_in / 2), as
    both his scripts write it (He-normal's sqrt(2 / fan_in)); zero biases.

    Drawn in TF's [in, out] shape, as gan_pytorch.py's `torch.randn(*size)` did, then transposed.
    """
    for module in modules:
        for layer in module.modules():
            if isinstance(layer, nn.Linear):
                fan_in = layer.weight.shape[1]
                std = 1.0 / np.sqrt(fan_in / 2.0)
                layer.weight.copy_(torch.randn(layer.weight.shape[::-1]).T * std)
                nn.init.zeros_(layer.bias)


def D_loss_of(D_logit_real, D_logit_fake, loss="log"):
    """D's loss from its logits on a real and a generated batch.

    log: -mean(log D_real + log(1 - D_fake)) with D = sigmoid(logit), unclamped (the blog).
    sce: mean softplus(-logit_real) + mean softplus(logit_fake) (the repository).
    bce: BCE(D_real, 1) + BCE(D_fake, 0) on probabilities, log clamped at -100 (gan_pytorch.py).
    """
    D_real, D_fake = torch.sigmoid(D_logit_real), torch.sigmoid(D_logit_fake)
    if loss == "log":
        return -torch.mean(torch.log(D_real) + torch.log(1.0 - D_fake))
    if loss == "sce":
        bce = nn.functional.binary_cross_entropy_with_logits
        return bce(D_logit_real, torch.ones_like(D_logit_real)) + bce(
            D_logit_fake, torch.zeros_like(D_logit_fake)
        )
    bce = nn.functional.binary_cross_entropy
    return bce(D_real, torch.ones_like(D_real)) + bce(D_fake, torch.zeros_like(D_fake))


def G_loss_of(D_logit_fake, loss="log"):
    """G's non-saturating loss, -mean(log D_fake), in the same three forms as `D_loss_of`."""
    if loss == "log":
        return -torch.mean(torch.log(torch.sigmoid(D_logit_fake)))
    ones = torch.ones_like(D_logit_fake)
    if loss == "sce":
        return nn.functional.binary_cross_entropy_with_logits(D_logit_fake, ones)
    return nn.functional.binary_cross_entropy(torch.sigmoid(D_logit_fake), ones)


def train_step(G, D, D_solver, G_solver, X_mb, Z_D, Z_G, loss="log"):
    """One D step on (X_mb, Z_D), then one G step on Z_G; returns both losses (pre-update)."""
    D_solver.zero_grad()
    D_loss = D_loss_of(D(X_mb), D(G(Z_D).detach()), loss)
    D_loss.backward()
    D_solver.step()
    G_solver.zero_grad()
    # D frozen: no gradient for D's weights, which TF's G step never computes.
    with frozen(D):
        G_sample = G(Z_G)
        G_loss = G_loss_of(D(G_sample), loss)
        G_loss.backward()
    G_solver.step()
    return D_loss.item(), G_loss.item()


def train(hp, run, hooks=None):
    """The reference's loop (or gan_pytorch.py's with the preset); prints and grids as theirs.

    `run` (ports/backend.py): the seed, the run folder, the MNIST folder, the device, the
    preset, --fused-adam and --fast. `hooks` (harness/hooks.py) adds checkpoints, --resume,
    progress, TensorBoard and a step limit; without them the loop only stops on a NaN loss.
    """
    hooks = hooks or command.Hooks()
    out, device, preset = run.out, run.device, run.preset
    np.random.seed(run.seed)
    torch.manual_seed(run.seed)
    datasets = mnist.read_data_sets(run.data_dir, one_hot=True, rng=run.seed)
    # gan_pytorch.py's raw tensors: no constructor draws, its own bias sums.
    linear = RepeatedBiasLinear if preset == "wiseodd-pytorch" else nn.Linear
    G, D = Generator(hp.Z_dim, hp.h_dim, linear), Discriminator(hp.h_dim, linear)
    initialize([G, D])
    G, D = G.to(device), D.to(device)
    D_solver = backend.adam(D.parameters(), run.fused_adam or run.fast, lr=hp.lr_D)
    G_solver = backend.adam(G.parameters(), run.fused_adam or run.fast, lr=hp.lr_G)
    state = backend.ModuleState(G=G, D=D, opt_G=G_solver, opt_D=D_solver)
    hooks.track(datasets.train).attach(state)
    if run.fast:  # Both steps as one compiled function, D's two calls as one.
        step = fast.whole_step(
            G, D, (D_solver, G_solver), losses=(D_loss_of, G_loss_of), loss=hp.loss
        )

    def sample_Z(m, n):
        if preset == "wiseodd-pytorch":
            return torch.randn(m, n, device=device)
        return torch.as_tensor(
            np.random.uniform(-1.0, 1.0, size=[m, n]), dtype=torch.float32, device=device
        )

    def save_grid(samples, it):
        name = f"{str(it // hp.sample_every).zfill(3)}.png"  # The original's counter i.
        figure = image_grid.wiseodd_4x4(samples.cpu().numpy()[:16])
        out.image("samples", out.save_figure(figure, name, bbox_inches="tight"), it)

    for it in hooks.steps(hp.iterations):
        if preset == "tf1" and it % hp.sample_every == 0:
            with torch.no_grad():
                save_grid(G(sample_Z(16, hp.Z_dim)), it)
        X_mb, _ = datasets.train.next_batch(hp.mb_size)
        X_mb = torch.as_tensor(X_mb, device=device)
        Z_D, Z_G = sample_Z(hp.mb_size, hp.Z_dim), sample_Z(hp.mb_size, hp.Z_dim)
        if run.fast:
            D_loss, G_loss = step(X_mb, Z_D, Z_G)
        else:
            D_loss, G_loss = train_step(G, D, D_solver, G_solver, X_mb, Z_D, Z_G, hp.loss)
        hooks.step(f"iteration {it}", D_loss=D_loss, G_loss=G_loss)
        if it % hp.sample_every == 0:
            if preset == "tf1":
                out.print("Iter: {}".format(it))
                out.print("D loss: {:.4}".format(D_loss))
                out.print("G_loss: {:.4}".format(G_loss))
                out.print()
            else:
                # torch >= 0.4 printed `.data.numpy()` of a loss as a 0-d float32 array.
                D_np, G_np = np.asarray(D_loss, np.float32), np.asarray(G_loss, np.float32)
                out.print("Iter-{}; D_loss: {}; G_loss: {}".format(it, D_np, G_np))
                with torch.no_grad():  # gan_pytorch.py: samples = G(z), after G's step.
                    save_grid(G(Z_G), it)
            out.record(it, ("D_loss", "G_loss"), iteration=it, D_loss=D_loss, G_loss=G_loss)
    hooks.end()
    animation.write_gif(out.path / "training.gif", sorted(out.path.glob("[0-9][0-9][0-9].png")))
    return {"D_loss": D_loss, "G_loss": G_loss}


COMMAND = command.Command(
    MODEL,
    train,
    hparams=HParams,
    doc=__doc__,
    backend=backend.PyTorch(),
    read_data=mnist.read_raw,
    presets=PRESETS,
    choices={"loss": LOSSES},
)


def main(argv=None):
    return COMMAND.main(argv)


if __name__ == "__main__":
    command.run(main)
