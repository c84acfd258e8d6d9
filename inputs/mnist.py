"""MNIST reader: a drop-in for TF 1.x's `tensorflow.examples.tutorials.mnist.input_data`.

Source:
    TF 1.15 tensorflow/contrib/learn/python/learn/datasets/mnist.py, which input_data re-exported
    (read_data_sets, DataSet.next_batch, dense_to_one_hot); docs/originals.md section 6.2;
    the IDX format and checksums in the MNIST folder's README.md. It imports no PyTorch; the
    ports' torch Dataset of the same images is ports/mnist_data.py.

Run:
    datasets = mnist.read_data_sets()  # Folder: argument, else $MNIST_DATA_DIR, else data/mnist.
    images, labels = datasets.train.next_batch(64)  # (64, 784) float32 in [0, 1], (64,) uint8.

Deviations:
    - Shuffling draws from an explicit numpy.random.Generator (rng, default
      np.random.default_rng()) with rng.permutation. TF's DataSet called numpy.random.seed(seed) in
      its constructor and shuffled with the global generator: reseeding the global generator
      silently changes the z draws that the models make from NumPy's global generator afterwards.
      read_data_sets spawns one child generator per split, so drawing test batches leaves the train
      order alone.
    - next_batch raises ValueError unless 1 <= batch_size <= num_examples, where TF returned a short
      or empty batch. The fake_data option is gone; DataSet's images, labels, num_examples and
      epochs_completed are plain attributes, not read-only properties.
    - Parsing checks every header field, the payload length and the label range and raises
      MnistFileError; TF checked only the magic numbers.
    - Downloads must match the MD5 and SHA-256 below before they get their final name. Files that
      are already present are not hashed, as in TF. The seed and source_url arguments are gone.
"""

import collections
import gzip
import hashlib
import os
import pathlib
import tempfile
import urllib.request
import zlib

import numpy as np

SOURCE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
# The README's checksums of the four original files, by algorithm and file name.
CHECKSUMS = {
    "md5": {
        TRAIN_IMAGES: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        TRAIN_LABELS: "d53e105ee54ea40749a09fcbcd1e9432",
        TEST_IMAGES: "9fb629c4189551a2d022fa330f9573f3",
        TEST_LABELS: "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "sha256": {
        TRAIN_IMAGES: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        TRAIN_LABELS: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        TEST_IMAGES: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        TEST_LABELS: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
}
IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049
ROWS = COLS = 28
NUM_CLASSES = 10

Raw = collections.namedtuple("Raw", ["train_images", "train_labels", "test_images", "test_labels"])
Datasets = collections.namedtuple("Datasets", ["train", "validation", "test"])


class MnistFileError(ValueError):
    """A missing, unreadable or malformed MNIST file; the message is one sentence naming it."""


def _error(path, expected, found, hint=None):
    """Return MnistFileError("PATH: expected EXPECTED, found FOUND[; HINT]."), HINT punctuated."""
    ending = f"; {hint}" if hint else "."
    return MnistFileError(f"{path}: expected {expected}, found {found}{ending}")


def resolve_data_dir(data_dir=None):
    """Return the MNIST folder: data_dir if given, else $MNIST_DATA_DIR, else <repo>/data/mnist."""
    if data_dir is not None:
        return pathlib.Path(data_dir)
    if os.environ.get("MNIST_DATA_DIR"):
        return pathlib.Path(os.environ["MNIST_DATA_DIR"])
    return pathlib.Path(__file__).resolve().parents[1] / "data" / "mnist"


def fetch(url):
    """Return the bytes at url, read with urllib; tests replace this function."""
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


def download_file(name, data_dir):
    """Download one of the four files into data_dir and return its path.

    The bytes go to a temporary name in data_dir first, which is renamed only after its MD5 and
    SHA-256 match CHECKSUMS; on any failure the temporary file is deleted and MnistFileError raised.
    """
    data_dir = pathlib.Path(data_dir)
    url = SOURCE_URL + name
    try:
        payload = fetch(url)
    except OSError as error:
        raise _error(url, "a download", f"an error ({error})") from error
    data_dir.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=data_dir)
    tmp_path = pathlib.Path(tmp_name)
    try:
        with os.fdopen(handle, "wb") as tmp_file:
            tmp_file.write(payload)
        written = tmp_path.read_bytes()
        for algorithm, expected in CHECKSUMS.items():
            found = hashlib.new(algorithm, written).hexdigest()
            if found != expected[name]:
                raise _error(url, f"{algorithm} {expected[name]}", found, "it was deleted.")
        os.replace(tmp_path, data_dir / name)
    finally:
        tmp_path.unlink(missing_ok=True)
    return data_dir / name


