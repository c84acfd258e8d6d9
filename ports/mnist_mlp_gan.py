"""lyeoni's MLP GAN on MNIST as modified in seed 004, in current PyTorch (the original is PyTorch).

G maps 100 normal numbers through 256, 512, 1024 leaky-ReLU units to 784 tanh pixels; D maps
an image through 1024, 512, 256 leaky-ReLU units, each followed by dropout 0.3, to a sigmoid
probability. Both train with `nn.BCELoss` and Adam 2e-4, batch 128, for 10 epochs of 468 full
batches, writing one `loss.txt` line per epoch and a grid of 100 samples.

Source: lyeoni/pytorch-mnist-GAN pytorch-mnist-GAN.ipynb, as modified in seed 004 (batch 128,
    10 epochs, incomplete batches skipped, loss.txt). Facts: docs/originals.md 5.1, 5.2.

Run:
    python -m ports.mnist_mlp_gan                # the seed's run, 10 epochs (~6 min on 2 cores)
    python -m ports.mnist_mlp_gan --n-epoch 1    # a smoke run (~40 s)

Deviations:
- None in the training numbers: `torch.manual_seed(S)` and then the seed's program on a CPU
  write the same loss.txt lines and end with the same parameters, bit for bit, as
  `--seed S`, after any number of epochs (tests/test_seed004_exact.py runs the seed's own code
  beside the port). Every training draw comes from torch's global generator in the seed's
  order: G's and then D's initial weights; at each epoch's first batch the DataLoader's two
  draws (its iterator's base seed, then RandomSampler's shuffling seed, from which it builds
  the epoch's permutation); in each step D(real)'s three dropout masks, z for the D step,
  D(fake)'s masks, then z for the G step and D's masks. z is `torch.randn(bs, z_dim)` moved to
  the device, as the seed's, so on a GPU z comes from the CPU's generator and the masks from
  the GPU's, as in the seed (the GPU's kernels round differently, so exactness is the CPU's).
- `--seed` seeds torch's global generator (`torch.manual_seed`, drawn and printed when not
  given); the original seeds nothing. A NaN or infinite loss stops the run with one sentence.
- `F.dropout(x, 0.3)` stays always active, as in the original: F.dropout's `training`
  defaults to True, so even `D.eval()` would not switch it off. `Discriminator.forward` takes
  optional `masks` (the cross-check feeds the masks it draws); None, the default, is F.dropout.
- `datasets.MNIST(download=True)` -> ports/mnist_data.py's TorchMnist on the same 60,000 training
  images with the seed's transform written out: float32(u8).div(255), then .sub(0.5).div(0.5)
  (torchvision's ToTensor and Normalize((0.5,), (0.5,)): the same float32 operations), a
  whole batch per call. The seed's `DataLoader(batch_size=128, shuffle=True)` is kept. The
  unused test loader (it draws nothing) is not built.
- `Variable(...)` wrappers are dropped (no-ops since torch 0.4); `.to(device)` as the original.
- Speed, bit for bit (tests/test_seed004_exact.py compares against the seed, which has none
  of them): G(z) for D's fake batch runs under `no_grad` (the original backpropagated into G
  and discarded G's gradients), D's parameters are frozen in the G step (the original
  computed D's gradients there and discarded them) and Adam is `foreach=True` (the default
  Adam on a CPU updates one tensor at a time, in the same arithmetic). `--fused-adam`
  (opt-in) swaps in `torch.optim.Adam(fused=True)`: faster, and about 1 ulp per step off.
- Added, none of which draws from torch's global generator or writes a weight:
  - the loss.txt lines also go to stdout and log.txt (the seed prints nothing), and loss.txt
    is rewritten (atomically) after every epoch rather than held open until the end;
  - a tqdm progress bar per epoch (on a terminal);
  - a grid of 100 samples per epoch, sample_NN.png (8 per row, values clamped to [0, 1], as
    lyeoni's README shows; the seed imports `save_image` but never calls it), drawn with
    figures/image_grid.py instead of torchvision. Its z are the same every epoch, drawn once
    from a `torch.Generator` of their own seeded with --seed;
  - a checkpoint every `--checkpoint-every` steps, at the end and on Ctrl-C/SIGTERM
    (`<out>/checkpoints/`), holding torch's generator state now and at the epoch's start;
    `--resume RUN_DIR` (on a CPU the resumed run prints and writes what the uninterrupted one
    does); `--on-nan stop|continue`; TensorBoard event files in the run folder
    (torch.utils.tensorboard.SummaryWriter); `--threads`, `--device`, `--out`, `--data-dir`.
"""

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from figures import image_grid
from harness import command
from inputs import mnist
from models.mnist_mlp_gan import HParams  # The hyper-parameters, shared with the reference.
from ports import backend, frozen, mnist_data
from ports.fast import mnist_mlp_gan as fast

