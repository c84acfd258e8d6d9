"""quality/: the three sample-quality figures, the classifier's cache, and the real ceiling.

The maths and the cache run in CI on synthetic numbers (a fraction of a second). The real
classifier is trained once per session into a temporary folder (about 2 minutes on 2 idle CPU
cores, more on a busy machine), so the ceiling and degenerate-sample tests are marked slow.
"""

import json

import numpy as np
import pytest
import torch

from quality import classifier, metrics


def one_hot(labels, smooth=0.0):
    p = np.full((len(labels), 10), smooth / 9)
    p[np.arange(len(labels)), labels] = 1.0 - smooth
    return p


# The metric maths, on numbers whose answer is known in closed form.


def test_inception_score_is_10_for_confident_balanced_and_1_for_one_class():
    balanced = one_hot(np.arange(1000) % 10)
    assert metrics.inception_score(balanced) == pytest.approx(10.0, rel=1e-12)
    assert metrics.inception_score(one_hot(np.full(1000, 3))) == pytest.approx(1.0, abs=1e-12)
    # Every image unsure in the same way: p(y|x) = p(y), KL = 0, score 1.
    assert metrics.inception_score(np.full((50, 10), 0.1)) == pytest.approx(1.0, abs=1e-12)


def test_inception_score_by_hand_for_two_images():
    # p(y|x) = (0.5, 0.5, 0...) and (1, 0, 0...); p(y) = (0.75, 0.25, 0...).
    p = np.zeros((2, 10))
    p[0, :2], p[1, 0] = 0.5, 1.0
    kl_0 = 0.5 * np.log(0.5 / 0.75) + 0.5 * np.log(0.5 / 0.25)
    kl_1 = np.log(1.0 / 0.75)
    assert metrics.inception_score(p) == pytest.approx(np.exp((kl_0 + kl_1) / 2), rel=1e-12)


def test_frechet_distance_closed_forms():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(6, 6))
    sigma = a @ a.T + np.eye(6)
    mu = rng.normal(size=6)
    assert metrics.frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-9)
    shift = np.arange(6.0)
    assert metrics.frechet_distance(mu, sigma, mu + shift, sigma) == pytest.approx(55.0, rel=1e-9)
    # Diagonal covariances: sum over dimensions of (sqrt(a) - sqrt(b))^2.
    d1, d2 = rng.uniform(0.1, 4.0, 6), rng.uniform(0.1, 4.0, 6)
    expected = np.sum((np.sqrt(d1) - np.sqrt(d2)) ** 2)
    assert metrics.frechet_distance(mu, np.diag(d1), mu, np.diag(d2)) == pytest.approx(expected)


def test_frechet_distance_matches_the_eigenvalues_of_the_plain_product():
    """tr((S1 S2)^(1/2)) from the symmetric form equals the sum of sqrt(eig(S1 S2))."""
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(8, 8)), rng.normal(size=(8, 3))
    s1, s2 = a @ a.T, b @ b.T + 1e-3 * np.eye(8)  # s2 nearly singular (rank 3 + 1e-3 I)
    mu1, mu2 = rng.normal(size=8), rng.normal(size=8)
    trace_root = np.sum(np.sqrt(np.clip(np.linalg.eigvals(s1 @ s2).real, 0, None)))
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * trace_root
    assert metrics.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8)


def test_classes_covered_counts_classes_with_five_percent():
    labels = np.concatenate([np.full(50, 0), np.full(49, 1), np.full(901, 2)])
    # 5% of 1000 = 50: class 0 counts, class 1 (4.9%) does not.
    assert metrics.classes_covered(one_hot(labels)) == 2
    assert metrics.class_counts(one_hot(labels)).tolist() == [50, 49, 901] + [0] * 7


def test_to_unit_maps_tanh_range_and_rejects_an_empty_range():
    assert metrics.to_unit(np.array([-1.0, 0.0, 1.0]), (-1, 1)).tolist() == [0.0, 0.5, 1.0]
    with pytest.raises(ValueError, match="low < high"):
        metrics.to_unit(np.zeros(3), (1, 1))


def test_evaluate_with_a_fixed_tiny_classifier():
    """`evaluate` wires outputs, statistics and the three figures together."""

    class Brightness(torch.nn.Module):
        """Class = the tenth of the image's mean brightness; features = (mean, 2 x mean)."""

        def forward(self, x):
            mean = x.flatten(1).mean(1)
            logits = -100.0 * (mean[:, None] * 10 - 0.5 - torch.arange(10.0)) ** 2
            return logits, torch.stack([mean, 2 * mean], 1)

    levels = (np.arange(1000) % 10 + 0.5) / 10  # ten brightness levels, 100 images each
    images = np.repeat(levels[:, None], 784, axis=1).astype(np.float32)
    reference = metrics.statistics(np.stack([levels, 2 * levels], 1))
    result = metrics.evaluate(Brightness(), images, reference)
    assert result.classes == 10 and result.counts == [100] * 10
    assert result.inception_score == pytest.approx(10.0, rel=1e-6)
    assert result.frechet_distance == pytest.approx(0.0, abs=1e-6)
    dark = metrics.evaluate(Brightness(), images * 0 + 0.05, reference)
    assert dark.classes == 1 and dark.inception_score == pytest.approx(1.0)
    # All features at (0.05, 0.1) against mean (0.5, 1.0) and variance 0.0825 (x1, x4).
    expected = 0.45**2 + 0.9**2 + reference[1].trace()
    assert dark.frechet_distance == pytest.approx(expected, rel=1e-6)


