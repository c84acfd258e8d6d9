"""PyTorch port of the seed-002 tf.layers MNIST DCGAN, cross-checked against the TF1 graph.

NCHW modules that compute what `tf1_reference/mnist_dcgan.py` computes (with its stride fix):
TF's SAME padding reproduced exactly (stride-2 conv: pad 1 before and 2 after, not
`padding=2`; stride-2 conv-transpose: the full output cropped from row and column 1), BatchNorm
with TF's momentum 0.99 and epsilon 1e-3 (`momentum=0.01, eps=1e-3`) always in training mode,
LeakyReLU 0.2, sigmoid cross-entropy on logits, Glorot-uniform weights and zero biases, one
Adam(0.0002) per network. The same three phases; checkpoints are state_dicts.

Source: the seed text (seed 002's text); docs/originals.md section 3 and 6.3;
    docs/anchors.md pitfalls 3.2-3.5.

Run: (CPU: see README for the time per epoch)
    python -m ports.mnist_dcgan train --out runs/dcgan-pt           # 20 epochs, then a checkpoint
    python -m ports.mnist_dcgan train-d --restore runs/dcgan-pt --out runs/dcgan-pt-d
    python -m ports.mnist_dcgan test --restore runs/dcgan-pt-d --out runs/dcgan-pt-test
    python -m ports.mnist_dcgan train --epochs 1 --max-steps 20     # a smoke run (~20 s)

Deviations: (from the TF1 reference, which lists the seed's own fixes)
- Initial weights come from torch's generator (`torch.manual_seed(seed)`), not TF's.
- `torch.optim.Adam` adds epsilon to sqrt(v_hat), TF1 to sqrt(v); `python -m crosscheck
  mnist_dcgan` measures the difference and `--adam tf` removes it there.
- The dense layer after D's flatten and the one before G's reshape see NCHW (c, h, w) order
  where TF sees (h, w, c); `NAME_MAP` permutes their rows, columns and bias accordingly.
- PyTorch updates BatchNorm's running statistics in every training-mode forward (running_var
  with Bessel's correction); TF's are never updated here. Neither is ever used: D always
  normalises with the batch's own statistics, as the seed's `training=True`.
- Checkpoint: `<out>/models/gan.pt` (G, D, both Adam states and the random streams the next
  phase continues, as the reference's `gan.ckpt.streams.json`), written then renamed.
- The printed `cost` is computed as the reference computes it (`cost_of`), so the same losses
  print the same digits in both frameworks.
- D's `tf.maximum(x * 0.2, x)` is `F.leaky_relu(x, negative_slope=0.2)`: the same values and
  gradients bit for bit where 0.2x != x, and at x = 0 TF's gradient, 0.2 (TF's Maximum gives a
  tie to its first argument; `torch.maximum`, which the port used before, splits it, 0.6). At
  x = +inf, a tie too, TF's gradient is 0.2 and leaky_relu's 1; a run with finite losses never
  gets there (an infinite activation makes the loss infinite or NaN). The
  models start with zero biases, so in a run's first step about half of conv1's outputs (black
  patches) are exact ties: there D's first bias now gets TF's gradient, and a run from a given
  seed differs from the earlier port's from step 1 on (tests/test_mnist_dcgan.py).
- Speed, no number changed: Adam is `foreach=True` (multi-tensor kernels) and D's
  parameters are frozen in the G step (TF's G step computes no gradient for D's weights).
  `--fused-adam` swaps in `torch.optim.Adam(fused=True)`: faster, and about 1 ulp per step
  off the default's rounding.
- `--fast` (opt-in; recorded in hparams.json, and a run resumes only in the mode it was made
  in): `torch.optim.Adam(fused=True)`, as `--fused-adam`; on a CPU, channels-last weights (so
  oneDNN convolves NHWC maps with its brgemm kernels) and the dense layers' products through
  oneDNN (ports/onednn.py). It changes rounding, not the model or its distributions;
  docs/speed.md has its speed.
- Subnormal float32 numbers (nonzero, below 2^-126): TensorFlow's CPU kernels flush them to
  zero, inputs and results, and PyTorch keeps them (`torch.set_flush_denormal(False)`, its
  default). This port met none in `python -m report.denormals`'s run (50 steps: 0 of
  1,746,839,264 float32 results, weights, gradients and Adam moments included, on an Intel Xeon
  with AVX-512 and AMX, one thread), so there TensorFlow's flush changes nothing
  (docs/crosscheck.md).
- Added: a checkpoint every `--checkpoint-every` steps, at the end and on Ctrl-C/SIGTERM
  (`<out>/checkpoints/`), `--resume RUN_DIR` (on a CPU the resumed run prints and writes what
  the uninterrupted one does), `--on-nan stop|continue`, TensorBoard event files in the run
  folder (torch.utils.tensorboard.SummaryWriter) and a tqdm progress bar on a terminal. None
  changes a number.
- `--resume` continues a `train` or `train-d` phase; its checkpoints are separate from
  the seed's `models/` checkpoint, which `--restore` reads as before.
- Added for the cross-check: `Generator.forward` and `Discriminator.forward` take `layers=`
  (a dict that receives each layer's output).
"""

