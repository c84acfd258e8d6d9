"""Observing a run never changes it: all 12 training commands, observers on and off, same weights.

What the archive adds to an original (checkpoints, TensorBoard, progress bars, sample grids,
coverage metrics) draws from generators of its own and only reads training state. Each test
trains a model twice from the same seed on a tiny budget: once with every observer on and at its
densest (a checkpoint every step, TensorBoard, a progress bar drawn, the model's own observer at
another size or frequency), once with them off or sparse (the final checkpoint only, no
TensorBoard, no bar), and asserts that every weight of the final checkpoint is identical, bit for
bit. An observer that drew from a training generator would move the second half of the run.
"""

import io
import pathlib

import numpy as np
import pytest
import torch
import tqdm

import tensorflow as tf

from harness import board
from inputs import mnist
from models import ring_gan as ring_model

# Training images each MNIST command sees: seed 004's loop reads all 60,000 raw images (1,320:
# 10 batches of 128 and a short one); the input_data-style reader keeps the first 5,000 for
# validation (6,280: 1,280 left, 10 batches of 128 for wiseodd's; 5,640: 640 left, 10 batches of
# 64 for the DCGAN, whose steps are the suite's dearest).
SMALL_MNIST = {"mnist_mlp_gan": 1320, "mnist_vanilla_gan": 6280, "mnist_dcgan": 5640}


class LoudBar(tqdm.tqdm):
    """A progress bar that always draws (into a buffer), as on a terminal."""

    def __init__(self, *args, **kwargs):
        kwargs.update(disable=False, file=io.StringIO())
        super().__init__(*args, **kwargs)


def loud_trange(*args, **kwargs):
    return LoudBar(range(*args), **kwargs)


class NoBoard:
    """TensorBoard off: accepts every call, writes nothing."""

    def __init__(self, *args, **kwargs):
        pass

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def final_weights(run):
    """Every variable of a run's last checkpoint: TF1's Saver files or a port's model.pt."""
    folder = pathlib.Path(run) / "checkpoints"
    prefix = tf.train.latest_checkpoint(str(folder))
    if prefix is not None:
        return {
            name: tf.train.load_variable(prefix, name)
            for name, _ in tf.train.list_variables(prefix)
        }
    state = torch.load(folder / "model.pt", weights_only=False)
    return {
        f"{net}.{name}": value.numpy() for net in ("G", "D") for name, value in state[net].items()
    }


def small_mnist(monkeypatch, mnist_dir, size):
    """The MNIST commands read only the first `size` training images."""
    raw = mnist.read_raw(mnist_dir, download=False)
    small = raw._replace(train_images=raw.train_images[:size], train_labels=raw.train_labels[:size])
    monkeypatch.setattr(mnist, "read_raw", lambda *args, **kwargs: small)


# (command module, flags of a tiny run, observer flags on, observer flags off, needs MNIST)
COMMANDS = {
    "gaussian_gan": (["--epochs", "2"], [], [], False),
    "gaussian_cgan": (["--epochs", "2"], [], [], False),
    # The display (its frame and 1000 + 1000 points) is the original's and draws from NumPy's
    # global generator, so its frequency stays; the coverage it adds is the observer here.
    "ring_gan": (
        [
            "--num-epochs",
            "41",
            "--disp-freq",
            "20",
            "--num-z",
            "16",
            "--hidden-size",
            "8",
            "--batch-size",
            "64",
        ],
        [],
        [],
        False,
    ),
    # wiseodd's grid every sample_every draws its z from NumPy's global generator: original.
    "mnist_vanilla_gan": (["--iterations", "25", "--sample-every", "10"], [], [], True),
    # The grid of the fixed sample noise: after every epoch, or never (2 epochs of 10 steps).
    "mnist_dcgan": (
        ["train", "--epochs", "2"],
        ["--sample-every", "1"],
        ["--sample-every", "5"],
        True,
    ),
    # The per-epoch grid of its own generator's z: 100 samples or 1.
    "mnist_mlp_gan": (["--n-epoch", "2"], ["--samples", "100"], ["--samples", "1"], True),
}


def run_twice(module, model, tmp_path, monkeypatch, request):
    tiny, observers_on, observers_off, needs_mnist = COMMANDS[model]
    extra = []
    if needs_mnist:
        mnist_dir = request.getfixturevalue("mnist_dir")
        small_mnist(monkeypatch, mnist_dir, SMALL_MNIST[model])
        extra = ["--data-dir", str(mnist_dir)]
    runs = {}
    for name, observers, every in (("on", observers_on, "1"), ("off", observers_off, "0")):
        with monkeypatch.context() as patch:
            if name == "on":
                patch.setattr(tqdm, "tqdm", LoudBar)
                patch.setattr(tqdm, "trange", loud_trange)
                patch.setattr(ring_model, "COVERAGE_POINTS", 2500)
            else:
                patch.setattr(board, "TF1Board", NoBoard)
                patch.setattr(board, "TorchBoard", NoBoard)
                patch.setattr(ring_model, "COVERAGE_POINTS", 10)
            out = tmp_path / name
            module.main(
                [
                    *tiny,
                    *observers,
                    "--seed",
                    "7",
                    "--checkpoint-every",
                    every,
                    "--out",
                    str(out),
                    *extra,
                ]
            )
        runs[name] = final_weights(out)
    return runs["on"], runs["off"], tmp_path


@pytest.mark.parametrize("framework", ["tf1", "pytorch"])
@pytest.mark.parametrize("model", sorted(COMMANDS))
def test_observers_do_not_move_training(model, framework, tmp_path, monkeypatch, request):
    import importlib

    package = "tf1_reference" if framework == "tf1" else "ports"
    module = importlib.import_module(f"{package}.{model}")
    on, off, folder = run_twice(module, model, tmp_path, monkeypatch, request)
    assert (folder / "on" / "checkpoints").is_dir()
    checkpoints_on = list((folder / "on" / "checkpoints").iterdir())
    checkpoints_off = list((folder / "off" / "checkpoints").iterdir())
    assert len(checkpoints_on) >= len(checkpoints_off)
    assert set(on) == set(off) and len(on) >= 4
    for name, value in on.items():
        assert np.array_equal(value, off[name]), f"{model} ({framework}): {name} moved"
