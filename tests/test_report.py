"""The comparison report (`python -m report`) on a tiny budget: tables and pictures.

In CI one report is built once per module for the Gaussian GAN and the MNIST vanilla GAN (a
few cross-check steps in three settings and tiny runs each); the slow test builds it for all
six models (277 CPU seconds on the busy 2-core machine).
The MNIST models train on a 6,280-image slice of the training set (5,000 of them the
validation split), so that the MLP GAN's one epoch is 49 steps. A cross-check-only report runs
with no MNIST files, to see them skipped while the rest still run.
"""

import os
import pathlib
import re
import subprocess
import sys

import imageio.v2 as imageio
import numpy as np
import pytest

from harness import registry
from report import checks
from report import comparison as report
from inputs import mnist

ROOT = pathlib.Path(__file__).resolve().parents[1]
TRAIN_SLICE = 6280  # 5,000 validation images + 1,280 (10 batches of 128) for training.


CI_MODELS = ("gaussian_gan", "mnist_vanilla_gan")  # a toy model and a MNIST one


def build_tiny(folder, models):
    if report.mnist_missing() is not None:
        pytest.skip("no MNIST files; set MNIST_DATA_DIR (the tests never download).")
    full = mnist.read_raw(download=False)
    sliced = full._replace(
        train_images=full.train_images[:TRAIN_SLICE], train_labels=full.train_labels[:TRAIN_SLICE]
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mnist, "read_raw", lambda *args, **kwargs: sliced)
        reports, _ = report.build(folder, models, budget="tiny", quality=False, log=lambda _: None)
    return folder, reports, (folder / "report.md").read_text()


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory):
    return build_tiny(tmp_path_factory.mktemp("report"), CI_MODELS)


def pictures_of(text):
    return re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)


def check_summary_table(reports, text):
    summary = text.split("## Summary")[1].split("\n## ")[0]
    rows = [line for line in summary.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == [r.model for r in reports]
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        # Three settings, each "<max |diff|> PASS|FAIL", then the short runs' last losses.
        for cell in cells[1:4]:
            value, verdict = cell.split()
            assert float(value) >= 0 and verdict in ("PASS", "FAIL")
        assert re.search(r"\d\.\d{3} / \d\.\d{3}", cells[4]), cells[4]
    assert all(not r.skipped for r in reports)


def check_model_tables(reports, text):
    for model_report in reports:
        section = text.split(f"## `{model_report.model}`")[1].split("\n## ")[0]
        rows = [line for line in section.splitlines() if re.match(r"\| \d+ \| float", line)]
        assert len(rows) == 3, section
        for row, (dtype, adam) in zip(rows, checks.SETTINGS):
            cells = [cell.strip() for cell in row.strip("|").split("|")]
            result = model_report.checks[dtype, adam]
            assert cells[0] == str(model_report.plan.steps) == str(result.steps)
            assert cells[1] == dtype
            variables = max(s["variables"] for s in result.per_step)
            assert cells[5] == f"{variables:.1e}"
            assert cells[8] == ("PASS" if result.passed else "FAIL")
        # float64 with TF's Adam agrees to rounding over a few steps in every model.
        assert max(s["variables"] for s in model_report.checks["float64", "tf"].per_step) < 1e-12


def check_pictures(folder, reports, text):
    names = pictures_of(text)
    models = [r.model for r in reports]
    assert len(names) == 3 * len(models)  # parity, side by side, loss curves per model
    for name in names:
        image = imageio.imread(folder / name)
        assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100, name
        assert np.ptp(image) > 0, f"{name} is blank"
    for model in models:
        assert {f"{model}_parity.png", f"{model}_samples.png", f"{model}_losses.png"} <= set(names)


def test_summary_table_has_every_model_and_three_settings(tiny_report):
    check_summary_table(tiny_report[1], tiny_report[2])


def test_each_model_has_its_table_with_the_engine_figures(tiny_report):
    check_model_tables(tiny_report[1], tiny_report[2])


def test_every_picture_exists_and_is_a_valid_image(tiny_report):
    check_pictures(*tiny_report)


@pytest.mark.slow
def test_report_of_all_six_models(tmp_path):
    folder, reports, text = build_tiny(tmp_path, registry.NAMES)
    check_summary_table(reports, text)
    check_model_tables(reports, text)
    check_pictures(folder, reports, text)


def test_missing_mnist_is_reported_as_skipped_and_the_rest_run(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path / "no-mnist"))
    reports, quality = report.build(
        tmp_path / "r",
        ["gaussian_gan", "mnist_vanilla_gan"],
        budget="tiny",
        train=False,
        log=lambda _: None,
    )
    text = (tmp_path / "r" / "report.md").read_text()
    assert reports[0].checks and not reports[0].skipped
    assert "MNIST files not available" in reports[1].skipped
    assert "| `mnist_vanilla_gan` | skipped | skipped | skipped |" in text
    assert "Skipped: MNIST files not available" in text
    assert quality == {"skipped": reports[1].skipped}
    for name in pictures_of(text):
        assert (tmp_path / "r" / name).is_file()