import contextlib
import dataclasses
import pathlib
import random
import time

import numpy as np
import torch
from torch import nn

from figures import digits
from harness import checkpoints, cli
from inputs import mnist
from ports import command, frozen, onednn

MODEL = "mnist_dcgan"
PHASES = ("train", "train-d", "test")  # The seed's three sessions, as in the TF1 reference.
CHECKPOINT = pathlib.Path("models") / "gan.pt"
# tf.nn.leaky_relu's alpha is a float32 op attribute, so even a float64 graph multiplies by
# float32(0.2) = 0.20000000298...; D's max(0.2x, x) uses 0.2 in the graph's own dtype.
LEAKY_SLOPE = float(np.float32(0.2))
# D's `tf.maximum(x * 0.2, x)` in the graph's own dtype, as `F.leaky_relu(x, 0.2)`: the same
# values and gradients bit for bit wherever 0.2x != x. The ties are +-0 and +-inf, where TF's
# Maximum gives the gradient to its first argument, 0.2x, so 0.2 at all four; leaky_relu's
# gradient is 1 where x > 0 and 0.2 elsewhere: TF's 0.2 at +-0 and -inf (`torch.maximum` splits
# a tie, 0.6), but 1 at +inf, where TF gives 0.2. An infinite activation makes the loss
# infinite or NaN, so a run with finite losses meets only the zeros. Its backward is one pass,
# not a chain of masks (tests/test_mnist_dcgan.py).
D_SLOPE = 0.2


@dataclasses.dataclass(frozen=True)
class HParams:
    epochs: int = 20  # seed: num_epoch = 20, in both training sessions
    batch_size: int = 64  # seed: batch_size = 64; total_batch = int(55000 / 64) = 859
    learning_rate: float = 0.0002  # seed: learning_rate = 0.0002 for both AdamOptimizers
    noise_dim: int = 100  # seed: noise_placeholder shape [None, 100], U(-1, 1) noise
    sample_every: int = 5  # seed: if (epoch+1) % 5 == 0: plot_samples(samples[:16])
    test_size: int = 1000  # seed: test_set.next_batch(1000) and 1000 noise vectors
    real_scale: str = cli.choice("as-written", "tanh")  # seed: [0, 1] images against tanh

    @property
    def lr_D(self):
        return self.learning_rate

    @property
    def lr_G(self):
        return self.learning_rate


def same_conv_transpose(layer, x):
    """TF conv2d_transpose 'SAME', stride s: the full (padding 0) output, cropped to s * in.

    The full output has (in - 1) s + k rows; TF keeps s * in of them, dropping k - s = 3 in all:
    (k - s) // 2 = 1 before and 2 after, so out[1 : 1 + s * in] (docs/anchors.md pitfall 3.3).
    """
    full = layer(x)
    size = x.shape[-1] * layer.stride[0]
    before = (full.shape[-1] - size) // 2
    return full[..., before : before + size, before : before + size]


