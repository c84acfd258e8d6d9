"""PyTorch port of TwistedW's See_GANs 8-mode ring GAN (seed 001), cross-checked against TF1.

The port computes what `tf1_reference/ring_gan.py` computes: G 256 -> relu 128 -> relu 128
-> 2 and D 2 -> relu 128 -> relu 128 -> sigmoid 1, weights N(0, 0.01) and zero biases, the raw
logs of the sigmoid outputs without epsilon or clamping (so not `BCELoss`, which clamps each
log at -100), Adam 2e-4 with beta1 0.5, the same loop, draws, prints, frames and GIF. Data and
noise come from NumPy's global generator exactly as in the reference, so the same `--seed`
feeds both the same numbers; only the initial weights come from torch's generator.

Source: TwistedW/See_GANs@57b3da7 GAN.py, ops.py, utils.py, main.py and the blog post (seed
    001). Facts: docs/originals.md section 2; the reference: tf1_reference/ring_gan.py.

Run:
    python -m ports.ring_gan                                 # main.py's 100,000 epochs (~8 min)
    python -m ports.ring_gan --num-epochs 10000              # to all 8 modes (~50 s)
    python -m ports.ring_gan --num-epochs 400 --disp-freq 200   # a smoke run (~3 s)

Deviations: (from the TF1 reference; the reference lists its own from the original)
- Initial weights come from `torch.manual_seed(seed)`, not TF's graph seed, so the printed
  numbers differ from the reference's from the first line on (`python -m crosscheck ring_gan`
  shows that, given the same weights and batches, the two agree to 1e-12 in float64).
- `torch.optim.Adam` adds epsilon to sqrt(v_hat); TF1 adds it to sqrt(v) before the bias
  correction (crosscheck/tf_adam.py). With lr 2e-4 the difference stays near 1e-7 per weight.
- The G step recomputes D on G(z) with D's updated weights, as the TF graph does; the D step
  detaches G(z) instead of listing D's variables (the same gradients).
- Speed: D's parameters are frozen in the G step, so D's weight gradients, which
  TF's G step never computes, are skipped (no number changes). `--fused-adam` swaps in
  `torch.optim.Adam(fused=True)`: faster, and about 1 ulp per step off the default's rounding.
- The default Adam is ports/flat_adam.py's `FlatAdam`, not `torch.optim.Adam` itself: torch's
  CPU arithmetic, op for op, run once over one flat buffer of every moment instead of once per
  tensor, which saves per-call overhead. Weights, moments and checkpoints come out as
  torch.optim.Adam's, bit for bit (tests/test_bench.py compares the two over 120 steps and
  across a resume); on a GPU it runs torch.optim.Adam's own step.
- `--fast` (opt-in; recorded in hparams.json, and a run resumes only in the mode it was made
  in): the D step and the G step, Adam included, compiled as one function
  (`torch.compile(fullgraph=True)`, ports/whole_step.py; the first step compiles for seconds),
  and the training z drawn in float32 from NumPy's PCG64 generator seeded with --seed
  (`FastNoise`, kept in the checkpoints) instead of the global generator's float64
  `np.random.normal`. It changes rounding and random streams, not the model or its
  distributions; docs/speed.md has its speed.
- Subnormal float32 numbers (nonzero, below 2^-126): TensorFlow's CPU kernels flush them to
  zero, inputs and results, and PyTorch keeps them (`torch.set_flush_denormal(False)`, its
  default). This port meets them in Adam's first moment (`exp_avg`) of weights whose gradient is
  exactly 0 step after step (those of ReLU units that stopped firing): the moment shrinks by
  beta1 each step down through the subnormal range, where TF's is flushed to 0 as soon as it
  falls below 2^-126. `python -m report.denormals` (1,000 steps on an Intel Xeon with AVX-512
  and AMX, one thread) counted 137,005 subnormal results, all of them those moments (D's from
  its step 84); the same run with flush-to-zero on ends with every weight the same bit for bit
  and 19 moment values different (docs/crosscheck.md).
- Added: a checkpoint every `--checkpoint-every` steps, at the end and on Ctrl-C/SIGTERM
  (`<out>/checkpoints/`), `--resume RUN_DIR` (on a CPU the resumed run prints and writes what
  the uninterrupted one does), `--on-nan stop|continue`, TensorBoard event files in the run
  folder (torch.utils.tensorboard.SummaryWriter) and a tqdm progress bar on a terminal. None
  changes a number.
"""

