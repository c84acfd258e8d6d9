"""Grids of MNIST digits (generated or real), as the seed-002 tutorial's `plot_samples` draws."""

import math

import matplotlib.figure
import numpy as np


def grid(images, titles=None, columns=None):
    """Images (N, 784), (N, 28, 28) or (N, 28, 28, 1) in a square-ish grid, grey, no axes.

    16 images give the 4x4 grid the tutorial's `plot_samples(samples[:16])` implies; two
    images with two titles give its generated/real pair. Values are shown as they are
    (tanh output in [-1, 1], real images in [0, 1]), each panel scaled to its own range.
    """
    images = [np.asarray(image).reshape(28, 28) for image in images]
    columns = columns or math.ceil(math.sqrt(len(images)))
    rows = math.ceil(len(images) / columns)
    figure = matplotlib.figure.Figure(figsize=(columns, rows + (0.3 if titles else 0)))
    for index, image in enumerate(images):
        axes = figure.add_subplot(rows, columns, index + 1)
        axes.imshow(image, cmap="Greys_r")
        axes.axis("off")
        if titles:
            axes.set_title(titles[index], fontsize=8)
    return figure


def digit(image, label):
    """The tutorial's `display_digit`: one 28x28 image titled with an integer, `gray_r` map."""
    figure = matplotlib.figure.Figure(figsize=(2, 2.2))
    axes = figure.add_subplot()
    axes.set_title("%i" % label)
    axes.imshow(np.asarray(image).reshape(28, 28), cmap="gray_r", interpolation="nearest")
    axes.axis("off")
    return figure
