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

import numpy as np
import torch
from torch import nn

from harness import command
from inputs import ring
from models.ring_gan import HParams, RingDisplay  # Shared with the reference: see its docstring.
from ports import backend, frozen
from ports.fast import ring_gan as fast

MODEL = "ring_gan"
SEED = 6789  # GAN.__init__ random_seed=6789; main.py passes 6789 too.
# See_GANs fit()'s prints and live plot, verbatim.
LOSS_LINE = "Epoch: [%4d/%4d] , d_loss: %.8f, g_loss: %.8f"
PRINT_EVERY = 200  # The loss line when epoch % 200 == 0 (before the increment).
LIVE_EVERY = 50  # The live plot when epoch % 50 == 0 (after the increment).
INIT_STDDEV = 0.01  # See_GANs ops.linear: tf.random_normal_initializer(stddev=0.01).


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


def train_step(G, D, opt_D, opt_G, x, z_d, z_g, form="blog"):
    """One "epoch" of See_GANs: D step on (x, z_d), then G step on z_g; returns both losses."""
    return d_step(G, D, opt_D, x, z_d).item(), g_step(G, D, opt_G, z_g, form).item()


def make_optimizers(G, D, hp, fused_adam=False):
    """GAN._create_optimizer for D then G: Adam(lr, beta1=0.5), beta2 0.999, eps 1e-8."""
    betas = (hp.beta1, 0.999)
    opt_D = backend.adam(D.parameters(), fused_adam, lr=hp.learning_rate, betas=betas)
    opt_G = backend.adam(G.parameters(), fused_adam, lr=hp.learning_rate, betas=betas)
    return opt_D, opt_G


@torch.no_grad()
def generate_from(G, zs, batch_size, device):
    """GAN.generate given its noise: G on chunks of `batch_size` rows, float64 NumPy out."""
    g = np.zeros([len(zs), 2])
    for start, end in ring.make_batches(len(zs), batch_size):
        chunk = torch.as_tensor(zs[start:end], dtype=torch.float32, device=device)
        g[start:end] = G(chunk).cpu().numpy()
    return g


def train(hp, run, hooks=None):
    """The reference's loop (GAN.fit); returns the last coverage record.

    `run` (ports/backend.py): the seed (the original's 6789 by default), the run folder, the
    device, --fused-adam and --fast. `hooks` (harness/hooks.py) adds checkpoints, --resume,
    progress, TensorBoard and a step limit; without them the loop stops on a NaN loss unless
    --on-nan continue.
    """
    hooks = hooks or command.Hooks(on_nan=hp.on_nan)
    out, seed, device = run.out, run.seed, run.device
    mixture = ring.MIXTURES[hp.mixture]
    np.random.seed(seed)
    torch.manual_seed(seed)
    G = Generator(hp.num_z, hp.hidden_size).to(device)
    D = Discriminator(hp.hidden_size).to(device)
    initialize([G, D])
    opt_D, opt_G = make_optimizers(G, D, hp, run.fused_adam or run.fast)
    as_tensor = lambda a: torch.as_tensor(a, dtype=torch.float32, device=device)  # noqa: E731

    def generate(num_samples):  # GAN.generate: zs from NumPy's global generator.
        zs = np.random.normal(0.0, 1.0, [num_samples, hp.num_z])
        return generate_from(G, zs, hp.batch_size, device)

    view = RingDisplay(out, mixture, seed, hp.num_z, live=hp.live)
    coverage_of = lambda zs: generate_from(G, zs, hp.batch_size, device)  # noqa: E731
    if run.fast:  # Its own z and both steps as one compiled function, after the real batch.
        fast_step = fast.Iteration(
            G,
            D,
            (opt_D, opt_G),
            losses=(discriminator_loss, generator_loss),
            hp=hp,
            seed=seed,
            device=device,
        )
    hooks.track(view, *[fast_step] if run.fast else []).attach(
        backend.ModuleState(G=G, D=D, opt_G=opt_G, opt_D=opt_D)
    )
    record = view.records[-1] if view.records else None
    try:
        for epoch in hooks.steps(hp.num_epochs):
            x = ring.sample(mixture, hp.batch_size)
            if run.fast:
                d_loss, g_loss = fast_step(as_tensor(x))
            else:
                z = np.random.normal(0.0, 1.0, [hp.batch_size, hp.num_z])
                d_loss = d_step(G, D, opt_D, as_tensor(x), as_tensor(z))
                z = np.random.normal(0.0, 1.0, [hp.batch_size, hp.num_z])
                g_loss = g_step(G, D, opt_G, as_tensor(z), hp.g_loss)
            # One device sync per step for both losses (the reference fetches them each step).
            d_loss, g_loss = torch.stack([d_loss, g_loss]).tolist()
            if epoch % PRINT_EVERY == 0:
                out.print(LOSS_LINE % (epoch, hp.num_epochs, d_loss, g_loss))
                out.record(epoch, ("d_loss", "g_loss"), epoch=epoch, d_loss=d_loss, g_loss=g_loss)
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


COMMAND = command.Command(
    MODEL,
    train,
    hparams=HParams,
    doc=__doc__,
    backend=backend.PyTorch(),
    default_seed=SEED,
)


def main(argv=None):
    return COMMAND.main(argv)


if __name__ == "__main__":
    command.run(main)
