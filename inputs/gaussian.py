"""The 2-D Gaussian toy data of seed 000 (MXNet straight-dope gan-intro, xyang35's notebooks).

The real data are 1000 points `X = N A + b` with `N ~ N(0, I_2)` as row vectors, so the target
distribution has mean `b` and covariance `A^T A` (the MXNet original printed `A A^T`, a bug fixed
in its later chapter-14 version). The conditional GAN maps the same `N` twice: `X1 = N A1 + b1`
is the target and `X = N A2 + b2` the condition, so X1 is an affine function of X.

`random` arguments take NumPy's legacy global module (`np.random`, what the originals drew from)
or a `np.random.Generator` (what the cross-check uses); both have `normal` and `shuffle`.
"""

import numpy as np

N_POINTS = 1000  # xyang35 / MXNet: 1000 real points, drawn once.
A = np.array([[1.0, 2.0], [-0.1, 0.5]])  # The target's linear map (A1 in the CGAN).
b = np.array([1.0, 2.0])  # The target's mean (b1 in the CGAN).
A2 = np.array([[2.0, 1.0], [1.0, -1.0]])  # CGAN: the condition's linear map.
b2 = np.array([10.0, 1.0])  # CGAN: the condition's mean.


def true_moments(linear=A, shift=b):
    """Mean and covariance of `N linear + shift`: (shift, linear^T linear)."""
    return shift.copy(), linear.T @ linear


def gaussian_data(random=np.random, n=N_POINTS):
    """The GAN's real points, float64 (n, 2): `N @ A + b`."""
    noise = random.normal(size=(n, 2))
    return noise @ A + b


def conditional_data(random=np.random, n=N_POINTS):
    """The CGAN's (X, X1), each float64 (n, 2): condition `N @ A2 + b2`, target `N @ A + b`."""
    noise = random.normal(size=(n, 2))
    return noise @ A2 + b2, noise @ A + b


def epoch_order(count, shuffle=True, random=np.random):
    """The originals' batch order for one epoch: `arange(count)` permuted in place by `shuffle`.

    A resumable loop draws it at the epoch's start (the moment iterate_minibatch's first batch
    draws it) and saves it, so a run resumed mid-epoch takes the same batches.
    """
    indices = np.arange(count)
    if shuffle:
        random.shuffle(indices)
    return indices


def iterate_minibatch(*arrays, batch_size, shuffle=True, random=np.random):
    """Yield aligned batches of `arrays` (one array: the batch itself), reshuffled every call.

    As the originals: the indices are permuted in place with `shuffle`, then sliced every
    `batch_size` (1000 points in batches of 4 give exactly 250 batches; a size that does not
    divide the count leaves a smaller last batch, as it did there).
    """
    count = len(arrays[0])
    indices = epoch_order(count, shuffle, random)
    for start in range(0, count, batch_size):
        excerpt = indices[start : start + batch_size]
        batch = tuple(array[excerpt] for array in arrays)
        yield batch[0] if len(arrays) == 1 else batch