import dataclasses
import functools

import numpy as np
import torch
from torch import nn

from harness import checkpoints, cli, ring_display
from inputs import ring
from ports import command, frozen, whole_step

MODEL = "ring_gan"
SEED = 6789  # GAN.__init__ random_seed=6789; main.py passes 6789 too.
# See_GANs fit()'s prints and live plot, verbatim.
LOSS_LINE = "Epoch: [%4d/%4d] , d_loss: %.8f, g_loss: %.8f"
PRINT_EVERY = 200  # The loss line when epoch % 200 == 0 (before the increment).
LIVE_EVERY = 50  # The live plot when epoch % 50 == 0 (after the increment).
INIT_STDDEV = 0.01  # See_GANs ops.linear: tf.random_normal_initializer(stddev=0.01).


@dataclasses.dataclass(frozen=True)
class HParams:
    num_z: int = 256  # main.py --num_z 256: number of noise variables
    hidden_size: int = 128  # main.py --hidden_size 128: units of each hidden layer
    batch_size: int = 512  # main.py --batch_size 512: real points and z rows per step
    learning_rate: float = 0.0002  # main.py --learning_rate 0.0002: Adam, beta1 0.5, both nets
    beta1: float = 0.5  # GAN._create_optimizer: AdamOptimizer(lr, beta1=0.5)
    num_epochs: int = 100000  # main.py --num_epochs 100000: one D step + one G step each
    disp_freq: int = 5000  # main.py --disp_freq 5000: save _<epoch>.png every this many epochs
    mixture: str = cli.choice("ring", "two-gaussians")  # main.py's ring, or the two Gaussians
    g_loss: str = cli.choice("blog", "repo")  # blog: -mean(log d_g); GAN.py: mean(log(1 - d_g))
    on_nan: str = cli.choice("stop", "continue")  # a NaN/inf loss stops the run, or goes on
    live: bool = False  # the original's live window every 50 steps (needs a GUI backend)


class Generator(nn.Module):
    """z (B, num_z) -> relu h -> relu h -> (B, 2): `generator/g_hidden1, g_hidden2, g_out`."""

    def __init__(self, num_z=256, hidden_size=128):
        super().__init__()
        self.g_hidden1 = nn.Linear(num_z, hidden_size)
        self.g_hidden2 = nn.Linear(hidden_size, hidden_size)
        self.g_out = nn.Linear(hidden_size, 2)

    def forward(self, z):
        hidden = torch.relu(self.g_hidden1(z))
        return self.g_out(torch.relu(self.g_hidden2(hidden)))


class Discriminator(nn.Module):
    """x (B, 2) -> relu h -> relu h -> sigmoid (B, 1): a probability, as the original's D."""

    def __init__(self, hidden_size=128):
        super().__init__()
        self.d_hidden1 = nn.Linear(2, hidden_size)
        self.d_hidden2 = nn.Linear(hidden_size, hidden_size)
        self.d_out = nn.Linear(hidden_size, 1)

    def forward(self, x):
        hidden = torch.relu(self.d_hidden2(torch.relu(self.d_hidden1(x))))
        return torch.sigmoid(self.d_out(hidden))


# TF1 variable -> (port parameter, layout); see ports/layouts.py.
NAME_MAP = {
    f"{scope}/{layer}/{kind}": (f"{module}.{layer}.{attr}", layout)
    for scope, module, layers in (
        ("generator", "generator", ("g_hidden1", "g_hidden2", "g_out")),
        ("discriminator", "discriminator", ("d_hidden1", "d_hidden2", "d_out")),
    )
    for layer in layers
    for kind, attr, layout in (("weights", "weight", "dense"), ("biases", "bias", "same"))
}


