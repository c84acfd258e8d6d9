"""Tests for inputs/mnist.py, the stand-in for TF 1.x's input_data, on the real MNIST files.

The shared copy of the four files sits beside the repository checkout (shared/data/mnist); the
tests skip when it is absent. They never download and never modify the shared folder: error cases
work on copies in tmp_path, and the download path is served by a monkeypatched fetch.
"""

import gzip
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import torch

from inputs import mnist
from ports import mnist_data

REPO = pathlib.Path(__file__).resolve().parents[1]
SHARED = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"
NAMES = [mnist.TRAIN_IMAGES, mnist.TRAIN_LABELS, mnist.TEST_IMAGES, mnist.TEST_LABELS]


@pytest.fixture(autouse=True)
def no_download(monkeypatch):
    """Make any unplanned download fail the test; download tests install their own fetch."""

    def refuse(url):
        raise AssertionError(f"a test tried to download {url}.")

    monkeypatch.setattr(mnist, "fetch", refuse)


@pytest.fixture(scope="module")
def shared():
    if not all((SHARED / name).is_file() for name in NAMES):
        pytest.skip(f"the shared MNIST files are not in {SHARED}.")
    return SHARED


@pytest.fixture(scope="module")
def raw(shared):
    return mnist.read_raw(shared, download=False)


@pytest.fixture(scope="module")
def datasets(shared):
    # Shared by several tests, so no test may call next_batch on it.
    return mnist.read_data_sets(shared, download=False, rng=0)


