"""crosscheck/results.py: `python -m crosscheck results MODEL`, on a budget of a few steps.

The real classifier takes minutes to train, so these tests hand the command a fixed, untrained
one (the figures are then meaningless, but every run, table row and file must still be there).
The real budgets run outside CI; their tables are in the README.
"""

import json

import imageio.v2 as imageio
import pytest
import torch

from crosscheck import results
from inputs import mnist
from quality import classifier


@pytest.fixture
def fixed_classifier(monkeypatch):
    try:
        mnist.read_raw(download=False)
    except mnist.MnistFileError as error:
        pytest.skip(f"no MNIST files ({error}); the tests never download.")
    torch.manual_seed(0)
    model = classifier.Classifier().eval()
    record = {"test_accuracy": 0.0, "path": "(untrained, for the test)"}
    monkeypatch.setattr(classifier, "load", lambda *a, **k: (model, record))


@pytest.mark.parametrize("model", results.MODELS)
def test_every_seed_and_framework_is_trained_scored_and_tabled(model, tmp_path, fixed_classifier):
    out = tmp_path / "out"
    argv = [model, "--budget", "2", "--seeds", "0", "1", "--samples", "300", "--out", str(out)]
    assert results.main(argv) == 0
    saved = json.loads((out / "results.json").read_text())
    assert saved["steps"] == 2 and saved["budget"] == "2 steps"
    assert [(r["framework"], r["seed"]) for r in saved["runs"]] == [
        ("tf1", 0), ("pytorch", 0), ("tf1", 1), ("pytorch", 1)]  # fmt: skip
    for run in saved["runs"]:
        assert sum(run["quality"]["counts"]) == 300 and 1.0 <= run["quality"]["inception_score"]
        picture = imageio.imread(out / run["picture"])  # 10 x 10 cells of 28 + 2 pixels
        assert (
            picture.shape[:2] == (302, 302) and run["picture"] in (out / "results.md").read_text()
        )
    text = (out / "results.md").read_text()
    assert f"`{model}`, 2 steps per run, seeds 0, 1" in text
    rows = [line for line in text.splitlines() if line.startswith("| TF1") or
            line.startswith("| PyTorch")]  # fmt: skip
    assert len(rows) == 2 and all("| 2 of 2 |" in row for row in rows)
    assert "| real test images (ceiling) |" in text


def test_a_run_that_diverges_is_counted_and_named_and_the_others_go_on(
    tmp_path, fixed_classifier, monkeypatch
):
    real_tf1 = results.TRAINERS["tf1"]

    def diverges_at_seed_1(model, steps, seed, *rest):
        if seed == 1:
            results._finite(6, 0.5, float("inf"))
        return real_tf1(model, steps, seed, *rest)

    monkeypatch.setitem(results.TRAINERS, "tf1", diverges_at_seed_1)
    out = tmp_path / "out"
    argv = ["mnist_vanilla_gan", "--budget", "2", "--seeds", "0", "1", "--frameworks", "tf1",
            "--samples", "300", "--out", str(out)]  # fmt: skip
    assert results.main(argv) == 0
    runs = json.loads((out / "results.json").read_text())["runs"]
    assert "quality" in runs[0] and "quality" not in runs[1]
    assert runs[1]["stopped"] == "G_loss became inf at step 7"
    text = (out / "results.md").read_text()
    assert "| 1 of 2 |" in text and "PyTorch port" not in text
    assert "- TF1 reference, seed 1: G_loss became inf at step 7; the run stopped there." in text


def test_the_vanilla_loss_form_is_passed_to_both_frameworks(tmp_path, fixed_classifier,
                                                             monkeypatch):  # fmt: skip
    seen = []
    for framework in ("tf1", "pytorch"):
        real = results.TRAINERS[framework]

        def spy(model, steps, seed, data_dir, loss, real=real, framework=framework):
            seen.append((framework, loss))
            return real(model, steps, seed, data_dir, loss)

        monkeypatch.setitem(results.TRAINERS, framework, spy)
    out = tmp_path / "out"
    argv = ["mnist_vanilla_gan", "--budget", "2", "--seeds", "0", "--loss", "sce", "--samples",
            "300", "--out", str(out)]  # fmt: skip
    assert results.main(argv) == 0
    assert seen == [("tf1", "sce"), ("pytorch", "sce")]
    assert "2 steps, --loss sce per run" in (out / "results.md").read_text()


def test_loss_is_refused_for_the_other_models(tmp_path):
    from harness import cli

    with pytest.raises(cli.UserError, match="--loss applies to mnist_vanilla_gan only"):
        results.main(["mnist_mlp_gan", "--loss", "sce", "--out", str(tmp_path)])
    assert not (tmp_path / "results.json").exists()


def test_finite_losses_pass_and_nan_names_the_step():
    results._finite(0, 0.7, 1.2, "extra outputs are ignored")
    with pytest.raises(results.Diverged, match="D_loss became nan at step 3"):
        results._finite(2, float("nan"), 1.0)


@pytest.mark.parametrize("text, model, expected", [
    ("2000", "mnist_vanilla_gan", (2000, "2000 steps")),
    ("1step", "mnist_vanilla_gan", (1, "1 step")),
    ("10epochs", "mnist_mlp_gan", (4680, "10 epochs (4680 steps)")),
    ("2 epochs", "mnist_dcgan", (1718, "2 epochs (1718 steps)")),
])  # fmt: skip
def test_budget_words_and_epoch_lengths(text, model, expected):
    assert results.parse_budget(text, model) == expected