def initialize(modules):
    """ops.linear's initializers: weights N(0, 0.01) (untruncated), biases 0."""
    for module in modules:
        for layer in module.modules():
            if isinstance(layer, nn.Linear):
                nn.init.normal_(layer.weight, mean=0.0, std=INIT_STDDEV)
                nn.init.zeros_(layer.bias)


def discriminator_loss(d_x, d_g):
    """-mean(log D(x) + log(1 - D(G(z)))): raw logs of probabilities, no epsilon, no clamp."""
    return -torch.mean(torch.log(d_x) + torch.log(1 - d_g))


def generator_loss(d_g, form="blog"):
    """blog: -mean(log D(G(z))) (non-saturating); repo: mean(log(1 - D(G(z)))) (saturating)."""
    if form == "blog":
        return -torch.mean(torch.log(d_g))
    return torch.mean(torch.log(1 - d_g))


def d_step(G, D, opt_D, x, z):
    """fit()'s D update on 512 real points and 512 z; returns d_loss before the update."""
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(x), D(G(z).detach()))
    d_loss.backward()
    opt_D.step()
    return d_loss.detach()


def g_step(G, D, opt_G, z, form="blog"):
    """fit()'s G update on its own fresh z; D is not stepped. Returns g_loss before the update."""
    opt_G.zero_grad()
    # D frozen: no gradient for D's weights, which TF's G step never computes.
    with frozen(D):
        g_loss = generator_loss(D(G(z)), form)
        g_loss.backward()
    opt_G.step()
    return g_loss.detach()


def whole_D_loss(D, G, x, z_d, z_g):
    """`d_step`'s loss for --fast's compiled step (D and G: callables)."""
    return discriminator_loss(D(x), D(G(z_d)))


def whole_G_loss(D, G, x, z_d, z_g, form="blog"):
    """`g_step`'s loss for --fast's compiled step."""
    return generator_loss(D(G(z_g)), form)


def train_step(G, D, opt_D, opt_G, x, z_d, z_g, form="blog"):
    """One "epoch" of See_GANs: D step on (x, z_d), then G step on z_g; returns both losses."""
    return d_step(G, D, opt_D, x, z_d).item(), g_step(G, D, opt_G, z_g, form).item()


def make_optimizers(G, D, hp, fused_adam=False):
    """GAN._create_optimizer for D then G: Adam(lr, beta1=0.5), beta2 0.999, eps 1e-8."""
    betas = (hp.beta1, 0.999)
    opt_D = command.adam(D.parameters(), fused_adam, lr=hp.learning_rate, betas=betas)
    opt_G = command.adam(G.parameters(), fused_adam, lr=hp.learning_rate, betas=betas)
    return opt_D, opt_G


class FastNoise:
    """--fast's training z: N(0, 1) in float32 from NumPy's PCG64 generator (its ziggurat),
    seeded with --seed, in place of the global generator's float64 `np.random.normal`, whose
    two 512 x 256 draws were about half of an iteration. The same law, another stream; a
    checkpoint keeps the generator's state (`state()`, `set_state()`)."""

    def __init__(self, seed):
        self.rng = np.random.Generator(np.random.PCG64(seed))

    def normal(self, shape):
        return self.rng.standard_normal(shape, dtype=np.float32)

    def state(self):
        return checkpoints.generator_state(self.rng)

    def set_state(self, state):
        checkpoints.set_generator_state(self.rng, state)


@torch.no_grad()
def generate_from(G, zs, batch_size, device):
    """GAN.generate given its noise: G on chunks of `batch_size` rows, float64 NumPy out."""
    g = np.zeros([len(zs), 2])
    for start, end in ring.make_batches(len(zs), batch_size):
        chunk = torch.as_tensor(zs[start:end], dtype=torch.float32, device=device)
        g[start:end] = G(chunk).cpu().numpy()
    return g


