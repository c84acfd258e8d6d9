"""The Gaussian-mixture toy data of seed 001 (TwistedW/See_GANs) and its mode-coverage measure.

`gmm_sample` draws exactly as See_GANs' ops.py does: the count of each component from one
multinomial draw, then one `multivariate_normal` call per component with the diagonal given as
VARIANCES, rows grouped by component (never shuffled). Called with NumPy's legacy global module
(`np.random`, what the original drew from) it consumes the same numbers in the same order.

Two mixtures:
- `RING` (default): main.py's 8 modes on a circle of radius 2 at multiples of pi/4, starting at
  (0, 2) and going clockwise, variance 0.02 per axis (main.py calls it "std").
- `TWO_GAUSSIANS`: the GAN class defaults the blog text describes, (0, 0) and (1, 1), variance 0.1.

Mode coverage (Metz et al. 2017, Unrolled GANs; Srivastava et al. 2017, VEEGAN): a generated
point is high quality when it lies within 3 standard deviations of its nearest mode; a mode is
covered when at least 1% of all generated points are high-quality points of that mode.
"""

import dataclasses

import numpy as np

HIGH_QUALITY_STDS = 3.0  # Metz et al. / VEEGAN: within 3 standard deviations of a mode.
COVERED_FRACTION = 0.01  # A mode is covered when it receives at least 1% of the points.


@dataclasses.dataclass(frozen=True)
class Mixture:
    """A See_GANs mixture: weights, means and per-axis VARIANCES, as tuples like main.py's."""

    mix_coeffs: tuple
    mean: tuple
    cov: tuple


def _ring(num_mixtures=8, radius=2.0, std=0.02):
    """main.py's mixture, built with main.py's own expressions so every float is the same."""
    thetas = np.linspace(0, 2 * np.pi, num_mixtures + 1)[:num_mixtures]
    xs, ys = radius * np.sin(thetas), radius * np.cos(thetas)
    return Mixture(
        mix_coeffs=tuple([1 / num_mixtures] * num_mixtures),
        mean=tuple(zip(xs, ys)),
        cov=tuple([(std, std)] * num_mixtures),  # "std" is passed as the diagonal variance.
    )


RING = _ring()
TWO_GAUSSIANS = Mixture(  # GAN.__init__ defaults, what the blog text says it used.
    mix_coeffs=(0.5, 0.5), mean=((0.0, 0.0), (1.0, 1.0)), cov=((0.1, 0.1), (0.1, 0.1))
)
MIXTURES = {"ring": RING, "two-gaussians": TWO_GAUSSIANS}


def gmm_sample(num_samples, mix_coeffs, mean, cov, random=np.random):
    """`num_samples` float64 rows (num_samples, dim), grouped by component as See_GANs' ops.py.

    `random` is NumPy's legacy global module (the original's) or a `np.random.RandomState`.
    """
    counts = random.multinomial(num_samples, mix_coeffs)
    samples = np.zeros(shape=[num_samples, len(mean[0])])
    start = 0
    for i in range(len(mix_coeffs)):
        end = start + counts[i]
        samples[start:end, :] = random.multivariate_normal(
            mean=np.array(mean)[i, :], cov=np.diag(np.array(cov)[i, :]), size=counts[i]
        )
        start = end
    return samples


def sample(mixture, num_samples, random=np.random):
    """`gmm_sample` of a `Mixture`."""
    return gmm_sample(num_samples, mixture.mix_coeffs, mixture.mean, mixture.cov, random)


def make_batches(size, batch_size):
    """See_GANs utils.py: (start, end) pairs covering `size` rows, e.g. 1000/512 -> 2 chunks."""
    return [(i, min(size, i + batch_size)) for i in range(0, size, batch_size)]


def coverage(points, mixture):
    """Mode coverage of generated `points` (n, 2) for `mixture`.

    Returns a dict: `modes_covered` (int), `modes` (int), `high_quality_fraction` (float) and
    `per_mode` (high-quality points of each mode). The radius of a mode is 3 times its largest
    per-axis standard deviation (the mixtures here are isotropic).
    """
    points = np.asarray(points, dtype=np.float64)
    means = np.asarray(mixture.mean, dtype=np.float64)
    stds = np.sqrt(np.max(np.asarray(mixture.cov, dtype=np.float64), axis=1))
    distances = np.linalg.norm(points[:, None, :] - means[None, :, :], axis=2)  # (n, modes)
    nearest = np.argmin(distances, axis=1)
    near = distances[np.arange(len(points)), nearest] <= HIGH_QUALITY_STDS * stds[nearest]
    per_mode = np.bincount(nearest[near], minlength=len(means))
    covered = per_mode >= COVERED_FRACTION * len(points)
    return {
        "modes_covered": int(covered.sum()),
        "modes": len(means),
        "high_quality_fraction": float(near.mean()) if len(points) else 0.0,
        "per_mode": per_mode.tolist(),
    }
