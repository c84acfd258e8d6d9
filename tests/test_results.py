"""results/: `python -m results plan | run | merge` on runs of a few steps.

One small table (tiny ring runs, two seeds in both frameworks; a ring row whose learning rate
makes every run stop on an infinite loss at its first step; a 3-step vanilla MNIST row) is
planned, run (the stopping row through `python -m results run`, the others in this process
from the plan's own commands) and merged. The MNIST runs are scored by a fixed, untrained
classifier, as the real one takes minutes to train: the figures are then meaningless, but
every run, row, picture and file must be there. A paired ring row (both frameworks from the
reference's initial weights at each seed) is planned, run from its printed lines and merged on
its own.
"""

import dataclasses
import importlib
import io
import json
import os
import pathlib
import shlex
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from harness import cli, cpu
from results import __main__ as command
from results import extras, merge, page, plan, rows, runs, score

ROOT = pathlib.Path(__file__).resolve().parents[1]
RING = ["--num-epochs", "40", "--disp-freq", "20", "--checkpoint-every", "20"]
TABLE = [
    {
        "name": "ring-tiny",
        "model": "ring_gan",
        "seeds": [1, 2],
        "args": RING,
        "pictures": ["_40.png"],
        "extras": ["coverage-curve"],
        "note": "a test",
    },
    {
        "name": "ring-inf",
        "model": "ring_gan",
        "seeds": [1],
        "args": ["--num-epochs", "40", "--learning-rate", "10"],
    },
    {
        "name": "vanilla-tiny",
        "model": "mnist_vanilla_gan",
        "seeds": [0, 1],
        "args": ["--iterations", "3", "--sample-every", "2"],
    },
]


def results(*argv):
    return command.main([str(a) for a in argv])


PAIRED = {
    "name": "ring-paired",
    "model": "ring_gan",
    "seeds": [1, 2],
    "args": ["--num-epochs", "20", "--disp-freq", "20"],
    "paired": True,
}


def train(line):
    """Run one printed command in this process (python -m MODULE ARGS...): a training command
    or python -m convert initial."""
    words = shlex.split(line)
    assert words[:2] == ["python", "-m"], line
    if words[2] == "convert":
        from convert import checkpoint

        checkpoint.main(words[3:])
    else:
        importlib.import_module(words[2]).main(words[3:])


@pytest.fixture(scope="module")
def classifier_model():
    from quality import classifier

    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    return classifier.Classifier().eval()