def train(hp, out, seed=SEED, device="cpu", hooks=None, fused_adam=False, fast=False):
    """The reference's loop (GAN.fit); returns the last coverage record.

    `hooks` (harness/hooks.py) adds checkpoints, --resume, progress and TensorBoard; without
    them the loop stops on a NaN loss unless --on-nan continue.
    """
    hooks = hooks or command.Hooks(on_nan=hp.on_nan)
    mixture = ring.MIXTURES[hp.mixture]
    np.random.seed(seed)
    torch.manual_seed(seed)
    G = Generator(hp.num_z, hp.hidden_size).to(device)
    D = Discriminator(hp.hidden_size).to(device)
    initialize([G, D])
    opt_D, opt_G = make_optimizers(G, D, hp, fused_adam or fast)
    as_tensor = lambda a: torch.as_tensor(a, dtype=torch.float32, device=device)  # noqa: E731

    def generate(num_samples):  # GAN.generate: zs from NumPy's global generator.
        zs = np.random.normal(0.0, 1.0, [num_samples, hp.num_z])
        return generate_from(G, zs, hp.batch_size, device)

    view = ring_display.RingDisplay(out, mixture, seed, hp.num_z, live=hp.live)
    coverage_of = lambda zs: generate_from(G, zs, hp.batch_size, device)  # noqa: E731
    noise = FastNoise(seed) if fast else None
    hooks.track(view, *[noise] if fast else []).attach(
        command.ModuleState(G=G, D=D, opt_G=opt_G, opt_D=opt_D)
    )

    # --fast: both steps compiled as one (ports/whole_step.py).
    step = (
        whole_step.WholeStep(
            G, D, opt_D, opt_G, whole_D_loss, functools.partial(whole_G_loss, form=hp.g_loss)
        )
        if fast
        else None
    )

    def draw_z():  # The original's draw, or --fast's.
        shape = [hp.batch_size, hp.num_z]
        return noise.normal(shape) if fast else np.random.normal(0.0, 1.0, shape)

    record = view.records[-1] if view.records else None
    try:
        for epoch in hooks.steps(hp.num_epochs):
            x = ring.sample(mixture, hp.batch_size)
            z_d = draw_z()
            if fast:  # z_g drawn before the D step: a draw of its own stream, so the same z_g.
                d_loss, g_loss = step(as_tensor(x), as_tensor(z_d), as_tensor(draw_z()))
            else:
                d_loss = d_step(G, D, opt_D, as_tensor(x), as_tensor(z_d))
                z_g = draw_z()
                g_loss = g_step(G, D, opt_G, as_tensor(z_g), hp.g_loss)
            # One device sync per step for both losses (the reference fetches them each step).
            d_loss, g_loss = torch.stack([d_loss, g_loss]).tolist()
            if epoch % PRINT_EVERY == 0:
                out.print(LOSS_LINE % (epoch, hp.num_epochs, d_loss, g_loss))
                out.metric(epoch=epoch, d_loss=d_loss, g_loss=g_loss)
                out.scalars(epoch, d_loss=d_loss, g_loss=g_loss)
            hooks.step(
                f"step {epoch} (the raw log of a saturated sigmoid; frames saved)",
                d_loss=d_loss,
                g_loss=g_loss,
            )
            if (epoch + 1) % LIVE_EVERY == 0:
                view.live_plot(generate)
            if (epoch + 1) % hp.disp_freq == 0:
                losses = {"d_loss": d_loss, "g_loss": g_loss}
                record = view.display(epoch + 1, generate, coverage_of, losses)
        hooks.end()
    finally:
        view.finish()  # The blog's generate_animation, also after a stop.
    return record


def main(argv=None):
    return command.main(argv, MODEL, HParams, __doc__, train, SEED)


if __name__ == "__main__":
    checkpoints.run(main)
