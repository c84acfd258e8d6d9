"""Grids of generated MNIST digits, in the layouts the originals saved.

- `wiseodd_4x4`: wiseodd's `plot(samples)`, a 4 x 4 inch figure, `GridSpec(4, 4)` with
  `wspace = hspace = 0.05`, axes off, equal aspect, `imshow(..., cmap='Greys_r')`.
- `tiled`: the picture `torchvision.utils.save_image` writes with its defaults (nrow 8,
  padding 2, pad value 0, values clamped to [0, 1]), which lyeoni's README grids show; for
  100 digits that is 8 columns by 13 rows, 242 x 392 pixels. Written here with NumPy alone.
"""

import matplotlib.figure
import matplotlib.gridspec
import numpy as np


def wiseodd_4x4(samples):
    """16 flat 784-pixel samples in [0, 1] -> wiseodd's 4 x 4 grid Figure."""
    samples = np.asarray(samples)
    if samples.ndim != 2 or samples.shape[1] != 784 or len(samples) > 16:
        raise ValueError(f"need at most 16 flat 784-pixel samples, got shape {samples.shape}.")
    figure = matplotlib.figure.Figure(figsize=(4, 4))
    grid = matplotlib.gridspec.GridSpec(4, 4, figure=figure)
    grid.update(wspace=0.05, hspace=0.05)
    for i, sample in enumerate(samples):
        axes = figure.add_subplot(grid[i])
        axes.axis("off")
        axes.set_xticklabels([])
        axes.set_yticklabels([])
        axes.set_aspect("equal")
        axes.imshow(sample.reshape(28, 28), cmap="Greys_r")
    return figure


def tile(images, nrow=8, padding=2, pad_value=0.0):
    """(N, 28, 28) or (N, 784) images -> one (H, W) array, `save_image`'s layout.

    Each cell is 28 + padding pixels wide, with `padding` more on the far edges:
    W = nrow * 30 + 2 and H = ceil(N / nrow) * 30 + 2 for padding 2. Values are clamped to
    [0, 1] as `save_image` does before converting to 8 bits (tanh's negatives turn black).
    """
    images = np.clip(np.asarray(images, dtype=np.float64).reshape(-1, 28, 28), 0.0, 1.0)
    if nrow < 1 or padding < 0:
        raise ValueError(f"nrow must be positive and padding non-negative, got {nrow}, {padding}.")
    columns = min(nrow, len(images))
    rows = -(-len(images) // nrow)
    step = 28 + padding
    grid = np.full((rows * step + padding, columns * step + padding), pad_value)
    for k, image in enumerate(images):
        top, left = (k // nrow) * step + padding, (k % nrow) * step + padding
        grid[top : top + 28, left : left + 28] = image
    return grid


def tiled(images, nrow=8, padding=2):
    """lyeoni's sample grid as a Figure whose saved PNG has exactly the tile's pixel size."""
    grid = tile(images, nrow=nrow, padding=padding)
    height, width = grid.shape
    figure = matplotlib.figure.Figure(figsize=(width / 100, height / 100), dpi=100)
    # figimage places the pixels 1:1, so a default-dpi savefig writes a width x height PNG;
    # the 8-bit values are round(255 * v), as save_image's mul(255).add_(0.5).clamp_ then floor.
    figure.figimage(np.floor(grid * 255 + 0.5).astype(np.uint8), cmap="gray", vmin=0, vmax=255)
    return figure
