"""The ring GAN's pictures (seed 001): See_GANs' scatter frame, the coverage plot, the GIF.

`frame` draws what the original's `display()` saved as `_<epoch>.png`: ggplot style, real
points '+' red, generated 'o' blue, s=5, alpha 0.8, xlim -3..3, ylim -4..4, tight layout, on a
640x480 canvas. The original's pyplot state added one more layer: after the first `display()`
its figure became pyplot's current one, so every later live plot (every 50 steps) cleared and
redrew it (real '+', generated 'x', legend upper left), and the next `display()` drew on top.
`frame(..., live=(real, generated))` reproduces that; the first frame has no live layer, as in
the blog's GIF.
"""

import io

import imageio.v2 as imageio
import matplotlib.figure
import matplotlib.style
import numpy as np

from harness import run_folder

FRAME_MS = 200  # The blog's GIF: 15 frames of 200 ms each, looping.
XLIM, YLIM = (-3, 3), (-4, 4)  # See_GANs utils.disp_scatter and the live plot.


def _axes(figsize=(6.4, 4.8)):
    figure = matplotlib.figure.Figure(figsize=figsize, dpi=100)
    return figure, figure.add_subplot()


def frame(real, generated, live=None, title=None):
    """`display()`'s saved figure; `live` = the last live plot's (real, generated) beneath it."""
    with matplotlib.style.context("ggplot"):  # utils.py: plt.style.use('ggplot') at import.
        figure, axes = _axes()
        if live is not None:
            axes.scatter(
                live[0][:, 0],
                live[0][:, 1],
                s=5,
                marker="+",
                color="r",
                alpha=0.8,
                label="real data",
            )
            axes.scatter(
                live[1][:, 0],
                live[1][:, 1],
                s=5,
                marker="x",
                color="b",
                alpha=0.8,
                label="generated data",
            )
            axes.legend(loc="upper left")
        axes.scatter(real[:, 0], real[:, 1], s=5, marker="+", color="r", alpha=0.8)
        axes.scatter(generated[:, 0], generated[:, 1], s=5, marker="o", color="b", alpha=0.8)
        axes.set_xlim(*XLIM)
        axes.set_ylim(*YLIM)
        if title:
            axes.set_title(title)
        figure.tight_layout()
    return figure


def coverage_plot(records, modes=8):
    """Modes covered (of `modes`) and the high-quality fraction at each display, against epoch."""
    epochs = [r["epoch"] for r in records]
    with matplotlib.style.context("ggplot"):
        figure, axes = _axes(figsize=(4.8, 3.2))
        axes.plot(
            epochs, [r["modes_covered"] for r in records], "o-", color="C0", label="modes covered"
        )
        axes.set_ylim(0, modes + 0.5)
        axes.set_xlabel("epoch")
        axes.set_ylabel(f"modes covered (of {modes})")
        quality = axes.twinx()
        quality.plot(
            epochs,
            [r["high_quality_fraction"] for r in records],
            "s--",
            color="C1",
            label="high-quality fraction",
        )
        quality.set_ylim(0, 1.05)
        quality.set_ylabel("high-quality fraction")
        quality.grid(False)
        handles = axes.get_legend_handles_labels()[0] + quality.get_legend_handles_labels()[0]
        axes.legend(handles=handles, loc="lower right", fontsize="small")
        figure.tight_layout()
    return figure


def write_animation(png_paths, gif_path, frame_ms=FRAME_MS):
    """The blog's missing `generate_animation`: a looping GIF of the frames, `frame_ms` each."""
    frames = [imageio.imread(path) for path in png_paths]
    if not frames:
        return None
    buffer = io.BytesIO()
    imageio.mimsave(buffer, frames, format="GIF", duration=frame_ms, loop=0)
    run_folder.atomic_write(gif_path, lambda p: p.write_bytes(buffer.getvalue()))
    return gif_path


def frame_size(png_path):
    """(height, width) of a saved frame, for tests."""
    return np.asarray(imageio.imread(png_path)).shape[:2]