@pytest.fixture
def copy(shared, tmp_path):
    """A private copy of the four files in tmp_path/mnist."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name in NAMES:
        (folder / name).write_bytes((shared / name).read_bytes())
    return folder


def rewrite(path, change):
    """Replace the gzip file at path by one holding change(decompressed bytes)."""
    data = bytearray(gzip.decompress(path.read_bytes()))
    path.write_bytes(gzip.compress(bytes(change(data)), compresslevel=1))


def check_message(error, path):
    """The message is one sentence that names the path, what was expected and what was found."""
    message = str(error.value)
    assert message.startswith(f"{path}: expected ") and ", found " in message
    assert message.endswith((".", "?")) and "\n" not in message


# These tests check the splits, shapes, dtypes and values.


def test_split_sizes_shapes_and_dtypes(datasets):
    for split, count in [("train", 55000), ("validation", 5000), ("test", 10000)]:
        data = getattr(datasets, split)
        assert data.num_examples == count and data.epochs_completed == 0
        assert data.images.shape == (count, 784) and data.images.dtype == np.float32
        assert data.labels.shape == (count,) and data.labels.dtype == np.uint8
        assert data.images.min() == 0.0 and data.images.max() == 1.0
        assert set(np.unique(data.labels)) == set(range(10))


def test_raw_parse(raw):
    assert raw.train_images.shape == (60000, 28, 28, 1) and raw.train_images.dtype == np.uint8
    assert raw.test_images.shape == (10000, 28, 28, 1) and raw.test_labels.shape == (10000,)
    assert raw.train_labels.dtype == np.uint8 and raw.train_labels.max() == 9
    # The first test label of MNIST is a 7, the first training label a 5.
    assert raw.test_labels[0] == 7 and raw.train_labels[0] == 5


def test_validation_is_the_first_5000_training_images(datasets, raw):
    for data, images, labels in [
        (datasets.validation, raw.train_images[:5000], raw.train_labels[:5000]),
        (datasets.train, raw.train_images[5000:], raw.train_labels[5000:]),
        (datasets.test, raw.test_images, raw.test_labels),
    ]:
        np.testing.assert_array_equal(np.rint(data.images * 255), images.reshape(-1, 784))
        np.testing.assert_array_equal(data.labels, labels)
    # Scaling is TF's float32 product with 1/255.
    expected = np.multiply(raw.test_images[:50].reshape(50, 784).astype(np.float32), 1.0 / 255.0)
    np.testing.assert_array_equal(datasets.test.images[:50], expected)


def test_one_hot_and_unflattened(shared, raw):
    data = mnist.read_data_sets(shared, one_hot=True, reshape=False, download=False)
    assert data.train.images.shape == (55000, 28, 28, 1) and data.train.images.dtype == np.float32
    for split, labels in [(data.train, raw.train_labels[5000:]), (data.test, raw.test_labels)]:
        assert split.labels.shape == (len(labels), 10) and split.labels.dtype == np.float64
        np.testing.assert_array_equal(split.labels.argmax(axis=1), labels)
        np.testing.assert_array_equal(split.labels.sum(axis=1), 1.0)


@pytest.mark.parametrize("size", [-1, 60001, 2.5, "5000"])
def test_bad_validation_size(size, tmp_path):
    # The check comes before any file is read, so a missing folder does not matter.
    with pytest.raises(ValueError, match="validation_size") as error:
        mnist.read_data_sets(tmp_path / "none", validation_size=size, download=False)
    assert type(error.value) is ValueError


# These tests check next_batch against TF 1.15's semantics; labels are example indices, so the
# order shows.


def small(raw, count, seed):
    return mnist.DataSet(raw.train_images[:count], np.arange(count), rng=seed)


def test_next_batch_reproduces_tf(raw):
    data, reference = small(raw, 10, seed=3), np.random.default_rng(3)
    first = reference.permutation(10)
    # The second shuffle permutes the already shuffled arrays, as TF's did.
    second = first[reference.permutation(10)]
    batches = [data.next_batch(3)[1] for _ in range(3)]
    np.testing.assert_array_equal(np.concatenate(batches), first[:9])
    assert data.epochs_completed == 0
    images, labels = data.next_batch(3)
    assert data.epochs_completed == 1
    np.testing.assert_array_equal(labels, np.concatenate((first[9:], second[:2])))
    np.testing.assert_array_equal(data.next_batch(3)[1], second[2:5])
    # Images travel with their labels.
    expected = raw.train_images[labels].reshape(3, 784).astype(np.float32) / np.float32(255)
    np.testing.assert_allclose(images, expected, rtol=1e-6)


def test_batches_are_always_full_and_epochs_count(raw):
    data = small(raw, 10, seed=0)
    for _ in range(20):
        images, labels = data.next_batch(7)
        assert images.shape == (7, 784) and labels.shape == (7,)
    # 140 examples from 10: the 20th call ends the 14th epoch exactly, which counts on the 21st.
    assert data.epochs_completed == 13


def test_one_epoch_is_a_permutation(raw):
    data = small(raw, 12, seed=1)
    epoch = np.concatenate([data.next_batch(4)[1] for _ in range(3)])
    np.testing.assert_array_equal(np.sort(epoch), np.arange(12))
    assert not np.array_equal(epoch, np.arange(12))
    # An exact fit ends the epoch only on the next call, which then has zero examples left.
    assert data.epochs_completed == 0
    assert len(np.unique(data.next_batch(4)[1])) == 4 and data.epochs_completed == 1


def test_same_seed_same_batches(raw):
    one, two, other = small(raw, 50, 7), small(raw, 50, 7), small(raw, 50, 8)
    assert not np.array_equal(small(raw, 50, 7).next_batch(8)[1], other.next_batch(8)[1])
    # Twenty batches of 8 from 50 cross three epoch boundaries.
    for _ in range(20):
        np.testing.assert_array_equal(one.next_batch(8)[1], two.next_batch(8)[1])
    assert one.epochs_completed == 3


def test_no_shuffle_and_global_generator_untouched(raw):
    state = np.random.get_state()[1].copy()
    data = small(raw, 10, seed=None)
    labels = [data.next_batch(4, shuffle=False)[1] for _ in range(3)]
    np.testing.assert_array_equal(np.concatenate(labels), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
    data.next_batch(4)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


@pytest.mark.parametrize("size", [0, 11])
def test_bad_batch_size(raw, size):
    with pytest.raises(ValueError, match="batch_size"):
        small(raw, 10, seed=0).next_batch(size)


# These tests check file errors, on private copies.


def test_truncated_payload(copy):
    path = copy / mnist.TEST_LABELS
    rewrite(path, lambda data: data[:-10])
    with pytest.raises(mnist.MnistFileError, match="truncated") as error:
        mnist.read_data_sets(copy, download=False)
    check_message(error, path)


def test_truncated_gzip_stream(copy):
    path = copy / mnist.TEST_IMAGES
    path.write_bytes(path.read_bytes()[:100000])
    with pytest.raises(mnist.MnistFileError, match="cut short") as error:
        mnist.read_raw(copy, download=False)
    check_message(error, path)


def test_wrong_magic_number(copy):
    path = copy / mnist.TEST_IMAGES
    path.write_bytes((copy / mnist.TEST_LABELS).read_bytes())
    with pytest.raises(mnist.MnistFileError) as error:
        mnist.read_raw(copy, download=False)
    assert str(error.value) == (
        f"{path}: expected magic number 2051, found 2049; is this a labels file?"
    )


@pytest.mark.parametrize("name", [mnist.TEST_IMAGES, mnist.TEST_LABELS])
def test_wrong_count(copy, name):
    path = copy / name
    rewrite(path, lambda data: data[:4] + (9999).to_bytes(4, "big") + data[8:])
    with pytest.raises(mnist.MnistFileError, match="count of 10000 in the header, found 9999"):
        mnist.read_raw(copy, download=False)


def test_wrong_dims_and_label_out_of_range(copy):
    images, labels = copy / mnist.TEST_IMAGES, copy / mnist.TEST_LABELS
    rewrite(images, lambda data: data[:8] + (27).to_bytes(4, "big") + data[12:])
    with pytest.raises(mnist.MnistFileError, match="expected 28x28 images, found 27x28"):
        mnist.parse_images(images)
    rewrite(labels, lambda data: data[:20] + b"\x0a" + data[21:])
    with pytest.raises(mnist.MnistFileError, match="labels 0 to 9, found 10 at index 12") as error:
        mnist.parse_labels(labels)
    check_message(error, labels)


def test_not_gzip(copy):
    path = copy / mnist.TRAIN_LABELS
    path.write_bytes(gzip.decompress(path.read_bytes()))
    with pytest.raises(mnist.MnistFileError, match="gzip") as error:
        mnist.read_raw(copy, download=False)
    check_message(error, path)


def test_missing_folder_or_file_without_download(copy, tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(mnist.MnistFileError, match="no such folder") as error:
        mnist.read_data_sets(missing, download=False)
    check_message(error, missing)
    assert not missing.exists()
    (copy / mnist.TEST_LABELS).unlink()
    with pytest.raises(mnist.MnistFileError, match="download=True") as error:
        mnist.read_raw(copy, download=False)
    check_message(error, copy / mnist.TEST_LABELS)


# These tests serve the download path from the shared copy.


def test_download_fills_a_new_folder(shared, tmp_path, monkeypatch):
    urls = []

    def serve(url):
        urls.append(url)
        return (shared / url.rsplit("/", 1)[1]).read_bytes()

    monkeypatch.setattr(mnist, "fetch", serve)
    folder = tmp_path / "new" / "mnist"
    raw = mnist.read_raw(folder)
    assert urls == [mnist.SOURCE_URL + name for name in NAMES]
    assert sorted(os.listdir(folder)) == sorted(NAMES)
    assert raw.train_images.shape == (60000, 28, 28, 1)
    # Files already present are not fetched again.
    (folder / mnist.TEST_LABELS).unlink()
    mnist.read_raw(folder)
    assert urls[4:] == [mnist.SOURCE_URL + mnist.TEST_LABELS]


def test_download_refuses_bad_checksums(shared, tmp_path, monkeypatch):
    good = (shared / mnist.TRAIN_IMAGES).read_bytes()
    monkeypatch.setattr(mnist, "fetch", lambda url: good[:-1] + bytes([good[-1] ^ 1]))
    folder = tmp_path / "mnist"
    with pytest.raises(mnist.MnistFileError, match="md5 f68b3c2dcbeaaa9fbdd348bbdeb94873") as error:
        mnist.read_raw(folder)
    assert "deleted" in str(error.value)
    assert list(folder.iterdir()) == []


def test_download_error_becomes_mnist_file_error(tmp_path, monkeypatch):
    def fail(url):
        raise OSError("network is unreachable")

    monkeypatch.setattr(mnist, "fetch", fail)
    with pytest.raises(mnist.MnistFileError, match="network is unreachable"):
        mnist.read_raw(tmp_path / "mnist")


# These tests check the PyTorch side.


def test_torch_dataset_range_and_shape(raw, datasets):
    dataset = mnist_data.TorchMnist(raw.train_images[:200], raw.train_labels[:200])
    image, label = dataset[0]
    assert len(dataset) == 200 and image.shape == (1, 28, 28) and image.dtype == torch.float32
    assert label == 5 and isinstance(label, int)
    images = torch.stack([dataset[i][0] for i in range(len(dataset))])
    assert images.min().item() == -1.0 and images.max().item() == 1.0
    # A DataSet's float images in [0, 1] give the same tensors as the uint8 pixels.
    floats = mnist_data.TorchMnist(
        datasets.validation.images[:200], datasets.validation.labels[:200]
    )
    torch.testing.assert_close(floats[7][0], dataset[7][0], rtol=0, atol=1e-6)


def test_torch_loader(raw):
    dataset = mnist_data.TorchMnist(raw.test_images[:100], raw.test_labels[:100])
    orders = []
    for _ in range(2):
        loader = mnist_data.torch_loader(dataset, 32, generator=torch.Generator().manual_seed(0))
        images, labels = next(iter(loader))
        assert images.shape == (32, 1, 28, 28) and labels.dtype == torch.int64
        orders.append(labels)
    torch.testing.assert_close(orders[0], orders[1])
    plain = next(iter(mnist_data.torch_loader(dataset, 10, shuffle=False)))[1]
    np.testing.assert_array_equal(plain.numpy(), raw.test_labels[:10])
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        mnist_data.TorchMnist(np.full((2, 784), 2.0, dtype=np.float32), [0, 1])


# These tests check the data directory and the import.


def test_resolve_data_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path / "env"))
    assert mnist.resolve_data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert mnist.resolve_data_dir() == tmp_path / "env"
    monkeypatch.delenv("MNIST_DATA_DIR")
    assert mnist.resolve_data_dir() == REPO / "data" / "mnist"


def test_import_does_nothing(tmp_path):
    # A fresh interpreter imports the module with the data folder pointed at nothing.
    env = dict(os.environ, MNIST_DATA_DIR=str(tmp_path / "data"))
    default_existed = (REPO / "data").exists()
    code = "import sys, inputs.mnist; print('torchvision' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
    assert list(tmp_path.iterdir()) == [] and (REPO / "data").exists() == default_existed