MODEL = "mnist_mlp_gan"


class Generator(nn.Module):
    """z (B, 100) -> fc1 256 -> fc2 512 -> fc3 1024 (leaky ReLU 0.2) -> fc4 784 tanh."""

    def __init__(self, g_input_dim, g_output_dim):
        super().__init__()
        self.fc1 = nn.Linear(g_input_dim, 256)
        self.fc2 = nn.Linear(self.fc1.out_features, self.fc1.out_features * 2)
        self.fc3 = nn.Linear(self.fc2.out_features, self.fc2.out_features * 2)
        self.fc4 = nn.Linear(self.fc3.out_features, g_output_dim)

    def forward(self, x):
        x = F.leaky_relu(self.fc1(x), 0.2)
        x = F.leaky_relu(self.fc2(x), 0.2)
        x = F.leaky_relu(self.fc3(x), 0.2)
        return torch.tanh(self.fc4(x))


class Discriminator(nn.Module):
    """x (B, 784) -> fc1 1024 -> fc2 512 -> fc3 256 (leaky ReLU 0.2, dropout) -> fc4 sigmoid."""

    def __init__(self, d_input_dim, p=0.3):
        super().__init__()
        self.p = p
        self.fc1 = nn.Linear(d_input_dim, 1024)
        self.fc2 = nn.Linear(self.fc1.out_features, self.fc1.out_features // 2)
        self.fc3 = nn.Linear(self.fc2.out_features, self.fc2.out_features // 2)
        self.fc4 = nn.Linear(self.fc3.out_features, 1)

    def forward(self, x, masks=None):
        """`masks`: None (draw with F.dropout) or three tensors of 0 and 1 / (1 - p) to multiply."""
        for i, fc in enumerate((self.fc1, self.fc2, self.fc3)):
            x = F.leaky_relu(fc(x), 0.2)
            # F.dropout(x, p) = x * mask, mask = Bernoulli(1 - p) / (1 - p), always on.
            x = F.dropout(x, self.p) if masks is None else x * masks[i]
        return torch.sigmoid(self.fc4(x))


# TF1 variable -> (port parameter, layout); see ports/layouts.py.
NAME_MAP = {
    f"{scope}/fc{i}/{kind}": (f"{module}.fc{i}.{param}", layout)
    for scope, module in (("generator", "generator"), ("discriminator", "discriminator"))
    for i in (1, 2, 3, 4)
    for kind, param, layout in (("kernel", "weight", "dense"), ("bias", "bias", "same"))
}


def generator_of(hp):
    """The Generator `train` builds for `hp` (tools that load a run's weights build it here)."""
    return Generator(g_input_dim=hp.z_dim, g_output_dim=28 * 28)


def train_step(G, D, D_optimizer, G_optimizer, x, z_D=None, z_G=None, masks=None):
    """lyeoni's D_train(x) then G_train(x); returns (D_loss, G_loss) as floats.

    z_D, z_G: given tensors, or None to draw `torch.randn(len(x), z_dim)` on the CPU and move
    it to x's device where the seed does, so torch's generator is drawn in the seed's order:
    D(real)'s three dropout masks, z_D, D(fake)'s masks, then z_G, D's masks in the G step.
    `masks`: None, or {"real": [3], "fake": [3], "G": [3]} dropout masks for D's three calls.
    D_loss = BCE(D(x), 1) + BCE(D(G(z_D)), 0); G_loss = BCE(D(G(z_G)), 1); BCE = nn.BCELoss(),
    mean(-(y max(log p, -100) + (1 - y) max(log(1 - p), -100))).
    """
    masks = masks or {}
    criterion = nn.BCELoss()

    def noise(z):
        return torch.randn(len(x), G.fc1.in_features).to(x.device) if z is None else z

    D.zero_grad()
    D_output = D(x, masks.get("real"))
    D_real_loss = criterion(D_output, torch.ones_like(D_output))
    z_D = noise(z_D)
    # The original also backpropagates into G here, and G.zero_grad() throws G's gradients
    # away; under no_grad D gets the same gradients, bit for bit.
    with torch.no_grad():
        fake = G(z_D)
    D_output = D(fake, masks.get("fake"))
    D_fake_loss = criterion(D_output, torch.zeros_like(D_output))
    D_loss = D_real_loss + D_fake_loss
    D_loss.backward()
    D_optimizer.step()

    G.zero_grad()
    z_G = noise(z_G)
    # The original also backpropagates into D's weights here; D.zero_grad() throws those
    # gradients away before D's next step. With D frozen they are never computed (as in TF).
    with frozen(D):
        D_output = D(G(z_G), masks.get("G"))
        G_loss = criterion(D_output, torch.ones_like(D_output))
        G_loss.backward()
    G_optimizer.step()
    return D_loss.item(), G_loss.item()


def loss_line(epoch, n_epoch, D_losses, G_losses):
    """The seed's loss.txt line; the means are float32, as torch.mean(torch.FloatTensor(list))."""
    return "[{}/{}]: loss_d: {:.3f}, loss_g: {:.3f}\n".format(
        epoch,
        n_epoch,
        torch.mean(torch.FloatTensor(D_losses)),
        torch.mean(torch.FloatTensor(G_losses)),
    )


def train(hp, run, hooks=None):
    """The seed's loop: per epoch, D step and G step per full batch, then a loss.txt line.

    Every training draw comes from torch's global generator in the seed program's order: G's
    and then D's initial weights; per epoch the DataLoader's two draws (its iterator's base
    seed, then RandomSampler's shuffling seed at the first batch); per batch train_step's.
    `run` (ports/backend.py): the seed, the run folder, the MNIST folder, the device,
    --fused-adam and --fast. `hooks` (harness/hooks.py) adds checkpoints, --resume, progress,
    TensorBoard and a step limit; a resumed run starts at an epoch's first batch, where the
    DataLoader draws the epoch's order anew.
    """
    hooks = hooks or command.Hooks()
    out, device = run.out, run.device
    torch.manual_seed(run.seed)
    raw = mnist.read_raw(run.data_dir)
    train_loader = mnist_data.torch_loader(
        mnist_data.TorchMnist(raw.train_images, raw.train_labels), hp.bs
    )
    mnist_dim = 28 * 28
    G = Generator(g_input_dim=hp.z_dim, g_output_dim=mnist_dim).to(device)
    D = Discriminator(mnist_dim, hp.dropout).to(device)
    # foreach: the default Adam's arithmetic in the same order, in fewer kernels (bit for bit,
    # tests/test_seed004_exact.py).
    G_optimizer = backend.adam(G.parameters(), run.fused_adam or run.fast, lr=hp.lr, foreach=True)
    D_optimizer = backend.adam(D.parameters(), run.fused_adam or run.fast, lr=hp.lr, foreach=True)
    if run.fast:  # Its own dropout masks, oneDNN's products and D's two calls as one.
        fast_step = fast.Step(G, D, (D_optimizer, G_optimizer), hp=hp, seed=run.seed, device=device)
    # The grid's z, the same every epoch, from a generator of its own: drawn from torch's
    # global one, they would move every later z, dropout mask and shuffle.
    test_z = torch.randn(hp.samples, hp.z_dim, generator=torch.Generator().manual_seed(run.seed))
    state = backend.ModuleState(G=G, D=D, opt_G=G_optimizer, opt_D=D_optimizer)
    tracked = [fast_step] if run.fast else []  # --fast's masks continue on resume.
    hooks.track(*tracked, appended=["loss.txt"]).attach(state, first_logged=1)
    batches = len(raw.train_images) // hp.bs  # Full batches; the last 96 images are skipped.
    for epoch in hooks.epochs(hp.n_epoch, first=1, steps_per_epoch=batches):
        D_losses, G_losses = [], []
        for batch_idx, (x, _) in enumerate(hooks.batches(train_loader)):
            if len(x) != hp.bs:
                continue  # The seed skips the short last batch.
            x = x.view(-1, mnist_dim).to(device)
            if run.fast:
                D_loss, G_loss = fast_step(x)
            else:
                D_loss, G_loss = train_step(G, D, D_optimizer, G_optimizer, x)
            hooks.step(f"epoch {epoch} batch {len(D_losses)}", D_loss=D_loss, G_loss=G_loss)
            D_losses.append(D_loss)
            G_losses.append(G_loss)
        line = loss_line(epoch, hp.n_epoch, D_losses, G_losses)
        out.print(line, end="")
        out.append("loss.txt", line)
        loss_d, loss_g = float(np.mean(D_losses)), float(np.mean(G_losses))
        out.record(epoch, ("loss_d", "loss_g"), epoch=epoch, loss_d=loss_d, loss_g=loss_g)
        with torch.no_grad():
            samples = G(test_z.to(device)).cpu().numpy()
        path = out.save_figure(image_grid.tiled(samples), f"sample_{epoch:02d}.png")
        out.image("samples", path, epoch)
    hooks.end()
    return (out.path / "loss.txt").read_text().splitlines(keepends=True)


COMMAND = command.Command(
    MODEL,
    train,
    hparams=HParams,
    doc=__doc__,
    backend=backend.PyTorch(),
    read_data=mnist.read_raw,
)


def main(argv=None):
    return COMMAND.main(argv)


if __name__ == "__main__":
    command.run(main)
