"""Test-wide setup: the MNIST files come from the shared folder beside the checkout when present.

CI clones the project with ../shared beside it; `make test` already exports MNIST_DATA_DIR, and
this makes a bare `pytest` find the same files. Tests never download.
"""

import os
import pathlib

import pytest

# Before any test module imports torch: idle OpenMP threads sleep instead of spinning. In this
# one process torch shares the cores with TensorFlow's thread pools, and spinning threads starve
# them (ports/__init__.py has the measurements); the ports' in-process resume tests took 122 s
# and 75 s under load with spinning threads, 13 s and 7 s with PASSIVE. No number changes.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

SHARED_MNIST = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"

if "MNIST_DATA_DIR" not in os.environ and (SHARED_MNIST / "train-images-idx3-ubyte.gz").exists():
    os.environ["MNIST_DATA_DIR"] = str(SHARED_MNIST)


def pytest_configure(config):
    """TF1 behaviour for the whole test process, entered where a TF1 program starts: here.

    Importing tf1_reference does not switch TensorFlow to graph mode (tests/test_models.py
    checks it in a fresh interpreter); every reference's main does, and so does this."""
    import tf1_reference

    tf1_reference.setup()


@pytest.fixture
def mnist_dir():
    """The folder with the four MNIST files; tests that need them skip, with the reason, without."""
    folder = pathlib.Path(os.environ.get("MNIST_DATA_DIR") or SHARED_MNIST)
    if not (folder / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"no MNIST files in {folder}; set MNIST_DATA_DIR (the tests never download).")
    return folder


@pytest.fixture(autouse=True)
def _keep_torch_threads():
    """A port's main() sets PyTorch's CPU threads for its run (its registry row's threads); inside
    pytest that would last for every later test, so each test gets the count back afterwards."""
    import torch

    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)
