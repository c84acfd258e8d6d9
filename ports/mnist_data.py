"""MNIST for the PyTorch ports: a torch Dataset with seed 004's transform, and its DataLoader.

Source:
    seed 004 (lyeoni/pytorch-mnist-GAN as modified): `datasets.MNIST(transform=Compose([
    ToTensor(), Normalize((0.5,), (0.5,))]))` and `DataLoader(batch_size=bs, shuffle=True)`,
    over the images of inputs/mnist.py (which imports no PyTorch).

Run:
    raw = mnist.read_raw()
    loader = mnist_data.torch_loader(mnist_data.TorchMnist(raw.train_images, raw.train_labels), 128)

Deviations:
    - torchvision does not import beside this CPU build of PyTorch, so the transform is written
      out with the same float32 operations as torchvision's (the seed-004 test checks it).
"""

import numpy as np
import torch

from inputs.mnist import COLS, ROWS


class TorchMnist(torch.utils.data.Dataset):
    """MNIST for PyTorch with seed 004's transform, ToTensor then Normalize((0.5,), (0.5,)).

    images: uint8 in 0..255 or float in [0, 1], shape (N, 784), (N, 28, 28) or (N, 28, 28, 1), for
    example a DataSet's images. labels: (N,) class indices or (N, 10) one-hot rows. Item i is
    (image, label): image float32 (1, 28, 28) in [-1, 1]; label an int, or a tensor for one-hot.
    """

    def __init__(self, images, labels):
        images, labels = np.asarray(images), np.asarray(labels)
        if images.size != len(images) * ROWS * COLS or len(images) != len(labels):
            raise ValueError(
                f"need N 784-pixel images, N labels, not {images.shape}, {labels.shape}."
            )
        if images.dtype != np.uint8 and images.size and (images.min() < 0 or images.max() > 1):
            raise ValueError(f"float images must be in [0, 1], not {images.min()}..{images.max()}.")
        self.images = images.reshape(len(images), ROWS, COLS)
        self.labels = labels

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        image = torch.tensor(self.images[index]).unsqueeze(0)
        # ToTensor divides uint8 pixels by 255 and leaves floats as they are.
        image = image.float().div(255.0) if image.dtype == torch.uint8 else image.float()
        # Normalize(mean 0.5, std 0.5) maps [0, 1] onto [-1, 1].
        image = image.sub(0.5).div(0.5)
        label = self.labels[index]
        return image, int(label) if label.ndim == 0 else torch.tensor(label)

    def __getitems__(self, indices):
        """A whole batch in a few tensor operations (DataLoader calls this when it exists).

        The same values, bit for bit, as `__getitem__` item by item: the same float32 division
        and subtraction on every pixel, only done once for the batch instead of 128 times, which
        took seed 004's data feeding from about 24 ms to a few ms per batch on 2 loaded cores.
        """
        images = torch.from_numpy(self.images[indices]).unsqueeze(1)
        images = images.float().div(255.0) if images.dtype == torch.uint8 else images.float()
        images = images.sub(0.5).div(0.5)
        labels = self.labels[indices]
        return [
            (image, int(label) if label.ndim == 0 else torch.tensor(label))
            for image, label in zip(images, labels)
        ]


def torch_loader(dataset, batch_size, shuffle=True, generator=None):
    """Return torch.utils.data.DataLoader(dataset, batch_size, shuffle, generator=generator)."""
    return torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, shuffle=shuffle, generator=generator
    )