class Generator(nn.Module):
    """z (B, 100) -> 128 -> 7*7*128 -> (B, 128, 7, 7) -> 64 x 14 x 14 -> 1 x 28 x 28, tanh."""

    def __init__(self, noise_dim=100):
        super().__init__()
        self.dense = nn.Linear(noise_dim, 128)
        self.dense_1 = nn.Linear(128, 7 * 7 * 128)
        self.conv2d_transpose = nn.ConvTranspose2d(128, 64, kernel_size=5, stride=2)
        self.conv2d_transpose_1 = nn.ConvTranspose2d(64, 1, kernel_size=5, stride=2)

    def forward(self, noise, layers=None):
        leaky = nn.functional.leaky_relu
        fc1 = leaky(self.dense(noise), negative_slope=LEAKY_SLOPE)
        fc2 = leaky(self.dense_1(fc1), negative_slope=LEAKY_SLOPE)
        x = fc2.view(-1, 128, 7, 7)  # NCHW: NAME_MAP orders dense_1's outputs as (c, h, w).
        deconv1 = leaky(same_conv_transpose(self.conv2d_transpose, x), negative_slope=LEAKY_SLOPE)
        deconv2 = same_conv_transpose(self.conv2d_transpose_1, deconv1)
        out = torch.tanh(deconv2)
        if layers is not None:
            layers.update(fc1=fc1, fc2=fc2, x=x, deconv1=deconv1, deconv2=deconv2, out=out)
        return out


class Discriminator(nn.Module):
    """(B, 1, 28, 28) -> 64 x 14 x 14 -> 128 x 7 x 7, BatchNorm -> flatten -> 1 logit."""

    def __init__(self):
        super().__init__()
        self.conv2d = nn.Conv2d(1, 64, kernel_size=5, stride=2)
        self.conv2d_1 = nn.Conv2d(64, 128, kernel_size=5, stride=2)
        # TF momentum 0.99 (weight on the old value) is PyTorch momentum 0.01.
        self.batch_normalization = nn.BatchNorm2d(128, momentum=0.01, eps=1e-3)
        self.dense = nn.Linear(7 * 7 * 128, 1)

    def forward(self, inputs, layers=None):
        """Returns (sigmoid(logits), logits), as the seed's discriminator."""
        # TF 'SAME', k 5, stride 2, even size: 3 padding rows, 1 before and 2 after.
        conv1 = self.conv2d(nn.functional.pad(inputs, (1, 2, 1, 2)))
        lrelu1 = nn.functional.leaky_relu(conv1, negative_slope=D_SLOPE)
        conv2 = self.conv2d_1(nn.functional.pad(lrelu1, (1, 2, 1, 2)))
        bn = self.batch_normalization
        # Always batch statistics, as the seed's training=True, even after .eval().
        norm2 = nn.functional.batch_norm(
            conv2,
            bn.running_mean,
            bn.running_var,
            bn.weight,
            bn.bias,
            training=True,
            momentum=bn.momentum,
            eps=bn.eps,
        )
        lrelu2 = nn.functional.leaky_relu(norm2, negative_slope=D_SLOPE)
        flat = lrelu2.flatten(1)  # (c, h, w) order; NAME_MAP permutes dense's rows to match.
        logits = self.dense(flat)
        prob = torch.sigmoid(logits)
        if layers is not None:
            names = "conv1 lrelu1 conv2 norm2 lrelu2 flat logits prob".split()
            layers.update(zip(names, (conv1, lrelu1, conv2, norm2, lrelu2, flat, logits, prob)))
        return prob, logits


