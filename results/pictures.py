"""The results' pictures, copied small: 16 grey levels or colours, at most 480 pixels wide."""

import numpy as np

from harness import run_folder


def small_png(source, destination, max_width=480):
    """A copy of a PNG (a path or a uint8 array) in few bytes: 16 grey levels or colours, at
    most `max_width` pixels wide."""
    from PIL import Image

    image = Image.fromarray(source) if isinstance(source, np.ndarray) else Image.open(source)
    rgb = np.asarray(image.convert("RGB"))
    grey = bool((rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all())
    image = image.convert("L" if grey else "RGB")
    if image.width > max_width:
        size = (max_width, round(image.height * max_width / image.width))
        image = image.resize(size, Image.LANCZOS)
    image = image.quantize(colors=16)
    destination.parent.mkdir(parents=True, exist_ok=True)
    run_folder.atomic_write(destination, lambda p: image.save(p, format="png", optimize=True))
    return destination


def copy_pictures(run, patterns, pictures, link):
    """The run's files matching `patterns`, copied small; returns their links."""
    copied = []
    for pattern in patterns:
        for path in sorted(run.folder.glob(pattern)):
            name = f"{run.framework}-seed-{run.seed}-{path.name.lstrip('_')}"
            small_png(path, pictures / name)
            copied.append(f"{link}/{name}")
    return copied
