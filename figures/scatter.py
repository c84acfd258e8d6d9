"""Scatter plots of real and generated 2-D points, in the style of each original."""

import matplotlib.figure


def data(real):
    """xyang35's cell 0: the real points alone (colour C0), before any training."""
    figure = matplotlib.figure.Figure()
    axes = figure.add_subplot()
    axes.scatter(real[:, 0], real[:, 1])
    return figure


def real_and_fake(real, fake, title=None):
    """xyang35's per-epoch plot: all real points (colour C0) then the fakes (C1), default style."""
    figure = matplotlib.figure.Figure()
    axes = figure.add_subplot()
    axes.scatter(real[:, 0], real[:, 1])
    axes.scatter(fake[:, 0], fake[:, 1])
    if title:
        axes.set_title(title)
    return figure


def condition_target_fake(condition, target, fake, title=None):
    """xyang35's CGAN plot: conditions blue, their true targets green, the fakes red."""
    figure = matplotlib.figure.Figure()
    axes = figure.add_subplot()
    axes.scatter(condition[:, 0], condition[:, 1], c="b")
    axes.scatter(target[:, 0], target[:, 1], c="g")
    axes.scatter(fake[:, 0], fake[:, 1], c="r")
    if title:
        axes.set_title(title)
    return figure