# TF1 variable -> (port parameter, layout); see ports/layouts.py.
NAME_MAP = {
    "generator/dense/kernel": ("generator.dense.weight", "dense"),
    "generator/dense/bias": ("generator.dense.bias", "same"),
    "generator/dense_1/kernel": ("generator.dense_1.weight", "dense_nhwc_out:7,7,128"),
    "generator/dense_1/bias": ("generator.dense_1.bias", "nhwc_vector:7,7,128"),
    "generator/conv2d_transpose/kernel": ("generator.conv2d_transpose.weight", "conv_transpose"),
    "generator/conv2d_transpose/bias": ("generator.conv2d_transpose.bias", "same"),
    "generator/conv2d_transpose_1/kernel": (
        "generator.conv2d_transpose_1.weight",
        "conv_transpose",
    ),
    "generator/conv2d_transpose_1/bias": ("generator.conv2d_transpose_1.bias", "same"),
    "discriminator/conv2d/kernel": ("discriminator.conv2d.weight", "conv"),
    "discriminator/conv2d/bias": ("discriminator.conv2d.bias", "same"),
    "discriminator/conv2d_1/kernel": ("discriminator.conv2d_1.weight", "conv"),
    "discriminator/conv2d_1/bias": ("discriminator.conv2d_1.bias", "same"),
    "discriminator/batch_normalization/gamma": ("discriminator.batch_normalization.weight", "same"),
    "discriminator/batch_normalization/beta": ("discriminator.batch_normalization.bias", "same"),
    "discriminator/dense/kernel": ("discriminator.dense.weight", "dense_nhwc_in:7,7,128"),
    "discriminator/dense/bias": ("discriminator.dense.bias", "same"),
}

# TF1's BatchNorm moving statistics -> the port's buffers, for checkpoints (convert/checkpoint.py).
# Neither framework reads them here (D always normalises with batch statistics).
BUFFER_MAP = {
    "discriminator/batch_normalization/moving_mean": (
        "discriminator.batch_normalization.running_mean",
        "same",
    ),
    "discriminator/batch_normalization/moving_variance": (
        "discriminator.batch_normalization.running_var",
        "same",
    ),
}


def generator_of(hp):
    """The Generator `train` builds for `hp` (tools that load a run's weights build it here)."""
    return Generator(hp.noise_dim)


def initialize(modules):
    """tf.layers defaults: Glorot-uniform kernels, zero biases; BatchNorm gamma 1, beta 0."""
    for module in modules:
        for layer in module.modules():
            if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.xavier_uniform_(layer.weight)  # Same fans as TF for HWIO and OIHW.
                nn.init.zeros_(layer.bias)


def fast_modules(G, D, device):
    """--fast on a CPU: channels-last weights, so oneDNN runs every convolution on NHWC maps
    with its brgemm kernels, and the dense layers' products through oneDNN (ports/onednn.py)."""
    if torch.device(device).type != "cpu":
        return G, D
    G, D = (module.to(memory_format=torch.channels_last) for module in (G, D))
    onednn.use_onednn(G, D)
    return G, D


def discriminator_loss(D_logit_real, D_logit_fake):
    """loss_D = mean softplus(-D(x)) + mean softplus(D(G(z))): BCE on logits, labels 1 and 0."""
    bce = nn.functional.binary_cross_entropy_with_logits
    return bce(D_logit_real, torch.ones_like(D_logit_real)) + bce(
        D_logit_fake, torch.zeros_like(D_logit_fake)
    )


def generator_loss(D_logit_fake):
    """loss_G = mean softplus(-D(G(z))): the non-saturating loss."""
    return nn.functional.binary_cross_entropy_with_logits(
        D_logit_fake, torch.ones_like(D_logit_fake)
    )


def train_step(G, D, opt_D, opt_G, images, noise, train_G=True):
    """D on real images and G(noise), then G on the SAME noise against the updated D."""
    fake = G(noise)
    opt_D.zero_grad()
    loss_D = discriminator_loss(D(images)[1], D(fake.detach())[1])
    loss_D.backward()
    opt_D.step()
    if not train_G:
        return loss_D.item(), None
    opt_G.zero_grad()
    # D frozen: no gradient for D's weights, which TF's G step never computes.
    with frozen(D):
        # G did not change in the D step, so `fake` is the G(z) that TF's G step recomputes.
        loss_G = generator_loss(D(fake)[1])
        loss_G.backward()
    opt_G.step()
    return loss_D.item(), loss_G.item()


