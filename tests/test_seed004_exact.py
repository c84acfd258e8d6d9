"""Seed 004's own program and `python -m ports.mnist_mlp_gan` train the same numbers, bit for bit.

The seed program is the text of the ```python blocks of ../shared/seeds/004_*.txt, run as it
stands except for these changes, each needed to run it here and quickly:
- `n_epoch = 10` -> `n_epoch = 2` (two epochs exercise the per-epoch reshuffle);
- `torchvision` (not installed beside this CPU torch build) is a stand-in module put into
  sys.modules: `datasets.MNIST` reads the project's MNIST files through inputs/mnist.py,
  `transforms.Compose`, `ToTensor` and `Normalize` do torchvision's arithmetic
  (float32(u8).div(255), then clone().sub_(mean).div_(std)), `utils.save_image` is never called;
- its training set is the first TRAIN_SIZE images, 10 full batches of 128 and a short one of 40
  that the seed's loop skips; the test set is the real one, loaded and unused as in the seed;
- `torch.manual_seed(SEED)` runs before it (the seed seeds nothing) and `torch.cuda.is_available`
  says False (the comparison is on a CPU);
- it runs in a temporary folder, where it writes its loss.txt.
The port runs with its default flags beside `--seed`, `--n-epoch 2`, `--out`, `--data-dir` and
`--device cpu`, its MNIST reader giving it the same first TRAIN_SIZE images. Compared: loss.txt,
every parameter of G and D, and both Adam states, all bit for bit.
"""

import pathlib
import re
import sys
import types

import numpy as np
import pytest
import torch

SEEDS = pathlib.Path(__file__).resolve().parents[1] / ".." / "shared" / "seeds"
TRAIN_SIZE = 10 * 128 + 40
SEED = 4
N_EPOCH = 2


def seed_source():
    """The seed's ```python blocks, joined, n_epoch = N_EPOCH; skips when the seed is absent."""
    paths = sorted(SEEDS.glob("004_*.txt"))
    if not paths:
        pytest.skip(f"no seed 004 text in {SEEDS.resolve()} (the archive's shared/ folder).")
    text = paths[0].read_text(encoding="utf-8")
    source = "\n".join(re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL))
    assert source.count("n_epoch = 10\n") == 1
    return paths[0], source.replace("n_epoch = 10\n", f"n_epoch = {N_EPOCH}\n")


def torchvision_stand_in(raw):
    """Modules torchvision, .datasets, .transforms and .utils with what the seed uses."""

    class MNIST(torch.utils.data.Dataset):
        """torchvision's MNIST on `raw`: data uint8 (N, 28, 28), item (transform(image), label)."""

        def __init__(self, root, train=True, transform=None, download=False):
            images, labels = (
                (raw.train_images, raw.train_labels)
                if train
                else (raw.test_images, raw.test_labels)
            )
            self.data = torch.from_numpy(np.ascontiguousarray(images[..., 0]))
            self.targets = torch.from_numpy(labels.astype(np.int64))
            self.transform = transform

        @property
        def train_data(self):  # torchvision's deprecated alias, which the seed reads.
            return self.data

        def __len__(self):
            return len(self.data)

        def __getitem__(self, index):
            # torchvision makes a PIL image of these uint8 values; ToTensor reads them back.
            image, target = self.data[index], int(self.targets[index])
            return (self.transform(image) if self.transform else image), target

    class Compose:
        def __init__(self, transforms):
            self.transforms = transforms

        def __call__(self, image):
            for transform in self.transforms:
                image = transform(image)
            return image

    class ToTensor:
        """uint8 (H, W) -> float32 (1, H, W) / 255, as torchvision's to_tensor of an "L" image."""

        def __call__(self, image):
            image = image.view(*image.shape, 1).permute(2, 0, 1).contiguous()
            return image.to(dtype=torch.get_default_dtype()).div(255)

    class Normalize:
        """torchvision's normalize: a copy, minus mean, divided by std, per channel."""

        def __init__(self, mean, std):
            self.mean, self.std = mean, std

        def __call__(self, tensor):
            tensor = tensor.clone()
            mean = torch.as_tensor(self.mean, dtype=tensor.dtype).view(-1, 1, 1)
            std = torch.as_tensor(self.std, dtype=tensor.dtype).view(-1, 1, 1)
            return tensor.sub_(mean).div_(std)

    def save_image(*args, **kwargs):
        raise AssertionError("seed 004 imports save_image but never calls it.")

    modules = {
        name: types.ModuleType(name)
        for name in (
            "torchvision",
            "torchvision.datasets",
            "torchvision.transforms",
            "torchvision.utils",
        )
    }
    modules["torchvision.datasets"].MNIST = MNIST
    for cls in (Compose, ToTensor, Normalize):
        setattr(modules["torchvision.transforms"], cls.__name__, cls)
    modules["torchvision.utils"].save_image = save_image
    for name in ("datasets", "transforms", "utils"):
        setattr(modules["torchvision"], name, modules[f"torchvision.{name}"])
    return modules


def test_port_trains_the_seed_programs_numbers_bit_for_bit(mnist_dir, tmp_path, monkeypatch):
    from inputs import mnist
    from ports import mnist_mlp_gan as port

    path, source = seed_source()
    raw = mnist.read_raw(mnist_dir, download=False)
    small = raw._replace(
        train_images=raw.train_images[:TRAIN_SIZE], train_labels=raw.train_labels[:TRAIN_SIZE]
    )
    monkeypatch.setattr(mnist, "read_raw", lambda *args, **kwargs: small)

    with monkeypatch.context() as patch:
        for name, module in torchvision_stand_in(small).items():
            patch.setitem(sys.modules, name, module)
        patch.setattr(torch.cuda, "is_available", lambda: False)
        (tmp_path / "seed").mkdir()
        patch.chdir(tmp_path / "seed")
        torch.manual_seed(SEED)
        program = {"__name__": "seed004"}
        exec(compile(source, str(path), "exec"), program)

    port.main(
        [
            "--seed",
            str(SEED),
            "--n-epoch",
            str(N_EPOCH),
            "--out",
            str(tmp_path / "port"),
            "--data-dir",
            str(mnist_dir),
            "--device",
            "cpu",
        ]
    )

    seed_lines = (tmp_path / "seed" / "loss.txt").read_text()
    assert len(seed_lines.splitlines()) == N_EPOCH
    assert (tmp_path / "port" / "loss.txt").read_text() == seed_lines
    saved = torch.load(tmp_path / "port" / "checkpoints" / "model.pt", weights_only=True)
    for key, module in (("G", program["G"]), ("D", program["D"])):
        ours = saved[key]
        assert list(ours) == list(module.state_dict())
        for name, value in module.state_dict().items():
            assert torch.equal(ours[name], value), f"{key}.{name} differs from the seed's"
    for key, optimizer in (("opt_G", program["G_optimizer"]), ("opt_D", program["D_optimizer"])):
        ours, theirs = saved[key]["state"], optimizer.state_dict()["state"]
        assert list(ours) == list(theirs)
        for index, state in theirs.items():
            for name, value in state.items():
                assert torch.equal(ours[index][name], value), f"{key} {index} {name} differs"
