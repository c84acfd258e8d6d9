"""Benchmark: seconds to parse all 70,000 MNIST images (gunzip, checks, numpy frombuffer).

Source:
    inputs/mnist.py (parse_images, parse_labels, read_data_sets); the requirement is that parsing
    the four original .gz files takes under 2 s.

Run:
    python -m bench.mnist_parse [DATA_DIR]
    From the repository root; DATA_DIR defaults to $MNIST_DATA_DIR, else data/mnist.

Deviations:
    - None: this is a project tool with no original. It never downloads; a missing file is an
      error. It prints the best of five runs for the parse and, for scale, for read_data_sets.
"""

import sys
import time

from harness import cli
from inputs import mnist

REPEATS = 5


def parse_all(data_dir):
    """Parse the four files; return the number of images read (70000)."""
    count = 0
    for images_name, labels_name in [
        (mnist.TRAIN_IMAGES, mnist.TRAIN_LABELS),
        (mnist.TEST_IMAGES, mnist.TEST_LABELS),
    ]:
        images = mnist.parse_images(data_dir / images_name)
        mnist.parse_labels(data_dir / labels_name, len(images))
        count += len(images)
    return count


def best_seconds(function):
    """Return the smallest wall time in seconds of REPEATS calls of function()."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None):
    parser = cli.ArgumentParser(
        prog="python -m bench.mnist_parse", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "data_dir",
        nargs="?",
        default=None,
        metavar="DATA_DIR",
        help="the MNIST folder (default: $MNIST_DATA_DIR, else data/mnist)",
    )
    data_dir = mnist.resolve_data_dir(parser.parse_args(argv).data_dir)
    count = parse_all(data_dir)
    parse = best_seconds(lambda: parse_all(data_dir))
    datasets = best_seconds(lambda: mnist.read_data_sets(data_dir, download=False))
    print(f"parse {count} images from {data_dir}: {parse:.3f} s (best of {REPEATS})")
    print(f"read_data_sets (parse, split, float32 scaling): {datasets:.3f} s (best of {REPEATS})")


if __name__ == "__main__":
    sys.exit(cli.run(main))
