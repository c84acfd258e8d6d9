"""The comparison report's pictures: per-step differences, two pictures side by side, losses."""

import matplotlib.figure
import numpy as np

FLOOR = 1e-18  # Exact agreement (0) is drawn here, since a log axis has no 0.
# One colour per cross-check setting, in the report's order.
COLOURS = ("C0", "C1", "C3")


def parity_curves(curves, title=None):
    """|TF - PyTorch| per step on a log axis; `curves` = [(label, values, floor or None)].

    Each setting is one solid line; where the setting has a floor (TF against itself with one
    weight one ulp off), it is drawn dashed in the same colour.
    """
    figure = matplotlib.figure.Figure(figsize=(6.4, 3.6))
    axes = figure.add_subplot()
    for colour, (label, values, floor) in zip(COLOURS, curves):
        steps = np.arange(1, len(values) + 1)
        axes.plot(steps, np.maximum(values, FLOOR), "-", color=colour, label=label)
        if floor is not None:
            axes.plot(
                steps,
                np.maximum(floor, FLOOR),
                "--",
                color=colour,
                linewidth=0.8,
                label=f"TF vs TF, 1 ulp ({label.split(',')[0]})",
            )
    axes.set_yscale("log")
    axes.set_xlabel("training step (one D and one G step)")
    axes.set_ylabel("max |TF - PyTorch| over variables")
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize="x-small", loc="lower right")
    if title:
        axes.set_title(title, fontsize="medium")
    figure.tight_layout()
    return figure


def side_by_side(left, right, titles=("TF1 reference", "PyTorch port")):
    """Two pictures (H, W[, C] arrays, e.g. read PNGs) next to each other, titled, no axes."""
    figure = matplotlib.figure.Figure(figsize=(9, 4.2))
    for index, (image, title) in enumerate(zip((left, right), titles)):
        axes = figure.add_subplot(1, 2, index + 1)
        if image is None:
            axes.text(0.5, 0.5, "no picture", ha="center", va="center")
        else:
            axes.imshow(image, cmap="gray" if np.ndim(image) == 2 else None)
        axes.set_title(title, fontsize="medium")
        axes.axis("off")
    figure.tight_layout()
    return figure


def loss_curves(series, xlabel, title=None):
    """Losses of both frameworks on one plot; `series` = [(framework, loss name, x, y)].

    One colour per loss name; the TF1 reference solid, the PyTorch port dashed. Markers show
    every logged point, since short runs log few.
    """
    figure = matplotlib.figure.Figure(figsize=(6.4, 3.6))
    axes = figure.add_subplot()
    names = list(dict.fromkeys(name for _, name, _, _ in series))
    for framework, name, x, y in series:
        style = "-" if framework == "tf1" else "--"
        label = f"{'TF1' if framework == 'tf1' else 'PyTorch'} {name}"
        axes.plot(x, y, style, marker="o", markersize=3, color=f"C{names.index(name)}", label=label)
    axes.set_xlabel(xlabel)
    axes.set_ylabel("loss")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize="x-small")
    if title:
        axes.set_title(title, fontsize="medium")
    figure.tight_layout()
    return figure
