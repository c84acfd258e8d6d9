"""Three sample-quality figures for generated MNIST digits, from the archive's own classifier.

- `inception_score`: exp(mean over images of KL(p(y|x) || p(y))), p(y) the mean of p(y|x)
  (Salimans et al. 2016) with the MNIST classifier in place of Inception, over the whole set
  (no splits). 1 when every image gets the same distribution, 10 at most (10 classes).
- `frechet_distance`: |mu_1 - mu_2|^2 + tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2)) between Gaussians
  fitted to the classifier's 128 penultimate features (Heusel et al. 2017, the FID formula).
- `classes_covered`: how many of the 10 predicted classes receive at least 5% of the images.

`evaluate(model, images, reference)` returns all three; `reference_statistics` computes the
real test set's features once. The images: (N, 784) or (N, 28, 28[, 1]) in [0, 1] (values
outside are clipped; `to_unit` maps a generator's tanh output first).
"""

import dataclasses

import numpy as np

from quality import classifier

MIN_SHARE = 0.05  # A class counts as covered when at least 5% of the samples fall in it.
SAMPLES = 10000  # Samples behind each figure: the size of the test set.


def inception_score(probabilities):
    """exp(mean_x KL(p(y|x) || p(y))) for an (N, 10) array of class probabilities."""
    p = np.asarray(probabilities, dtype=np.float64)
    marginal = p.mean(axis=0, keepdims=True)
    # 0 log 0 = 0: classes with p(y|x) = 0 add nothing; the tiny floor only avoids log(0) * 0.
    kl = np.sum(p * (np.log(np.maximum(p, 1e-300)) - np.log(np.maximum(marginal, 1e-300))), axis=1)
    return float(np.exp(kl.mean()))


def _sqrt_psd(matrix):
    """The symmetric square root of a symmetric positive semi-definite matrix, via eigh."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """|mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2)) for two Gaussians.

    scipy.linalg.sqrtm is not needed (scipy is not a dependency): S1 S2 is similar to the
    symmetric S1^(1/2) S2 S1^(1/2) (conjugate by S1^(1/2)), so both have the same eigenvalues,
    all real and >= 0, and tr((S1 S2)^(1/2)) = sum of sqrt(eigenvalues of S1^(1/2) S2 S1^(1/2)),
    which numpy's eigh computes stably; rounding negatives are clipped to 0.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    root1 = _sqrt_psd(sigma1)
    middle = root1 @ sigma2 @ root1
    eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2)
    trace_root = np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None)))
    distance = np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_root
    return float(max(distance, 0.0))  # Rounding can give -1e-12 for identical Gaussians.


def statistics(features):
    """(mean, covariance) of (N, d) features; N - 1 in the covariance, as np.cov."""
    features = np.asarray(features, dtype=np.float64)
    if len(features) < 2:
        raise ValueError(f"need at least 2 samples for a covariance, got {len(features)}.")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def class_counts(probabilities):
    """Images per predicted class (argmax of p(y|x)), an array of 10 counts."""
    return np.bincount(np.argmax(probabilities, axis=1), minlength=10)


def classes_covered(probabilities, min_share=MIN_SHARE):
    counts = class_counts(probabilities)
    return int(np.sum(counts >= min_share * counts.sum()))


@dataclasses.dataclass
class Quality:
    """The three figures for one set of images."""

    inception_score: float  # exp(mean KL(p(y|x) || p(y))), 1..10
    frechet_distance: float  # to the real test set's features; 0 for the same distribution
    classes: int  # classes with at least 5% of the images, 0..10
    counts: list  # images per predicted class
    images: int  # how many images were scored


def reference_statistics(model, test_images):
    """(mean, covariance) of the classifier's features on the real test images."""
    return statistics(classifier.outputs(model, test_images)[1])


def evaluate(model, images, reference):
    """The three figures for `images`, the distance measured to `reference` = (mean, cov)."""
    probabilities, features = classifier.outputs(model, images)
    return Quality(
        inception_score=inception_score(probabilities),
        frechet_distance=frechet_distance(*statistics(features), *reference),
        classes=classes_covered(probabilities),
        counts=class_counts(probabilities).tolist(),
        images=len(probabilities),
    )


def to_unit(images, value_range):
    """Generated images to [0, 1]: `value_range` is (low, high) of what the generator emits.

    (0, 1) for sigmoid output; (-1, 1) for tanh output trained against [-1, 1] data, mapped
    by (x + 1) / 2. Values outside [0, 1] afterwards are clipped by the classifier's input.
    """
    low, high = value_range
    if high <= low:
        raise ValueError(f"value_range must be (low, high) with low < high, got {value_range}.")
    return (np.asarray(images, dtype=np.float32) - low) / (high - low)