def _gunzip(path):
    """Return the decompressed bytes of the gzip file at path, or raise MnistFileError."""
    try:
        compressed = path.read_bytes()
    except OSError as error:
        raise _error(path, "a readable file", f"an error ({error.strerror})") from None
    if compressed[:2] != b"\x1f\x8b":
        raise _error(path, "gzip data", f"first bytes {compressed[:4]!r}")
    try:
        return gzip.decompress(compressed)
    except EOFError:
        raise _error(
            path, "a complete gzip stream", "it cut short", "is the file truncated?"
        ) from None
    except (OSError, zlib.error) as error:
        raise _error(path, "a valid gzip stream", f"a damaged one ({error})") from None


def _parse_idx(path, magic, dims, count):
    """Parse an IDX .gz file into a uint8 array of shape (n, *dims), checking every header field."""
    path = pathlib.Path(path)
    return parse_idx(_gunzip(path), magic, dims, count, source=path)


def parse_idx(data, magic, dims, count=None, source="IDX data"):
    """Parse IDX bytes (bytes, bytearray or memoryview) into uint8 (n, *dims); MnistFileError else.

    The header's declared size is checked against len(data) before any payload is read, so
    no slice reaches past the buffer; `source` names the data in error messages.
    """
    path, data = source, memoryview(data).cast("B")  # Lengths in bytes, whatever the buffer.
    header_size = 4 * (2 + len(dims))
    if len(data) < header_size:
        raise _error(path, f"a header of {header_size} bytes", f"{len(data)} bytes in all")
    header = [int(value) for value in np.frombuffer(data, dtype=">u4", count=2 + len(dims))]
    if header[0] != magic:
        hints = {IMAGE_MAGIC: "is this an images file?", LABEL_MAGIC: "is this a labels file?"}
        raise _error(path, f"magic number {magic}", header[0], hints.get(header[0]))
    if count is not None and header[1] != count:
        raise _error(path, f"a count of {count} in the header", header[1])
    if tuple(header[2:]) != dims:
        found = "x".join(str(size) for size in header[2:])
        raise _error(path, f"{ROWS}x{COLS} images", found)
    expected_size = header_size + header[1] * int(np.prod(dims, dtype=np.int64))
    if len(data) != expected_size:
        hint = "the file is truncated." if len(data) < expected_size else "there are extra bytes."
        raise _error(path, f"{expected_size} bytes after gunzip", len(data), hint)
    # The copy gives callers a writable array rather than a view of immutable bytes.
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(header[1], *dims).copy()


def parse_images(path, count=None):
    """Return the images of an idx3 .gz file: uint8 (N, 28, 28, 1), 0 background, 255 ink."""
    return _parse_idx(path, IMAGE_MAGIC, (ROWS, COLS), count)[..., np.newaxis]


def parse_labels(path, count=None):
    """Return the labels of an idx1 .gz file: uint8 (N,), values 0..9."""
    labels = _parse_idx(path, LABEL_MAGIC, (), count)
    if labels.size and labels.max() >= NUM_CLASSES:
        bad = int(np.argmax(labels >= NUM_CLASSES))
        raise _error(path, "labels 0 to 9", f"{labels[bad]} at index {bad}")
    return labels


def _locate(name, data_dir, download):
    """Return the path of one file in data_dir, downloading it when missing and allowed."""
    path = data_dir / name
    if path.exists():
        return path
    if download:
        return download_file(name, data_dir)
    if not data_dir.is_dir():
        hint = "set MNIST_DATA_DIR or pass download=True."
        raise _error(data_dir, "a folder holding the MNIST files", "no such folder", hint)
    raise _error(path, "this MNIST file", "none", "pass download=True to fetch it.")


def read_raw(data_dir=None, download=True):
    """Read the four files as parsed: Raw(train_images, train_labels, test_images, test_labels).

    Images are uint8 (N, 28, 28, 1) in 0..255 and labels uint8 (N,) in 0..9, N = 60000 and 10000.
    """
    data_dir = resolve_data_dir(data_dir)
    arrays = []
    for images_name, labels_name, count in [
        (TRAIN_IMAGES, TRAIN_LABELS, 60000),
        (TEST_IMAGES, TEST_LABELS, 10000),
    ]:
        images = parse_images(_locate(images_name, data_dir, download), count)
        arrays += [images, parse_labels(_locate(labels_name, data_dir, download), len(images))]
    return Raw(*arrays)


def dense_to_one_hot(labels, num_classes=NUM_CLASSES):
    """Return float64 (N, num_classes) one-hot rows for integer labels of shape (N,), as TF did."""
    one_hot = np.zeros((len(labels), num_classes))
    one_hot[np.arange(len(labels)), labels] = 1.0
    return one_hot


