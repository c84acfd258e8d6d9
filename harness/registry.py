"""The archive's models, in one place: every tool and test reads the list from here.

A model's TF1 reference, PyTorch port and cross-check share its name:
`tf1_reference/<name>.py`, `ports/<name>.py`, `crosscheck/<name>.py`. Importing this module
imports none of them (and neither TensorFlow nor PyTorch); `reference(name)`, `port(name)` and
`case(name)` import one on demand.
"""

import dataclasses
import importlib


@dataclasses.dataclass(frozen=True)
class Model:
    name: str  # The name every file, command and run folder uses.
    seed: str  # The seed text it comes from (the seed texts NNN_*.txt of the archive's sources).
    original: str  # The program it reproduces.
    mnist: bool  # Whether it reads the MNIST files.
    steps_per_epoch: int  # Training steps (one D and one G step) per pass over its data.
    epochs: int  # The original's default run length, in passes over the data (or its count).
    length_flag: str  # The flag that sets the run's length in its commands.
    unit: str  # What that flag counts.


MODELS = {
    model.name: model
    for model in (
        # 1,000 points in batches of 4: 250 steps an epoch, 10 epochs (xyang35).
        Model(
            "gaussian_gan",
            "000",
            "xyang35 GAN-tensorflow.ipynb (from MXNet's gan-intro)",
            False,
            250,
            10,
            "--epochs",
            "epochs",
        ),
        Model(
            "gaussian_cgan",
            "000",
            "xyang35 CGAN-tensorflow.ipynb",
            False,
            250,
            10,
            "--epochs",
            "epochs",
        ),
        # See_GANs counts one D and one G step as an "epoch"; main.py runs 100,000.
        Model(
            "ring_gan",
            "001",
            "TwistedW/See_GANs GAN.py (the blog's version)",
            False,
            1,
            100_000,
            "--num-epochs",
            "epochs (steps)",
        ),
        # total_batch = int(55000 / 64) = 859 steps an epoch; the seed's phase 1 is 20 epochs.
        Model(
            "mnist_dcgan",
            "002",
            "the seed text (tf.layers), made runnable",
            True,
            859,
            20,
            "--epochs",
            "epochs",
        ),
        # next_batch(128) on 55,000 images: 429 steps and a bit an epoch; 1e6 iterations.
        Model(
            "mnist_vanilla_gan",
            "003",
            "wiseodd gan_tensorflow.py (the blog's named variables)",
            True,
            55_000 // 128,
            1_000_000,
            "--iterations",
            "iterations",
        ),
        # 60,000 images in batches of 128, the short last one skipped: 468 steps, 10 epochs.
        Model(
            "mnist_mlp_gan",
            "004",
            "lyeoni pytorch-mnist-GAN, as modified in the seed (PyTorch)",
            True,
            60_000 // 128,
            10,
            "--n-epoch",
            "epochs",
        ),
    )
}
NAMES = tuple(MODELS)
MNIST = tuple(name for name, model in MODELS.items() if model.mnist)
FRAMEWORKS = {"tf1": "tf1_reference", "pytorch": "ports"}  # framework -> package


def check(name):
    """The Model called `name`; a ValueError naming the choices for any other name."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(NAMES)}.")
    return MODELS[name]


def module(name, framework):
    """The model's TF1 reference ("tf1") or PyTorch port ("pytorch"), imported."""
    check(name)
    if framework not in FRAMEWORKS:
        raise ValueError(f"unknown framework {framework!r}; choose tf1 or pytorch.")
    return importlib.import_module(f"{FRAMEWORKS[framework]}.{name}")


def reference(name):
    return module(name, "tf1")


def port(name):
    return module(name, "pytorch")


def case(name):
    """The model's cross-check case (crosscheck/<name>.py's CASE)."""
    check(name)
    return importlib.import_module(f"crosscheck.{name}").CASE
