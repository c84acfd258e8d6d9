"""`tensorflow.examples.tutorials.mnist.input_data` for TF1 scripts, on the archive's reader.

read_data_sets keeps TF 1.x's signature and results (inputs/mnist.py: the 55000/5000/10000
split, float32 images in [0, 1] flattened to 784, one-hot float64 labels, next_batch shuffling
each epoch). It reads the four files from the folder the script names when all four are there,
else from the data folder of the archive (`--data-dir`, else $MNIST_DATA_DIR, else data/mnist),
and never downloads: with no files in either it ends the run with one sentence. Like TF 1.x it
prints "Extracting <file>" for each file it reads (the path it really read).

Deviations (from TF 1.x's input_data; inputs/mnist.py lists its own):
- Shuffling uses the reader's own numpy Generator, seeded by read_data_sets' `seed`, else by
  tf1run's --seed, else by the OS. TF 1.x reseeded NumPy's global generator inside
  read_data_sets (with the graph-level seed, or from the OS when none was set), which moved
  every np.random draw the script made afterwards; here the global generator is left alone, so
  a script's later np.random draws follow --seed, and batches differ from TF 1.x's.
- fake_data=True and maybe_download are refused; source_url is ignored.
"""

import pathlib
import sys

import numpy as np

from inputs import mnist
from tf1run import names

FILES = (mnist.TRAIN_IMAGES, mnist.TRAIN_LABELS, mnist.TEST_IMAGES, mnist.TEST_LABELS)
DATA_DIR = None  # tf1run's --data-dir; tf1run/__main__.py sets it.
SEED = None  # tf1run's --seed; tf1run/__main__.py sets it.
dense_to_one_hot = mnist.dense_to_one_hot


class DataSet(mnist.DataSet):
    """TF 1.x's DataSet, whose next_batch took fake_data as its second argument."""

    def next_batch(self, batch_size, fake_data=False, shuffle=True):
        if fake_data:
            raise names.Refused("input_data's next_batch(fake_data=True) is not supported.")
        return super().next_batch(batch_size, shuffle=shuffle)


def _folder(train_dir):
    """The folder to read: the script's when it holds the four files, else the archive's."""
    named = pathlib.Path(train_dir)
    if all((named / name).is_file() for name in FILES):
        return named
    fallback = mnist.resolve_data_dir(DATA_DIR)
    if all((fallback / name).is_file() for name in FILES):
        print(
            f"tf1run: input_data: {train_dir} lacks the MNIST files; reading {fallback}.",
            file=sys.stderr,
        )
        return fallback
    raise names.Refused(
        f"input_data.read_data_sets({str(train_dir)!r}) found the four MNIST .gz files neither "
        f"in {train_dir} nor in {fallback}, and tf1run never downloads: put them in one of "
        "the two, or pass --data-dir or set MNIST_DATA_DIR."
    )


def read_data_sets(
    train_dir,
    fake_data=False,
    one_hot=False,
    dtype=np.float32,
    reshape=True,
    validation_size=5000,
    seed=None,
    source_url=None,
):
    """TF 1.x's read_data_sets: Datasets(train, validation, test) of DataSet (see the module)."""
    if fake_data:
        raise names.Refused("input_data.read_data_sets(fake_data=True) is not supported.")
    folder = _folder(train_dir)
    for name in FILES:
        print(f"Extracting {folder / name}")
    dtype = np.dtype(getattr(dtype, "as_numpy_dtype", dtype))
    rng = np.random.default_rng(seed if seed is not None else SEED)
    try:
        datasets = mnist.read_data_sets(
            folder, one_hot, reshape, validation_size, dtype, rng, download=False
        )
    except mnist.MnistFileError as error:
        raise names.Refused(str(error)) from None
    for split in datasets:
        split.__class__ = DataSet  # The same data; next_batch takes TF 1.x's arguments.
    return datasets


def maybe_download(filename, work_directory, source_url=None):
    """Refused: tf1run reads MNIST from disk only."""
    raise names.Refused("input_data.maybe_download is not supported: tf1run never downloads.")