# The cache: checksum, retraining, read-only folders (training replaced by a stub).


@pytest.fixture
def stub_training(monkeypatch):
    calls = []

    def train(raw, **kwargs):
        calls.append(len(raw.train_images))
        torch.manual_seed(len(calls))
        return classifier.Classifier(), 0.995

    monkeypatch.setattr(classifier, "train", train)
    monkeypatch.setattr(classifier.mnist, "read_raw", lambda *a, **k: _tiny_raw())
    return calls


def _tiny_raw():
    images = np.zeros((4, 28, 28, 1), np.uint8)
    return classifier.mnist.Raw(images, np.arange(4) % 10, images, np.arange(4) % 10)


def test_cache_is_written_with_its_checksum_and_reused(tmp_path, stub_training):
    model, record = classifier.load(tmp_path, log=lambda _: None)
    saved = json.loads((tmp_path / classifier.RECORD).read_text())
    assert saved["sha256"] == classifier._sha256(tmp_path / classifier.WEIGHTS)
    assert saved["test_accuracy"] == 0.995 and record["path"] == str(tmp_path / classifier.WEIGHTS)
    again, _ = classifier.load(tmp_path, log=lambda _: None)
    assert stub_training == [4]  # trained once; the second load read the cache
    for a, b in zip(model.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)


def test_a_corrupt_cache_is_retrained(tmp_path, stub_training):
    classifier.load(tmp_path, log=lambda _: None)
    weights = tmp_path / classifier.WEIGHTS
    weights.write_bytes(weights.read_bytes()[:-10] + b"0123456789")
    messages = []
    classifier.load(tmp_path, log=messages.append)
    assert len(stub_training) == 2 and "training the MNIST classifier" in messages[0]
    saved = json.loads((tmp_path / classifier.RECORD).read_text())
    assert saved["sha256"] == classifier._sha256(weights)


def test_a_classifier_below_99_percent_is_refused(tmp_path, monkeypatch, stub_training):
    monkeypatch.setattr(classifier, "train", lambda raw, **k: (classifier.Classifier(), 0.98))
    with pytest.raises(ValueError, match="only 0.9800 test accuracy"):
        classifier.load(tmp_path, log=lambda _: None)
    assert not (tmp_path / classifier.WEIGHTS).exists()


def test_cache_folder_falls_back_when_the_data_folder_is_read_only(tmp_path, monkeypatch):
    monkeypatch.delenv("GAN_QUALITY_CACHE", raising=False)
    data = tmp_path / "mnist"
    data.mkdir()
    assert classifier.cache_dir(data_dir=data) == data
    data.chmod(0o555)  # no write bit: read-only by intent, even for root
    try:
        assert classifier.cache_dir(data_dir=data) == classifier.FALLBACK_CACHE
    finally:
        data.chmod(0o755)
    monkeypatch.setenv("GAN_QUALITY_CACHE", str(tmp_path / "elsewhere"))
    assert classifier.cache_dir(data_dir=data) == tmp_path / "elsewhere"
    assert classifier.cache_dir(tmp_path / "given", data_dir=data) == tmp_path / "given"


# The real classifier, trained once per session: the ceiling and degenerate samples.


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    from inputs import mnist

    try:
        raw = mnist.read_raw(download=False)
    except mnist.MnistFileError as error:
        pytest.skip(f"no MNIST files ({error}); the tests never download.")
    model, record = classifier.load(tmp_path_factory.mktemp("classifier"), log=lambda _: None)
    return model, record, raw, metrics.reference_statistics(model, raw.test_images)


@pytest.mark.slow
def test_classifier_reaches_99_percent(trained):
    model, record, raw, _ = trained
    assert record["test_accuracy"] >= 0.99
    assert classifier.accuracy(model, raw.test_images, raw.test_labels) >= 0.99


@pytest.mark.slow
def test_real_images_reach_the_ceiling(trained):
    model, _, raw, reference = trained
    test = metrics.evaluate(model, raw.test_images, reference)
    assert test.inception_score > 9.5 and test.classes == 10
    assert test.frechet_distance < 1e-6  # the test set against its own statistics
    subset = np.random.default_rng(0).choice(60000, 10000, replace=False)
    train = metrics.evaluate(model, raw.train_images[subset], reference)
    assert train.inception_score > 9.5 and train.classes == 10
    # Measured 2.1 (features are unscaled ReLU units; one digit class alone gives ~1,080).
    assert train.frechet_distance < 5.0, train


@pytest.mark.slow
def test_one_digit_only_gives_one_class_low_score_large_distance(trained):
    model, _, raw, reference = trained
    ones = raw.test_images[raw.test_labels == 1]
    degenerate = metrics.evaluate(model, np.concatenate([ones] * 9)[:10000], reference)
    subset = np.random.default_rng(0).choice(60000, 10000, replace=False)
    real = metrics.evaluate(model, raw.train_images[subset], reference)
    assert degenerate.classes == 1 and degenerate.counts[1] > 9900
    assert degenerate.inception_score < 1.2
    assert degenerate.frechet_distance > 50 * max(real.frechet_distance, 0.1)
