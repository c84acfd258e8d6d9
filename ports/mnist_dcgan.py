"""PyTorch port of the seed-002 tf.layers MNIST DCGAN, cross-checked against the TF1 graph.

It trains what `tf1_reference/mnist_dcgan.py` trains (with its stride fix): the NCHW networks of
ports/mnist_dcgan_networks.py (TF's SAME padding and BatchNorm conventions, its variable names),
sigmoid cross-entropy on logits, one Adam(0.0002) per network, in the same three phases;
checkpoints are state_dicts.

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
- Checkpoint: `<out>/models/gan.pt` (G, D, both Adam states and the random streams the next
  phase continues, as the reference's `gan.ckpt.streams.json`), written then renamed.
- The printed `cost` is computed as the reference computes it (`cost_of`), so the same losses
  print the same digits in both frameworks.
- Speed, no number changed: Adam is `foreach=True` (multi-tensor kernels) and D's
  parameters are frozen in the G step (TF's G step computes no gradient for D's weights).
  `--fused-adam` swaps in `torch.optim.Adam(fused=True)`: faster, and about 1 ulp per step
  off the default's rounding.
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
"""

import pathlib
import random
import time

import numpy as np
import torch
from torch import nn

from figures import digits
from harness import checkpoint_format, command
from inputs import mnist
from models.mnist_dcgan import HParams  # The hyper-parameters, shared with the reference.
from ports import backend, frozen
from ports.fast import mnist_dcgan as fast
from ports.mnist_dcgan_networks import Discriminator, Generator, initialize

# Read from the port by the cross-check, the converter and the lessons: the networks' TF1 names.
from ports.mnist_dcgan_networks import BUFFER_MAP, D_SLOPE, NAME_MAP  # noqa: F401

MODEL = "mnist_dcgan"
CHECKPOINT = pathlib.Path("models") / "gan.pt"
PHASES = command.Phases(
    names=("train", "train-d", "test"),  # The seed's three sessions, as in the TF1 reference.
    help="the seed's session: train (D and G, then save), train-d (restore, D alone, save) "
    "or test (restore, draw)",
    checkpoint=CHECKPOINT,
)


def generator_of(hp):
    """The Generator `train` builds for `hp` (tools that load a run's weights build it here)."""
    return Generator(hp.noise_dim)


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


def run_epochs(G, D, optimizers, hp, *, datasets, run, sample_noise, hooks):
    """The seed's epoch loop (`train`: D and G; `train-d`: D alone); prints its cost line.

    `optimizers` is (opt_D, opt_G); `hooks` (harness/hooks.py): the NaN stop, checkpoints,
    --resume, progress, TensorBoard, and `--max-steps` (ours), which ends the phase after that
    many steps in all.
    """
    out, phase, device = run.out, run.phase, run.device
    train_set = datasets.train
    total_batch = int(train_set.num_examples / hp.batch_size)
    for epoch in hooks.epochs(hp.epochs, steps_per_epoch=total_batch):
        started, avg_cost = time.time(), 0
        for i in hooks.batches(range(total_batch)):  # Fewer when --max-steps ends the phase.
            batch_xs, _ = train_set.next_batch(hp.batch_size)
            noise = np.random.uniform(-1.0, 1.0, size=[hp.batch_size, hp.noise_dim]).astype(
                np.float32
            )
            images, noise = real_batch(batch_xs, hp, device), torch.as_tensor(noise, device=device)
            loss_D, loss_G = train_step(G, D, *optimizers, images, noise, phase == "train")
            hooks.step(f"epoch {epoch + 1} step {i + 1}", loss_D=loss_D, loss_G=loss_G)
            avg_cost += cost_of(loss_D, loss_G) / total_batch
        steps = i + 1
        out.print("Epoch:", "%04d" % (epoch + 1), "cost=", "{:.9f}".format(avg_cost))
        seconds = time.time() - started
        losses = {"cost": avg_cost, "loss_D": loss_D, "loss_G": loss_G}
        timing = {"seconds": seconds, "seconds_per_step": seconds / steps}
        record = dict(phase=phase, epoch=epoch + 1, steps=steps, **losses, **timing)
        out.record(epoch + 1, losses, prefix=f"{phase}/", **record)  # TensorBoard: the losses.
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


def train(hp, run, hooks=None):
    """One of the seed's three sessions (`run.phase`), as the reference's `train`. `run`
    (ports/backend.py): the seed, the run folder, the MNIST folder, the checkpoint a later
    phase restores, the device, --fused-adam and --fast; `hooks` (harness/hooks.py):
    checkpoints, --resume, progress, TensorBoard and --max-steps."""
    hooks = hooks or command.Hooks()
    out, device = run.out, run.device
    np.random.seed(run.seed)
    random.seed(run.seed)
    torch.manual_seed(run.seed)
    datasets = mnist.read_data_sets(run.data_dir, one_hot=True, rng=run.seed)
    G, D = Generator(hp.noise_dim).to(device), Discriminator().to(device)
    initialize([G, D])
    if run.fast:  # Channels-last convolutions and oneDNN's dense products, on a CPU.
        G, D = fast.modules(G, D, device)
    # foreach: multi-tensor Adam, the same arithmetic bit for bit, fewer kernel calls.
    fused = run.fused_adam or run.fast
    opt_D = backend.adam(D.parameters(), fused, lr=hp.learning_rate, foreach=True)
    opt_G = backend.adam(G.parameters(), fused, lr=hp.learning_rate, foreach=True)
    sample_noise = np.random.uniform(-1.0, 1.0, size=[16, hp.noise_dim]).astype(np.float32)
    objects = {"generator": G, "discriminator": D, "optimizer_D": opt_D, "optimizer_G": opt_G}
    if run.restore:  # The seed's sessions share one process: continue the previous one's streams.
        streams = backend.restore_phase(run.restore, objects, MODEL, device)
        sample_noise = checkpoint_format.continue_streams(streams, datasets.train, sample_noise)
    if run.phase == "test":
        return test(G, hp, datasets, out, device)
    noise = checkpoint_format.Kept(sample_noise)
    state = backend.ModuleState(G=G, D=D, opt_G=opt_G, opt_D=opt_D)
    hooks.track(datasets.train, noise).attach(state, first_logged=1)
    optimizers = (opt_D, opt_G)
    run_epochs(
        G, D, optimizers, hp, datasets=datasets, run=run, sample_noise=noise.value, hooks=hooks
    )
    streams = checkpoint_format.streams(datasets.train, sample_noise=noise.value)
    out.print("Model saved in path: %s" % backend.save_phase(objects, out, CHECKPOINT, streams))


COMMAND = command.Command(
    MODEL,
    train,
    hparams=HParams,
    doc=__doc__,
    backend=backend.PyTorch(),
    read_data=mnist.read_raw,
    phases=PHASES,
)


def main(argv=None):
    return COMMAND.main(argv)


if __name__ == "__main__":
    command.run(main)