class DataSet:
    """One split with TF 1.x's next_batch.

    images: uint8 (N, 28, 28, 1) in 0..255, as parse_images returns. labels: (N,) or (N, 10).
    dtype np.float32 scales images by 1/255 into [0, 1] (float32); np.uint8 keeps them.
    reshape flattens images to (N, 784). rng: numpy.random.Generator (or a seed) for shuffling.
    """

    def __init__(self, images, labels, dtype=np.float32, reshape=True, rng=None):
        images, labels, dtype = np.asarray(images), np.asarray(labels), np.dtype(dtype)
        if images.dtype != np.uint8 or images.shape[1:] != (ROWS, COLS, 1):
            raise ValueError(
                f"images must be uint8 (N, 28, 28, 1), not {images.dtype}{images.shape}."
            )
        if len(images) != len(labels):
            raise ValueError(f"got {len(images)} images but {len(labels)} labels.")
        if dtype not in (np.float32, np.uint8):
            raise ValueError(f"dtype must be float32 or uint8, got {dtype}.")
        if reshape:
            images = images.reshape(len(images), ROWS * COLS)
        if dtype == np.float32:
            # The same float32 product as TF's numpy.multiply(images, 1.0 / 255.0).
            images = images.astype(np.float32)
            np.multiply(images, 1.0 / 255.0, out=images)
        # These are plain attributes where TF had read-only properties; images and labels follow
        # the shuffles, as TF's did.
        self.images, self.labels = images, labels
        self.num_examples = len(images)
        self.epochs_completed = 0
        self._index_in_epoch = 0
        self._rng = np.random.default_rng(rng)
        self._order = np.arange(self.num_examples)  # Row i of images is original row _order[i].

    def _shuffle(self):
        perm = self._rng.permutation(self.num_examples)
        self.images, self.labels = self.images[perm], self.labels[perm]
        self._order = self._order[perm]

    def state(self):
        """The reader's position as JSON-able values: generator, index, epochs, current order."""
        return {
            "rng": self._rng.bit_generator.state,
            "index_in_epoch": self._index_in_epoch,
            "epochs_completed": self.epochs_completed,
            "order": self._order.tolist(),
        }

    def set_state(self, state):
        """Continue from `state()`: the same next batches and later shuffles (resumed runs)."""
        order = np.asarray(state["order"])
        if sorted(order.shape) != [self.num_examples]:
            raise ValueError(f"reader state for {len(order)} examples, not {self.num_examples}.")
        rows = np.argsort(self._order)[order]  # From the current arrangement to the saved one.
        self.images, self.labels, self._order = self.images[rows], self.labels[rows], order
        self._rng.bit_generator.state = state["rng"]
        self._index_in_epoch = state["index_in_epoch"]
        self.epochs_completed = state["epochs_completed"]

    def next_batch(self, batch_size, shuffle=True):
        """Return the next (images, labels) batch, always batch_size long, as TF 1.15 did."""
        if not 1 <= batch_size <= self.num_examples:
            raise ValueError(f"batch_size must be 1 to {self.num_examples}, got {batch_size}.")
        start = self._index_in_epoch
        # The very first call shuffles the whole set.
        if self.epochs_completed == 0 and start == 0 and shuffle:
            self._shuffle()
        if start + batch_size <= self.num_examples:
            end = self._index_in_epoch = start + batch_size
            return self.images[start:end], self.labels[start:end]
        # Too few examples remain: take them, reshuffle, and fill up from the new head.
        self.epochs_completed += 1
        rest_images, rest_labels = self.images[start:], self.labels[start:]
        if shuffle:
            self._shuffle()
        end = self._index_in_epoch = batch_size - len(rest_images)
        images = np.concatenate((rest_images, self.images[:end]), axis=0)
        return images, np.concatenate((rest_labels, self.labels[:end]), axis=0)


def read_data_sets(
    data_dir=None,
    one_hot=False,
    reshape=True,
    validation_size=5000,
    dtype=np.float32,
    rng=None,
    download=True,
):
    """Return Datasets(train, validation, test) of DataSet, like TF's input_data.read_data_sets.

    validation is the first validation_size training images, train the rest (55000 by default),
    test the 10000 test images. Labels are uint8 (N,), or float64 (N, 10) when one_hot.
    """
    if not isinstance(validation_size, (int, np.integer)) or not 0 <= validation_size <= 60000:
        raise ValueError(f"validation_size must be an integer 0 to 60000, got {validation_size!r}.")
    raw = read_raw(data_dir, download)
    train_labels, test_labels = raw.train_labels, raw.test_labels
    if one_hot:
        train_labels, test_labels = dense_to_one_hot(train_labels), dense_to_one_hot(test_labels)
    rngs = np.random.default_rng(rng).spawn(3)
    v = validation_size
    return Datasets(
        *[
            DataSet(images, labels, dtype=dtype, reshape=reshape, rng=split_rng)
            for images, labels, split_rng in [
                (raw.train_images[v:], train_labels[v:], rngs[0]),
                (raw.train_images[:v], train_labels[:v], rngs[1]),
                (raw.test_images, test_labels, rngs[2]),
            ]
        ]
    )