@pytest.fixture
def fixed_classifier(monkeypatch, classifier_model, mnist_dir):
    from quality import classifier

    record = {"test_accuracy": 0.0, "path": "(untrained, for the test)"}
    monkeypatch.setattr(classifier, "load", lambda *a, **k: (classifier_model, record))


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """The table, its root, and the runs: ring-inf through `run`, the others in-process."""
    mnist_files = pathlib.Path(os.environ.get("MNIST_DATA_DIR", "."))
    if not (mnist_files / "t10k-labels-idx1-ubyte.gz").is_file():
        pytest.skip("no MNIST files; set MNIST_DATA_DIR (the tests never download).")
    folder = tmp_path_factory.mktemp("study")
    table, root = folder / "table.json", folder / "runs"
    table.write_text(json.dumps(TABLE))
    done = subprocess.run(
        [sys.executable, "-m", "results", "run", "ring-inf", "--table", table, "--root", root],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    for line in plan.plan(
        rows.select(rows.load(table), ["ring-tiny", "vanilla-tiny"]),
        root,
        out=open(os.devnull, "w"),
        err=open(os.devnull, "w"),
    ):
        train(shlex.join(line.words()))
    return table, root, done


def test_the_archive_table_prints_the_issue_s_commands_and_each_parses(tmp_path, capsys):
    results("plan", "--root", tmp_path / "r")
    lines = capsys.readouterr().out.splitlines()
    planned = [row for row in rows.ROWS if not row.optional]
    # Two runs per seed, and before them a paired row's initial weights.
    assert len(lines) == sum((2 + row.paired) * len(row.seeds) for row in planned)
    assert (
        f"python -m tf1_reference.ring_gan --num-epochs 10000 --seed 6789 --out "
        f"{tmp_path}/r/ring_gan-10000/tf1/seed-6789"
    ) in lines
    assert (
        f"python -m harness.cpu --path avx2 -- python -m ports.ring_gan --num-epochs 10000 "
        f"--seed 7 --out {tmp_path}/r/ring_gan-10000-avx2/pytorch/seed-7"
    ) in lines
    assert (
        f"python -m ports.mnist_dcgan train --epochs 2 --real-scale tanh --seed 2 --out "
        f"{tmp_path}/r/mnist_dcgan-2-tanh/pytorch/seed-2"
    ) in lines
    paired = f"{tmp_path}/r/mnist_vanilla_gan-20000-sce-paired"
    start = lines.index(
        f"python -m convert initial mnist_vanilla_gan --seed 1 {paired}/init/seed-1.npz"
    )
    assert lines[start + 1 : start + 3] == [
        f"python -m {package}.mnist_vanilla_gan --iterations 20000 --loss sce --seed 1 "
        f"--init-weights {paired}/init/seed-1.npz --out {paired}/{framework}/seed-1"
        for package, framework in (("tf1_reference", "tf1"), ("ports", "pytorch"))
    ]
    assert not any("mnist_mlp_gan-10/" in line for line in lines)  # Optional: only when named.
    results("plan", "mnist_mlp_gan-lyeoni", "mnist_mlp_gan-10", "--root", "r")
    named = capsys.readouterr().out.splitlines()
    assert named[0] == (
        "python -m tf1_reference.mnist_mlp_gan --bs 100 --n-epoch 100 --seed 0 "
        "--out r/mnist_mlp_gan-lyeoni/tf1/seed-0"
    )
    assert len(named) == 2 + 6
    results("plan", "mnist_mlp_gan-10-fast", "--root", "r")  # The port's runs only.
    fast = capsys.readouterr().out.splitlines()
    assert fast == [
        f"python -m ports.mnist_mlp_gan --fast --seed {seed} --out r/mnist_mlp_gan-10-fast/"
        f"pytorch/seed-{seed}"
        for seed in (0, 1, 2)
    ]
    named += fast
    for line in lines + named:  # Every flag is one the model's own command line takes.
        words = shlex.split(line)
        words = words[words.index("--") + 1 :] if "harness.cpu" in line else words
        if words[2] == "convert":
            convert_parser().parse_args(words[3:])
        else:
            model_parser(words[2]).parse_args(words[3:])


def convert_parser():
    from convert import checkpoint

    return checkpoint.parser()


def model_parser(name):
    """The argument parser of a training command (python -m NAME)."""
    return importlib.import_module(name).COMMAND.parser()


def test_plan_skips_done_runs_and_resumes_an_interrupted_one(study, capsys, tmp_path):
    table, root, _ = study
    folder = root / "ring-tiny" / "tf1" / "seed-2"
    finished = folder / "checkpoints" / "finished"
    finished.rename(tmp_path / "finished")  # As if killed after its last checkpoint.
    try:
        results("plan", "--table", table, "--root", root)
        out, err = capsys.readouterr()
        results("plan", "--status", "--table", table, "--root", root)
        status = capsys.readouterr().out
        summaries, _ = merge.merge(
            [root / "ring-tiny"],
            rows.load(table),
            None,
            out=tmp_path / "partial",
            log=lambda _: None,
        )
    finally:
        if not finished.exists():
            (tmp_path / "finished").rename(finished)
    resume = f"python -m tf1_reference.ring_gan {' '.join(RING)} --seed 2 --resume {folder}"
    assert out.splitlines() == [resume]
    assert "plan: 1 interrupted, 7 done, 2 stopped; done and stopped runs are skipped" in err
    assert "ring-inf pytorch seed 1: stopped (exit 2: error: d_loss became inf at step 1" in status
    left_out = [r for r in summaries[0]["runs"] if r["state"] == "interrupted"]
    assert [(r["framework"], r["seed"]) for r in left_out] == [("tf1", 2)]
    assert left_out[0]["detail"] == "interrupted; its last checkpoint is after step 40"
    assert summaries[0]["ring"]["tf1"]["counted"] == 1
    assert (
        "- Not finished, left out: TF1 reference, seed 2"
        in (tmp_path / "partial" / "results.md").read_text()
    )
    finished.unlink()
    train(resume)  # The printed command resumes the run, which then finishes.
    assert finished.is_file()


def test_run_writes_machine_and_stopped_files(study):
    _, root, done = study
    assert done.returncode == 1, done.stderr
    assert "[1/2] ring-inf tf1 seed 1: started" in done.stdout
    assert "wrote STOPPED" in done.stdout and "run: 0 of 2 job(s) finished" in done.stdout
    for framework in ("tf1", "pytorch"):
        folder = root / "ring-inf" / framework / "seed-1"
        assert (folder / "STOPPED").read_text().startswith("exit 2: error: d_loss became inf")
        machine = json.loads((folder / "machine.json").read_text())
        assert machine[-1]["kernel_path"] == "native" and machine[-1]["label"]


def test_merge_scores_counts_and_names(study, fixed_classifier, tmp_path, capsys):
    _, root, _ = study
    stopped = root / "vanilla-tiny" / "pytorch" / "seed-1"
    (stopped / "checkpoints" / "finished").rename(stopped / "finished.kept")
    (stopped / "STOPPED").write_text("exit 2: error: G_loss became inf at iteration 2, so ...\n")
    wider = tmp_path / "table.json"  # ring-inf with a seed that never ran.
    wider.write_text(
        json.dumps(
            [{**row, "seeds": [1, 9]} if row["name"] == "ring-inf" else row for row in TABLE]
        )
    )
    try:
        results("merge", root, "--table", wider, "--out", tmp_path / "out", "--samples", 300)
    finally:
        (stopped / "STOPPED").unlink()
        (stopped / "finished.kept").rename(stopped / "checkpoints" / "finished")
    text = capsys.readouterr().out
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    by_name = {row["name"]: row for row in saved["rows"]}
    assert list(by_name) == ["ring-tiny", "ring-inf", "vanilla-tiny"]
    ring = by_name["ring-tiny"]
    assert ring["ring"]["tf1"]["counted"] == 2 and ring["ring"]["pytorch"]["counted"] == 2
    assert all(len(r["coverage"]) == 2 for r in ring["runs"])  # Displays at 20 and 40.
    wilson = [0.0, pytest.approx(0.7935, abs=1e-4)]  # 0 of 1: z^2 / (1 + z^2), z = 1.96.
    assert by_name["ring-inf"]["ring"]["tf1"] == {
        "counted": 1,
        "covers": 0,
        "rate": 0.0,
        "interval": wilson,
    }
    vanilla = by_name["vanilla-tiny"]
    assert vanilla["quality"]["tf1"]["scored"] == 2
    assert vanilla["quality"]["pytorch"] == {
        **vanilla["quality"]["pytorch"],
        "scored": 1,
        "counted": 2,
    }
    assert sum(vanilla["runs"][0]["quality"]["counts"]) == 300
    assert "| PyTorch port |" in text and "| 1 of 2 |" in text
    assert "| real test images (ceiling) |" in text and "images of the digit 1 (floor)" in text
    assert "- PyTorch port, seed 1: G_loss became inf at iteration 2" in text
    assert "- Not started: TF1 reference seed 9, PyTorch port seed 9." in text
    assert f"machine: {cpu.model()}" in text  # Run folders made here: this machine, and
    assert "(recorded at merge time" in text  # ... said so where no machine.json names it.
    for row in saved["rows"]:
        for run in row["runs"]:
            for picture in run.get("pictures", []) + [run.get("grid"), run.get("curve")]:
                if picture:
                    path = tmp_path / "out" / picture
                    assert path.is_file() and path.stat().st_size < 60_000, path
    assert (tmp_path / "out" / "results" / "ring-tiny" / "tf1-seed-1-40.png").is_file()


def test_merge_refuses_a_row_of_mixed_budgets(study, tmp_path):
    table, root, _ = study
    intruder = root / "ring-tiny" / "tf1" / "seed-3"
    train(
        f"python -m tf1_reference.ring_gan --num-epochs 20 --disp-freq 20 --seed 3 --out {intruder}"
    )
    try:
        with pytest.raises(cli.UserError) as refused:
            results("merge", root / "ring-tiny", "--out", tmp_path / "out")
    finally:
        shutil.rmtree(intruder)
    message = str(refused.value)
    assert message.startswith(
        f"cannot merge {root}/ring-tiny/tf1/seed-1 and {intruder} into "
        "row ring-tiny: they differ in num_epochs (40 against 20)"
    )
    assert message.count(".") <= 2 and not (tmp_path / "out").exists()


def test_docs_mode_rebuilds_the_marked_block_from_every_kept_row(study, tmp_path):
    table, root, _ = study
    doc = tmp_path / "docs" / "results.md"
    doc.parent.mkdir()
    doc.write_text(f"# Results\n\nBefore.\n\n{page.BEGIN}\nold\n{page.END}\n\nAfter.\n")
    results("merge", root / "ring-tiny", root / "ring-inf", "--table", table, "--docs", doc)
    results("merge", root / "ring-inf", "--table", table, "--docs", doc)  # Again, one row.
    text = doc.read_text()
    assert text.startswith("# Results\n\nBefore.\n\n") and text.endswith("\n\nAfter.\n")
    assert "\nold\n" not in text and text.index("`ring-tiny`") < text.index("`ring-inf`")
    assert (doc.parent / "results" / "ring-inf" / "row.json").is_file()
    assert (doc.parent / "results" / "ring-tiny" / "tf1-seed-1-coverage.png").is_file()
    doc.write_text("# no markers\n")
    with pytest.raises(cli.UserError, match="has no <!-- results.merge: begin -->"):
        results("merge", root / "ring-inf", "--docs", doc)


@pytest.mark.parametrize("model", ["mnist_dcgan", "mnist_mlp_gan"])
@pytest.mark.parametrize("framework", ["tf1", "pytorch"])
def test_each_mnist_generator_is_rebuilt_from_its_checkpoint(model, framework, tmp_path):
    """Fresh weights saved in the loops' layout come back as digits in [0, 1]."""
    from harness import registry

    module = registry.module(model, framework)
    hp = module.HParams()
    saved = {**dataclasses.asdict(hp), "model": model, "framework": framework, "seed": 0}
    folder = tmp_path / "run"
    (folder / "checkpoints").mkdir(parents=True)
    if framework == "tf1":
        import tensorflow as tf

        tf1 = tf.compat.v1
        with tf.Graph().as_default():
            module.build_graph(hp)
            with tf1.Session() as session:
                session.run(tf1.global_variables_initializer())
                tf1.train.Saver().save(session, str(folder / "checkpoints" / "model.ckpt"), 5)
    else:
        import torch

        width = getattr(hp, registry.check(model).sampling.z_field)
        G = module.Generator(width) if model == "mnist_dcgan" else module.Generator(width, 784)
        torch.save({"G": G.state_dict(), "step": 5}, folder / "checkpoints" / "model.pt")
    images = score.generate(folder, saved, 7)
    assert images.shape == (7, 784) and np.isfinite(images).all()
    assert images.min() >= -1e-6 or model == "mnist_dcgan"  # As written: tanh read as [0, 1].


def test_bad_input_is_one_sentence(tmp_path):
    for argv, fragment in [
        (["plan", "no_such_row"], "unknown row 'no_such_row'"),
        (["merge", tmp_path / "nothing", "--out", tmp_path], "does not exist"),
        (["merge", tmp_path], "needs --out DIR or --docs"),
        (["plan", "--table", tmp_path / "t.json"], "t.json"),
    ]:
        (tmp_path / "t.json").write_text('[{"name": "x", "model": "nope", "seeds": [1]}]')
        with pytest.raises(cli.UserError, match=fragment):
            results(*argv)
    for fields, fragment in [
        ({"frameworks": ["tf2"]}, "frameworks must be one or both of tf1, pytorch"),
        ({"frameworks": ["pytorch"], "paired": True}, "a paired row needs both frameworks"),
    ]:
        row = {"name": "x", "model": "ring_gan", "seeds": [1], **fields}
        (tmp_path / "t.json").write_text(json.dumps([row]))
        with pytest.raises(cli.UserError, match=fragment):
            results("plan", "--table", tmp_path / "t.json")


@pytest.mark.parametrize(
    "argv", [["--help"], ["plan", "--help"], ["run", "--help"], ["merge", "--help"]]
)
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as ended:
        results(*argv)
    assert ended.value.code == 0 and "usage: python -m results" in capsys.readouterr().out


def test_lyeoni_losses_and_cost_lines_are_read_and_tabled(tmp_path):
    run = runs.Run(tmp_path, {"framework": "tf1", "seed": 0}, "r", "done", "")
    (tmp_path / "loss.txt").write_text(
        "".join(f"[{e}/20]: loss_d: 0.{e:03d}, loss_g: 2.500\n" for e in range(1, 21))
    )
    (tmp_path / "log.txt").write_text(
        "noise\nEpoch: 0001 cost= 0.693147181\n"
        "Epoch: 0002 cost= 0.700000000\nModel saved in path: x\n"
    )
    losses, costs = extras.loss_lines(run), extras.cost_lines(run)
    assert losses[20] == [0.02, 2.5] and len(losses) == 20
    assert costs == ["Epoch: 0001 cost= 0.693147181", "Epoch: 0002 cost= 0.700000000"]
    record = {
        "framework": "tf1",
        "seed": 0,
        "losses": json.loads(json.dumps(losses)),
        "cost_lines": costs,
    }
    row = {"runs": [record, {**record, "framework": "pytorch"}]}
    table = "\n".join(extras.lyeoni_markdown(row))
    assert "| epoch | lyeoni | TF1 reference seed 0 | PyTorch port seed 0 |" in table
    assert "| 2 | 0.433 / 7.166 | 0.002 / 2.500 | 0.002 / 2.500 |" in table
    assert "| 10 | 0.915 / 2.447 |" in table and "| 3 |" not in table and "| 20 |" in table
    assert "| `Epoch: 0002` | `0.700000000` | `0.700000000` |" in extras.cost_markdown(row)


def plan_lines(table, root, *argv):
    out, err = io.StringIO(), io.StringIO()
    planned = plan.plan(rows.select(rows.load(table), argv), root, status=False, out=out, err=err)
    return out.getvalue().splitlines(), err.getvalue(), planned


def test_a_paired_row_writes_each_seed_s_initial_weights_before_its_two_runs(tmp_path, capsys):
    table = tmp_path / "table.json"
    table.write_text(json.dumps([PAIRED]))
    root, args = tmp_path / "r", " ".join(PAIRED["args"])

    def seed_lines(seed):
        init = f"{root}/ring-paired/init/seed-{seed}.npz"
        return [
            f"python -m convert initial ring_gan --seed {seed} {init}",
            f"python -m tf1_reference.ring_gan {args} --seed {seed} --init-weights {init} "
            f"--out {root}/ring-paired/tf1/seed-{seed}",
            f"python -m ports.ring_gan {args} --seed {seed} --init-weights {init} "
            f"--out {root}/ring-paired/pytorch/seed-{seed}",
        ]

    lines, err, _ = plan_lines(table, root)
    assert lines == seed_lines(1) + seed_lines(2)
    assert "plan: 4 to run; initial weights: 2 to run;" in err
    # Seed 1's file written, seed 2's runs begun (tf1 interrupted, the port lost): nothing
    # reads seed 2's file any more, and the interrupted run resumes from its checkpoint.
    (root / "ring-paired" / "init").mkdir(parents=True)
    (root / "ring-paired" / "init" / "seed-1.npz").write_bytes(b"")
    for framework in ("tf1", "pytorch"):
        (root / "ring-paired" / framework / "seed-2").mkdir(parents=True)
        (root / "ring-paired" / framework / "seed-2" / "log.txt").write_text("")
    saved = root / "ring-paired" / "tf1" / "seed-2" / "checkpoints"
    saved.mkdir()
    (saved / "checkpoint").write_text('model_checkpoint_path: "model.ckpt-10"\n')
    lines, err, _ = plan_lines(table, root)
    assert lines == seed_lines(1)[1:] + [
        f"python -m tf1_reference.ring_gan {args} --seed 2 --resume {root}/ring-paired/tf1/seed-2"
    ]
    results("plan", "--status", "--table", table, "--root", root)
    status = capsys.readouterr().out.splitlines()
    assert status[0] == (
        f"ring-paired initial weights seed 1: done  {root}/ring-paired/init/seed-1.npz"
    )
    assert status[3].startswith(
        "ring-paired initial weights seed 2: not needed (its runs have started without it)"
    )


def test_run_starts_a_seed_s_runs_only_once_its_initial_weights_are_written(tmp_path, monkeypatch):
    """With two jobs at a time, a seed's runs wait for its file; where the file was not
    written, they do not start."""
    table = tmp_path / "table.json"
    table.write_text(json.dumps([PAIRED]))
    root, started = tmp_path / "r", []

    def execute(job, python=None):
        started.append((job.framework, job.seed))
        if isinstance(job, plan.InitJob):
            time.sleep(0.2)  # Long enough for a run that did not wait to start meanwhile.
            if job.seed == 1:
                job.path.write_bytes(b"")
            return (0, "") if job.seed == 1 else (1, "error: no weights")
        assert job.init.path.is_file()
        return 0, ""

    monkeypatch.setattr(plan, "execute", execute)
    monkeypatch.setattr(plan, "machine_records", lambda paths: {p: ("cpu", {}) for p in paths})
    said = []
    status = plan.run(rows.load(table), root, parallel=2, log=said.append)
    assert status == 1
    assert started.index(("init", 1)) < started.index(("tf1", 1))
    assert ("tf1", 2) not in started and ("pytorch", 2) not in started
    assert sorted(started) == [("init", 1), ("init", 2), ("pytorch", 1), ("tf1", 1)]
    assert any(
        "ring-paired tf1 seed 2: not started, as its initial weights were not written" in line
        for line in said
    )


@pytest.fixture(scope="module")
def paired_study(tmp_path_factory):
    """The paired ring row, planned and run from its printed lines."""
    folder = tmp_path_factory.mktemp("paired")
    table, root = folder / "table.json", folder / "runs"
    table.write_text(json.dumps([PAIRED]))
    lines, _, _ = plan_lines(table, root)
    for line in lines:
        train(line)
    return table, root


def test_a_paired_merge_sets_each_seed_s_difference_beside_the_seed_spread(
    paired_study, tmp_path, capsys
):
    table, root = paired_study
    first = np.load(root / "ring-paired" / "init" / "seed-1.npz")
    assert sorted(first.files) and not np.array_equal(
        first[first.files[0]], np.load(root / "ring-paired" / "init" / "seed-2.npz")[first.files[0]]
    )
    results("merge", root, "--table", table, "--out", tmp_path / "out")
    text = capsys.readouterr().out
    paired = json.loads((tmp_path / "out" / "results.json").read_text())["rows"][0]["paired"]
    assert paired["figures"] == ["modes_covered", "high_quality_fraction"]
    assert [entry["seed"] for entry in paired["seeds"]] == [1, 2]
    for entry in paired["seeds"]:
        assert entry["difference"] == {
            f: entry["pytorch"][f] - entry["tf1"][f] for f in paired["figures"]
        }
    assert paired["summary"]["modes_covered"]["pairs"] == 2
    assert set(paired["summary"]["high_quality_fraction"]["deviation"]) == {"tf1", "pytorch"}
    assert (
        "`python -m convert initial ring_gan --seed S INIT.npz`, then `python -m "
        "tf1_reference.ring_gan --num-epochs 20 --disp-freq 20 --seed S --init-weights INIT.npz`"
    ) in text
    assert (
        "| seed | modes covered: reference / port / port - reference | high-quality fraction: "
        "reference / port / port - reference |"
    ) in text
    assert (
        "| figure | seeds paired | mean difference (port - reference) | mean absolute "
        "difference | TF1 reference: sample deviation across seeds | PyTorch port: sample "
        "deviation across seeds |"
    ) in text
    assert "| modes covered | 2 |" in text


@pytest.mark.parametrize(
    "init, fragment",
    [
        (None, "records no init_weights, so it did not start from ring-paired/init/seed-2.npz"),
        ("elsewhere/ring-paired/init/seed-1.npz", "it started from elsewhere/ring-paired/init"),
    ],
)
def test_a_paired_merge_refuses_a_run_not_started_from_its_seed_s_file(
    paired_study, tmp_path, init, fragment
):
    table, root = paired_study
    saved = root / "ring-paired" / "pytorch" / "seed-2" / "hparams.json"
    kept = saved.read_text()
    saved.write_text(json.dumps({**json.loads(kept), "init_weights": init}))
    try:
        with pytest.raises(cli.UserError, match=fragment) as refused:
            results("merge", root, "--table", table, "--out", tmp_path / "out")
    finally:
        saved.write_text(kept)
    assert str(refused.value).startswith(
        f"{saved.parent} does not belong in paired row ring-paired:"
    )
    assert not (tmp_path / "out").exists()
    unpaired = tmp_path / "unpaired.json"  # The same runs in a row that is not paired.
    unpaired.write_text(json.dumps([{**PAIRED, "paired": False}]))
    with pytest.raises(cli.UserError, match="but row ring-paired is not paired"):
        results("merge", root, "--table", unpaired, "--out", tmp_path / "out")


def test_the_paired_mnist_table_compares_the_three_scores():
    """MNIST scores per seed (one port run stopped), and the pointer to the unpaired row."""

    def record(framework, seed, score, state="done"):
        quality = {"inception_score": score, "frechet_distance": 10 * score, "classes": 9}
        return {"framework": framework, "seed": seed, "state": state, "quality": quality}

    records = [
        record("tf1", 0, 2.0),
        record("pytorch", 0, 2.5),
        record("tf1", 1, 3.0),
        record("pytorch", 1, 2.0),
        record("tf1", 2, 4.0),
        {"framework": "pytorch", "seed": 2, "state": "stopped"},
    ]
    spec = next(r for r in rows.ROWS if r.name == "mnist_vanilla_gan-20000-sce-paired")
    assert merge.unpaired_rows(spec, rows.ROWS) == ["mnist_vanilla_gan-20000-sce"]
    paired = merge.paired_summary(
        "mnist_vanilla_gan", records, [0, 1, 2], merge.unpaired_rows(spec, rows.ROWS)
    )
    summary = paired["summary"]["inception_score"]
    assert summary["pairs"] == 2 and summary["mean_difference"] == pytest.approx(-0.25)
    assert summary["mean_absolute_difference"] == pytest.approx(0.75)
    assert summary["deviation"]["tf1"] == pytest.approx(np.std([2.0, 3.0], ddof=1))
    table = "\n".join(page.paired_markdown({"model": "mnist_vanilla_gan", "paired": paired}))
    assert (
        "| seed | Inception Score: reference / port / port - reference | Frechet distance: "
        "reference / port / port - reference | classes with >= 5%: reference / port / port - "
        "reference |"
    ) in table
    assert "| 0 | 2.00 / 2.50 / +0.50 | 20.00 / 25.00 / +5.00 | 9 / 9 / 0 |" in table
    assert "| 2 | 4.00 / - (stopped) / - |" in table
    assert "| Inception Score | 2 | -0.25 | 0.75 | 0.71 | 0.35 |" in table
    assert "own draws: `mnist_vanilla_gan-20000-sce`." in table