def test_a_run_that_stops_itself_is_reported_and_the_report_goes_on(tmp_path, monkeypatch):
    """The originals' raw logs can reach inf in a short run (mnist_vanilla_gan's TF1 run at seed
    0 did, at iteration 1027 of make demo): the report records the run's sentence, uses what it
    drew, and still builds every other part."""
    from harness import cli
    from tf1_reference import gaussian_gan

    real_main = gaussian_gan.main

    def stops_at_the_end(argv):
        real_main(argv)
        raise cli.UserError("loss_D became inf at step 7, so the run stopped there.")

    monkeypatch.setattr(gaussian_gan, "main", stops_at_the_end)
    reports, _ = report.build(
        tmp_path / "r", ["gaussian_gan"], budget="tiny", quality=False, log=lambda _: None
    )
    text = (tmp_path / "r" / "report.md").read_text()
    assert reports[0].stopped == {"tf1": "loss_D became inf at step 7, so the run stopped there."}
    assert "The tf1 run stopped itself: loss_D became inf at step 7" in text
    assert "(stopped itself: tf1)" in text
    for name in pictures_of(text):
        assert (tmp_path / "r" / name).is_file()


def run_command(*args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("args", [("report", "--help"), ("quality.classifier", "--help")])
def test_help(args):
    result = run_command(*args)
    assert result.returncode == 0 and "usage: python -m" in result.stdout, result.stderr


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("crosscheck", "results", "mnist_vanilla_gan"), "invalid choice: 'results'"),
        (("report", "no_such_gan", "--no-quality"), "unknown model 'no_such_gan'"),
    ],
)
def test_bad_input_is_one_sentence(args, fragment):
    result = run_command(*args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert fragment in result.stderr.strip().splitlines()[-1]


def test_a_report_folder_holding_runs_is_refused_before_anything_runs(tmp_path):
    """A half-written report (killed during its runs) has runs/ but no report.md yet."""
    (tmp_path / "runs" / "gaussian_gan" / "tf1").mkdir(parents=True)
    (tmp_path / "runs" / "gaussian_gan" / "tf1" / "log.txt").write_text("old\n")
    result = run_command("report", "gaussian_gan", "--out", str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "already holds a report or its runs" in result.stderr.strip().splitlines()[-1]
    assert (tmp_path / "runs" / "gaussian_gan" / "tf1" / "log.txt").read_text() == "old\n"
    assert not (tmp_path / "report.md").exists()


def test_denormals_counts_what_tensorflow_would_flush():
    """report/denormals.py on hand-made numbers: a subnormal product counted in the op that
    makes it, an Adam moment that decays into the subnormal range counted in the state, and on
    this CPU TensorFlow flushing where PyTorch does not."""
    import torch
    from torch.optim import optimizer as optimizers

    from report import denormals

    tiny = torch.tensor([denormals.TINY, 0.0, -denormals.TINY / 4, 1.0])
    assert denormals.subnormals(tiny) == 1 and denormals.subnormals(tiny.double()) == 0
    mode = denormals.counting_mode()
    with mode:
        (tiny * 0.5).sum()
    assert mode.by_op == {"mul": 2} and mode.values == 5  # 4 products and their sum.

    weight = torch.nn.Parameter(torch.ones(3))
    optimizer = torch.optim.Adam([weight], lr=1e-3)
    state = denormals.StateCount()
    handle = optimizers.register_optimizer_step_post_hook(state)
    try:
        weight.grad = torch.tensor([1e-36, 1.0, 0.0])  # Then zero: m shrinks by 0.9 a step.
        optimizer.step()
        for _ in range(30):
            weight.grad = torch.zeros(3)
            optimizer.step()
    finally:
        handle.remove()
    # m = 1e-37 after step 1, below 2^-126 (1.2e-38) from step 22 on: 10 steps with one.
    assert state.totals == {("D", "exp_avg"): 10} and state.first_step == {("D", "exp_avg"): 22}
    assert denormals.flushing() == (True, False)
