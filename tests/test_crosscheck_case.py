"""The public Case API on models that live outside the archive (tests/crosscheck_toys.py):
fed randomness, kink flips in every pass, and one sentence for every mistake in a case."""

import os
import pathlib
import subprocess
import sys

import pytest

import crosscheck_toys as toys
from crosscheck import case as case_api
from crosscheck import engine, loading

ROOT = pathlib.Path(__file__).resolve().parents[1]


def load(folder, text, **replace):
    return loading.load(f"{toys.write(folder, text, **replace)}:CASE")


def test_a_case_file_outside_the_package_runs_from_a_plain_shell(tmp_path):
    """As a user would: a fresh case file in a folder of its own, `python -m crosscheck --case`
    in a fresh process with a plain environment, float64 with TF's Adam arithmetic."""
    path = toys.write(tmp_path, toys.DROPOUT_NET)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "crosscheck", "--case", f"{path}:CASE"]
        + ["--dtype", "float64", "--adam", "tf", "--steps", "3"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "dropout_net: 3 steps, float64" in result.stdout
    assert "verdict: PASS" in result.stdout


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_dropout_both_spellings_and_in_graph_noise_are_fed_to_both_sides(tmp_path, dtype):
    """TF 1's keep_prob, TF 2's rate and tf.random_normal inside the graph, F.dropout and
    torch.randn in the port: the same masks and noise on both sides, so the step-1 loss is
    the same to rounding (without them it differs by ~1e-2)."""
    result = engine.run(load(tmp_path, toys.DROPOUT_NET), 3, dtype=dtype, adam="tf")
    assert result.passed, engine.format_table("dropout_net", result)
    assert result.before_update["loss_net"] <= (1e-12 if dtype == "float64" else 1e-6)


def test_a_port_that_drops_keep_prob_instead_of_rate_fails(tmp_path):
    """F.dropout(x, 0.7) where TF keeps 0.7: the classic keep/rate slip. The fed masks would
    hide it in the numbers, so the rates themselves are compared."""
    result = engine.run(load(tmp_path, toys.DROPOUT_NET, P=0.7), 2, dtype="float64", adam="tf")
    assert not result.passed
    failed = [q for q, *_, verdict in result.rows if verdict == "FAIL"]
    assert any("PyTorch p=0.7, TF rate=0.3 (" in q for q in failed), failed


def test_a_kink_flip_in_the_g_step_is_reported_and_explains_the_excess(tmp_path):
    """A ReLU input that is zero up to rounding in the G step's pass through D only: the old
    check, which looked at D's forward before the D step, could not see it."""
    result = engine.run(load(tmp_path, toys.FLIP_GAN), 5, dtype="float32", adam="tf")
    table = engine.format_table("flip_gan", result)
    assert result.passed, table
    assert result.kink_step == 3, table  # FLIP_STEP: the first G step with t = 1e-9.
    flip = result.per_step[2]["flip"]
    assert flip["substep"] == "G" and flip["variable"].startswith("D/"), flip
    assert abs(flip["tf"]) <= 5e-7 and flip["pytorch"] == pytest.approx(-1e-9)
    assert max(s["variables"] for s in result.per_step[:2]) <= engine.TOL_FLOAT32_TF_ADAM
    assert result.per_step[2]["variables"] > engine.TOL_FLOAT32_TF_ADAM  # The flip's effect.
    assert "G step, D/b1[" in table and "explained" in table


def test_the_same_case_in_float64_has_no_flip(tmp_path):
    result = engine.run(load(tmp_path, toys.FLIP_GAN), 5, dtype="float64", adam="tf")
    assert result.passed and result.kink_step is None
    assert max(s["kink_flips"] for s in result.per_step) == 0


def test_a_real_port_bug_is_still_a_fail(tmp_path):
    """D's output off by 1e-3 (a bias mapped wrong, say): FAIL at step 1, flips or not."""
    result = engine.run(load(tmp_path, toys.FLIP_GAN, BUG=1e-3), 5, dtype="float32", adam="tf")
    assert not result.passed
    assert [v for q, *_, v in result.rows if q == "step 1 loss_D"] == ["FAIL"]


@pytest.mark.parametrize(
    "edit, fragment",
    [
        (
            lambda s: s.replace('    "D/b2": ("D.l2.bias", "same"),\n', ""),
            "TF variable 'D/b2' has no name-map entry; missing (1): D/b2.",
        ),
        (
            lambda s: s.replace(
                '"G/b": ("G.lin.bias", "same"),',
                '"G/b": ("G.lin.bias", "same"),\n    "G/c": ("G.lin.bias", "same"),',
            ),
            "name-map entry 'G/c' is no trainable variable of the graph; unexpected (1): G/c.",
        ),
        (
            lambda s: s.replace('("D.l2.bias", "same")', '("D.l3.bias", "same")'),
            "name-map entry 'D/b2' points at 'D.l3.bias', which the PyTorch modules do not have",
        ),
        (
            lambda s: s.replace('("D.l1.weight", "dense")', '("D.l1.weight", "same")'),
            "TF variable 'D/w1' has shape [2, 4]; layout 'same' makes it [2, 4], "
            "but D.l1.weight has shape [4, 2].",
        ),
        (
            lambda s: s.replace('("D.l1.weight", "dense")', '("D.l1.weight", "conv")'),
            "name-map entry 'D/w1' has layout 'conv', which does not fit its shape [2, 4]",
        ),
        (
            lambda s: s.replace('"D/")', '"D/w")'),
            "TF variable 'D/b1' is trainable but no train op updates it",
        ),
        (
            lambda s: s.replace(
                "tf.train.AdamOptimizer(0.01).minimize(g_loss, var_list=g_vars)", "pass"
            ).replace("tf.train.AdamOptimizer(0.01).minimize(d_loss, var_list=d_vars)", "pass"),
            "the graph has no train op",
        ),
        (
            lambda s: s.replace(
                "AdamOptimizer(0.01).minimize(d_loss",
                "AdamOptimizer(tf.placeholder_with_default(0.01, [])).minimize(d_loss",
            ),
            "cannot read the lr of the D step's optimizer 'Adam'",
        ),
        (
            lambda s: s.replace(
                "self.l1, self.l2 = nn.Linear(2, 4), nn.Linear(4, 1)",
                "self.l1, self.l2 = nn.Linear(2, 4), nn.Linear(4, 1)\n"
                "        self.extra = nn.Linear(1, 1)",
            ),
            "PyTorch parameter 'D.extra.weight' has no TF variable in the name map",
        ),
    ],
    ids=[
        "missing",
        "unexpected",
        "no-such-parameter",
        "wrong-layout",
        "layout-rank",
        "var-list",
        "no-train-op",
        "lr-not-constant",
        "unmapped-parameter",
    ],
)
def test_every_mistake_in_a_case_is_one_sentence(tmp_path, edit, fragment):
    path = toys.write(tmp_path, edit(toys.FLIP_GAN))
    with pytest.raises(case_api.CaseError) as error:
        engine.sides(loading.load(f"{path}:CASE"))
    message = str(error.value)
    assert fragment in message
    assert message.count(". ") == 0 and message.endswith((".", ")")), message  # One sentence.


@pytest.mark.parametrize(
    "spec, fragment",
    [
        ("{tmp}/nowhere.py:CASE", "no case file"),
        ("{case}:CAES", "has no 'CAES' (its cases: CASE)."),
        ("{case}", "--case takes FILE.py:NAME or package.module:NAME"),
        ("{case}:step", "is a function, not a crosscheck.case.Case."),
        ("no_such_package.cases:CASE", "no module 'no_such_package.cases'"),
        (
            "{broken}:CASE",
            "failed, line 2 of broken.py: NameError: name 'undefined_name' is not defined",
        ),
    ],
)
def test_a_case_that_cannot_be_found_is_one_sentence(tmp_path, spec, fragment):
    path = toys.write(tmp_path, toys.FLIP_GAN)
    broken = tmp_path / "broken.py"
    broken.write_text("import numpy\nundefined_name()\n")
    with pytest.raises(case_api.CaseError) as error:
        loading.load(spec.format(tmp=tmp_path, case=path, broken=broken))
    assert fragment in str(error.value)


def test_a_missing_case_file_ends_the_command_with_exit_2(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "crosscheck", "--case", f"{tmp_path}/nowhere.py:CASE"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert (
        result.stderr.strip().splitlines()[-1]
        == f"error: no case file {tmp_path}/nowhere.py: it does not exist."
    )


def test_batches_from_arrays_cut_epochs_and_draw_fresh_noise_per_substep():
    import numpy as np

    make = case_api.batches_from(
        {"X": np.arange(10.0)[:, None]},
        4,
        noise={"Z": case_api.uniform(-1, 1, 3)},
        fresh={"G": ["Z"]},
    )
    batches = make(np.random.default_rng(0), 5)
    first_epoch = np.concatenate([b["X"] for b in batches[:2]]).ravel()
    assert len(set(first_epoch)) == 8  # Two batches of 4 from one permutation, the rest dropped.
    assert batches[0]["Z"].shape == (4, 3) and batches[0]["G"]["Z"].shape == (4, 3)
    assert not np.array_equal(batches[0]["Z"], batches[0]["G"]["Z"])
    assert case_api.substep(batches[0], "G")["Z"] is batches[0]["G"]["Z"]
    with pytest.raises(case_api.CaseError, match="fresh"):
        case_api.batches_from({"X": np.zeros((4, 1))}, 2, fresh={"G": ["Z"]})


EXAMPLE = ROOT / "examples" / "mnist_gan_2017"


def glue_lines(path):
    """A case file's lines of code: no blank line, comment or docstring line."""
    import ast

    source = path.read_text()
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(getattr(body[0], "value", None), ast.Constant):
                docstrings.update(range(body[0].lineno, body[0].end_lineno + 1))
    return [
        line
        for number, line in enumerate(source.splitlines(), start=1)
        if line.strip() and not line.strip().startswith("#") and number not in docstrings
    ]


def test_the_worked_example_needs_at_most_40_lines_of_glue():
    assert len(glue_lines(EXAMPLE / "case.py")) <= 40


@pytest.mark.parametrize("dtype, steps", [("float64", 4), ("float32", 30)])
def test_the_worked_example_passes_from_the_command_line(mnist_dir, dtype, steps):
    """The 2017-style script (run as tf1run runs it) against its port, from a plain shell."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/"),
        "MNIST_DATA_DIR": str(mnist_dir),
    }
    result = subprocess.run(
        [sys.executable, "-m", "crosscheck", "--case", f"{EXAMPLE}/case.py:CASE"]
        + ["--dtype", dtype, "--adam", "tf", "--steps", str(steps)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "verdict: PASS" in result.stdout
    if dtype == "float64":
        variables = next(
            line for line in result.stdout.splitlines() if line.startswith("variables")
        )
        assert float(variables.split()[1]) <= 1e-12
