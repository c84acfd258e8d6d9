"""The ring GAN (seed 001) apart from any framework: its hyper-parameters and its display.

`HParams` and `RingDisplay` serve its TF1 reference and its port alike. The display is what a
See_GANs run shows and writes besides its printed lines:

- Every 50 steps See_GANs drew a live window: 1000 fresh real points and `generate(1000)`.
  Those draws come from NumPy's global generator, so both frameworks make them on every run;
  the window itself is drawn only with `--live` on a GUI backend.
- Every `disp_freq` steps, `display()`: 1000 fresh real points and `generate(1000)` saved as
  `_<epoch>.png` (figures/ring.py), plus the mode coverage of 2,500 generated points in
  metrics.jsonl and coverage.png. The coverage noise comes from its own generator
  (`np.random.default_rng(seed)`), so measuring changes no number the original printed.
- At the end (or when a NaN stops the run): generate_animation.gif, the frames at 200 ms each.
"""

import dataclasses

import matplotlib
import numpy as np

from figures import ring as ring_figures
from harness import cli
from inputs import ring


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


COVERAGE_POINTS = 2500  # Metz et al. 2017 / VEEGAN measure coverage on 2,500 samples.


class RingDisplay:
    """The live plot, display() frames, coverage records and the GIF of one run."""

    def __init__(self, out, mixture, seed, num_z, live=False):
        self.out, self.mixture, self.num_z, self.live = out, mixture, num_z, live
        self.coverage_rng = np.random.default_rng(seed)
        self.last_live = None  # The live layer; drawn under every frame after the first.
        self.frames, self.records = [], []
        self._pyplot = None
        if live:
            if matplotlib.get_backend().lower() in ("agg", "pdf", "ps", "svg", "cairo", "template"):
                raise cli.UserError(
                    f"--live needs a GUI matplotlib backend, but the backend is "
                    f"{matplotlib.get_backend()}; set MPLBACKEND (e.g. TkAgg) or drop --live."
                )
            import matplotlib.pyplot as pyplot

            self._pyplot = pyplot
            pyplot.ion()

    def live_plot(self, generate):
        """Every 50 steps: the original's 1000 real points, then generate(1000)."""
        real = ring.sample(self.mixture, 1000)
        generated = generate(1000)
        if self.frames:  # After the first display() the live plot drew into its figure.
            self.last_live = (real, generated)
        if self._pyplot is not None:
            plt = self._pyplot
            plt.cla()
            plt.scatter(
                real[:, 0], real[:, 1], s=5, marker="+", color="r", alpha=0.8, label="real data"
            )
            plt.scatter(
                generated[:, 0],
                generated[:, 1],
                s=5,
                marker="x",
                color="b",
                alpha=0.8,
                label="generated data",
            )
            plt.legend(loc="upper left")
            plt.xlim(*ring_figures.XLIM)
            plt.ylim(*ring_figures.YLIM)
            plt.draw()
            plt.pause(0.01)

    def display(self, epoch, generate, generate_from, losses):
        """display(1000): real points, then generate(1000); save the frame; log coverage."""
        real = ring.sample(self.mixture, 1000)
        generated = generate(1000)
        figure = ring_figures.frame(real, generated, live=self.last_live)
        name = f"_{epoch}.png"
        self.out.save_figure(figure, name)
        self.frames.append(self.out.path / name)
        z = self.coverage_rng.normal(size=(COVERAGE_POINTS, self.num_z))
        record = {"epoch": epoch, **losses, **ring.coverage(generate_from(z), self.mixture)}
        self.records.append(record)
        self.out.image("samples", self.out.path / name, epoch)
        self.out.record(epoch, ("modes_covered", "high_quality_fraction"), **record)
        self.out.save_figure(
            ring_figures.coverage_plot(self.records, modes=record["modes"]), "coverage.png"
        )
        return record

    def state(self):
        """What a checkpoint keeps of the display: coverage generator, live layer, frames."""
        live = None if self.last_live is None else [a.tolist() for a in self.last_live]
        return {
            "coverage_rng": self.coverage_rng.bit_generator.state,
            "last_live": live,
            "frames": [p.name for p in self.frames],
            "records": self.records,
        }

    def set_state(self, state):
        self.coverage_rng.bit_generator.state = state["coverage_rng"]
        live = state["last_live"]
        self.last_live = None if live is None else tuple(np.asarray(a) for a in live)
        self.frames = [self.out.path / name for name in state["frames"]]
        self.records = list(state["records"])

    def finish(self):
        """The blog's generate_animation: generate_animation.gif from the saved frames."""
        return ring_figures.write_animation(self.frames, self.out.path / "generate_animation.gif")