def cost_of(loss_D, loss_G=None):
    """The seed's `cost` as the NumPy of its day computed it: `(loss_D + loss_G) / 2` adds the
    two float32 losses in float32 and halves in float64 (NumPy 1.x promoted np.float32 / int to
    float64; NumPy 2 keeps float32), or `loss_D` alone in train-d; the seed's running
    `avg_cost += cost / total_batch` is then float64. Both frameworks print the same for the
    same losses."""
    if loss_G is None:
        return float(loss_D)
    return float(np.float32(loss_D) + np.float32(loss_G)) / 2


def real_batch(batch_xs, hp, device):
    """The flat (B, 784) batch as (B, 1, 28, 28) NCHW; optionally mapped to [-1, 1]."""
    images = torch.as_tensor(batch_xs.reshape(-1, 1, 28, 28), device=device)
    return images * 2.0 - 1.0 if hp.real_scale == "tanh" else images


def run_epochs(
    G, D, opt_D, opt_G, hp, datasets, out, phase, max_steps, sample_noise, device, hooks
):
    """The seed's epoch loop (`train`: D and G; `train-d`: D alone); prints its cost line.

    `hooks` (harness/hooks.py): the NaN stop, checkpoints, --resume, progress, TensorBoard.
    `max_steps` (ours) ends the phase after that many steps in all.
    """
    train_set = datasets.train
    total_batch = int(train_set.num_examples / hp.batch_size)
    steps_left = (max_steps or hp.epochs * total_batch) - hooks.done
    for epoch in hooks.epochs(hp.epochs, steps_per_epoch=total_batch):
        if steps_left <= 0:
            break
        started, avg_cost = time.time(), 0
        steps = min(total_batch, steps_left)  # = total_batch unless --max-steps cuts it
        for i in range(steps):
            batch_xs, _ = train_set.next_batch(hp.batch_size)
            noise = np.random.uniform(-1.0, 1.0, size=[hp.batch_size, hp.noise_dim]).astype(
                np.float32
            )
            loss_D, loss_G = train_step(
                G,
                D,
                opt_D,
                opt_G,
                real_batch(batch_xs, hp, device),
                torch.as_tensor(noise, device=device),
                phase == "train",
            )
            hooks.step(f"epoch {epoch + 1} step {i + 1}", loss_D=loss_D, loss_G=loss_G)
            avg_cost += cost_of(loss_D, loss_G) / total_batch
        steps_left -= steps
        out.print("Epoch:", "%04d" % (epoch + 1), "cost=", "{:.9f}".format(avg_cost))
        seconds = time.time() - started
        out.metric(
            phase=phase,
            epoch=epoch + 1,
            steps=steps,
            cost=avg_cost,
            loss_D=loss_D,
            loss_G=loss_G,
            seconds=seconds,
            seconds_per_step=seconds / steps,
        )
        losses = {"loss_D": loss_D} if loss_G is None else {"loss_D": loss_D, "loss_G": loss_G}
        out.scalars(
            epoch + 1,
            **{f"{phase}/cost": avg_cost},
            **{f"{phase}/{k}": v for k, v in losses.items()},
        )
        if phase == "train" and (epoch + 1) % hp.sample_every == 0:
            with torch.no_grad():
                samples = G(torch.as_tensor(sample_noise, device=device)).cpu().numpy()
            path = out.save_figure(digits.grid(samples[:16]), f"samples_epoch_{epoch + 1:04d}.png")
            out.image("samples", path, epoch + 1)
    hooks.end()


def test(G, hp, datasets, out, device):
    """The reference's test phase: 10 pairs, the seed's meaningless "Errors" count, 10 errors."""
    test_xs, _ = datasets.validation.next_batch(hp.test_size)
    noise = np.random.uniform(-1.0, 1.0, size=[hp.test_size, hp.noise_dim]).astype(np.float32)
    with torch.no_grad():
        generated_images = G(torch.as_tensor(noise, device=device)).cpu().numpy()
    for i in range(10):
        idx = random.randint(0, hp.test_size - 1)
        pair = [generated_images[idx].reshape(28, 28), test_xs[idx]]
        out.save_figure(
            digits.grid(pair, titles=["Generated images", "Real Images"]), f"pair_{i:02d}.png"
        )
    labels = np.argmax(test_xs.reshape(hp.test_size, -1), axis=1)
    predictions = np.argmax(generated_images.reshape(hp.test_size, -1), axis=1)
    errors = np.flatnonzero(labels != predictions)
    out.print("Errors:", len(errors))
    out.print(
        "(This compares the positions of the brightest pixel of a real and an unrelated "
        "generated image; the seed calls it errors, but it measures nothing.)"
    )
    out.print("Sample Errors:")
    for k, e in enumerate(errors[:10]):
        out.save_figure(
            digits.digit(generated_images[e], predictions[e]), f"error_{k:02d}_generated.png"
        )
        out.save_figure(digits.digit(test_xs[e], labels[e]), f"error_{k:02d}_real.png")
    out.metric(phase="test", errors=len(errors), test_size=hp.test_size)
    return len(errors)


def parser():
    result = command.parser(MODEL, HParams, __doc__)
    what = "the seed's session: train (D and G, then save), train-d (restore, D alone, save)"
    checkpoints.add_phase_arguments(result, PHASES, help=what + " or test (restore, draw)")
    return result


def train(
    hp,
    out,
    seed,
    device,
    hooks=None,
    fused_adam=False,
    data_dir=None,
    phase="train",
    restore=None,
    max_steps=None,
    fast=False,
):
    """One of the seed's three sessions, as the reference's `train`; `fused_adam`:
    torch.optim.Adam(fused=True)."""
    hooks = hooks or command.Hooks()
    np.random.seed(seed)
    random.seed(seed)
    torch.manual_seed(seed)
    datasets = mnist.read_data_sets(data_dir, one_hot=True, rng=seed)
    G, D = Generator(hp.noise_dim).to(device), Discriminator().to(device)
    initialize([G, D])
    if fast:
        G, D = fast_modules(G, D, device)
    # foreach: multi-tensor Adam, the same arithmetic bit for bit, fewer kernel calls.
    opt_D = command.adam(D.parameters(), fused_adam or fast, lr=hp.learning_rate, foreach=True)
    opt_G = command.adam(G.parameters(), fused_adam or fast, lr=hp.learning_rate, foreach=True)
    sample_noise = np.random.uniform(-1.0, 1.0, size=[16, hp.noise_dim]).astype(np.float32)
    objects = {"generator": G, "discriminator": D, "optimizer_D": opt_D, "optimizer_G": opt_G}
    if restore:  # The seed's sessions share one process: continue the previous phase's streams.
        streams = command.restore_phase(restore, objects, MODEL, device)
        sample_noise = checkpoints.continue_streams(streams, datasets.train, sample_noise)
    if phase == "test":
        return test(G, hp, datasets, out, device)
    noise = checkpoints.Kept(sample_noise)
    state = command.ModuleState(G=G, D=D, opt_G=opt_G, opt_D=opt_D)
    hooks.track(datasets.train, noise).attach(state, first_logged=1)
    run_epochs(G, D, opt_D, opt_G, hp, datasets, out, phase, max_steps, noise.value, device, hooks)
    streams = checkpoints.streams(datasets.train, sample_noise=noise.value)
    out.print("Model saved in path: %s" % command.save_phase(objects, out, CHECKPOINT, streams))


def main(argv=None):
    arguments = parser()
    args = arguments.parse_args(argv)
    restore = checkpoints.phase_arguments(
        args, MODEL, "pytorch", PHASES, lambda given: command.phase_path(given, CHECKPOINT)
    )
    mnist.read_raw(args.data_dir)  # First: a bad --data-dir leaves no run folder behind.
    hp, seed, device, out, run_hooks = command.start(
        args, HParams, MODEL, arguments, phase=args.phase, max_steps=args.max_steps
    )
    with out, contextlib.closing(run_hooks):
        return train(
            hp,
            out,
            seed,
            device,
            run_hooks,
            args.fused_adam,
            args.data_dir,
            args.phase,
            restore,
            args.max_steps,
            args.fast,
        )


if __name__ == "__main__":
    checkpoints.run(main)
