"""Resumable runs, the NaN stop and TensorBoard logs of the training commands.

A run is stopped with SIGTERM part-way in a real subprocess (after a line it prints, not after
a sleep), resumed with --resume, and the printed lines, log.txt and metrics.jsonl of the two
parts together must equal an uninterrupted run's with the same seed.
"""

import functools
import importlib
import json
import os
import pathlib
import signal
import subprocess
import sys

import numpy as np
import pytest

from harness import board, checkpoint_format, cli, command, hooks, run_folder

ROOT = pathlib.Path(__file__).resolve().parents[1]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"}


def command_line(module, *args):
    return [sys.executable, "-m", module, *args]


def run(module, *args):
    return subprocess.run(
        command_line(module, *args), cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300
    )


def stopped_part_way(module, args, after_lines):
    """Start `module`, SIGTERM it once it printed `after_lines` lines; (stdout, status, stderr)."""
    child = subprocess.Popen(
        command_line(module, *args),
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = [child.stdout.readline() for _ in range(after_lines)]
    child.send_signal(signal.SIGTERM)
    # Read through the same buffered pipes (communicate() would skip what readline buffered).
    rest, errors = child.stdout.read(), child.stderr.read()
    return "".join(lines) + rest, child.wait(timeout=300), errors


def files(folder):
    return {name: (folder / name).read_text() for name in ("log.txt", "metrics.jsonl")}


def check_resume_is_exact(module, args, after_lines, tmp_path, capsys):
    # The uninterrupted run in this process (its imports are paid already), the others apart.
    capsys.readouterr()
    command.run(importlib.import_module(module).main, [*args, "--out", str(tmp_path / "full")])
    full = capsys.readouterr()
    part = tmp_path / "part"
    first, status, errors = stopped_part_way(module, [*args, "--out", str(part)], after_lines)
    assert status == 128 + signal.SIGTERM, errors
    assert "SIGTERM: stopped after step" in errors and "--resume" in errors
    resumed = run(module, "--resume", str(part))
    assert resumed.returncode == 0, resumed.stderr
    assert first + resumed.stdout == full.out
    assert files(part) == files(tmp_path / "full")
    # What was printed before the stop is a proper part of the run, not all of it.
    assert 0 < len(first) < len(full.out)
    return part


GAUSSIAN = ["--epochs", "3", "--seed", "3", "--checkpoint-every", "0"]


# The ports' subprocess runs are slow tests (each starts torch twice); CI stops and resumes the
# ports in-process instead (test_port_runs_stopped_in_process_resume_exactly).
SLOW = pytest.mark.slow


@pytest.mark.parametrize(
    "module", ["tf1_reference.gaussian_gan", pytest.param("ports.gaussian_gan", marks=SLOW)]
)
def test_toy_run_stopped_and_resumed_prints_what_an_uninterrupted_run_does(
    module, tmp_path, capsys
):
    part = check_resume_is_exact(module, GAUSSIAN, 2, tmp_path, capsys)
    tags = board.read_events(part)
    # TensorBoard: the two processes' event files read as one run, each epoch once.
    assert tags["loss_D"] == tags["accuracy"] == tags["samples"] == [0, 1, 2]
    assert tags["_graph"] == module.startswith("tf1_reference")
    check_format(part, "gaussian_gan", module.split(".")[0], 750)


def check_format(run_dir, model, package, step):
    """The fixed checkpoint formats that convert/checkpoint.py reads."""
    folder = run_dir / checkpoint_format.FOLDER
    if package == "ports":
        import torch

        state = torch.load(folder / "model.pt", weights_only=True)
        keys = {"model", "format", "step", "position", "G", "D", "opt_G", "opt_D", "rng", "tracked"}
        assert keys <= set(state)
        assert (state["model"], state["format"], state["step"]) == (
            model,
            checkpoint_format.FORMAT,
            step,
        )
        assert {"torch", "numpy_global", "python_random"} <= set(state["rng"])
        return
    import tensorflow as tf

    prefix = tf.train.latest_checkpoint(str(folder))
    assert prefix.endswith(f"model.ckpt-{step}")
    names = {name for name, _ in tf.train.list_variables(prefix)}
    assert {
        "discriminator/d_W1",
        "discriminator/d_W1/Adam",
        "discriminator/d_W1/Adam_1",
        "beta1_power",
        "generator/g_W",
    } <= names
    sidecar = json.loads(pathlib.Path(prefix + ".state.json").read_text())
    assert (sidecar["model"], sidecar["format"], sidecar["step"]) == (
        model,
        checkpoint_format.FORMAT,
        step,
    )
    assert sidecar["rng"]["numpy_global"][0] == "MT19937"


@pytest.mark.parametrize(
    "module",
    ["tf1_reference.mnist_vanilla_gan", pytest.param("ports.mnist_vanilla_gan", marks=SLOW)],
)
def test_mnist_run_stopped_and_resumed_prints_what_an_uninterrupted_run_does(
    module, tmp_path, capsys, mnist_dir
):
    args = [
        "--iterations",
        "300",
        "--sample-every",
        "100",
        "--seed",
        "3",
        "--checkpoint-every",
        "0",
        "--data-dir",
        str(mnist_dir),
    ]
    part = check_resume_is_exact(module, args, 4, tmp_path, capsys)  # Stopped after "Iter: 0".
    tags = board.read_events(part)
    assert tags["D_loss"] == tags["G_loss"] == tags["samples"] == [0, 100, 200]
    assert sorted(p.name for p in part.glob("*.png")) == ["000.png", "001.png", "002.png"]


def resume_error(module, run_dir, capsys, *extra):
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        command.run(importlib.import_module(module).main, ["--resume", str(run_dir), *extra])
    assert stop.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1].startswith("error: --") and "Traceback" not in "".join(lines)
    return lines[-1]


def test_resume_refuses_what_it_cannot_continue(tmp_path, capsys):
    assert "not a run folder" in resume_error("ports.gaussian_gan", tmp_path / "none", capsys)
    other = tmp_path / "other"
    other.mkdir()
    (other / "hparams.json").write_text(json.dumps({"model": "ring_gan", "framework": "pytorch"}))
    message = resume_error("ports.gaussian_gan", other, capsys)
    assert "holds a ring_gan (pytorch) run, not gaussian_gan (pytorch)" in message
    message = resume_error("tf1_reference.ring_gan", other, capsys)
    assert "not ring_gan (tf1)" in message
    (other / "hparams.json").write_text(json.dumps({"model": "gaussian_gan", "framework": "tf1"}))
    assert "has no checkpoint" in resume_error("tf1_reference.gaussian_gan", other, capsys)
    # A finished run, and a flag that contradicts the run being resumed.
    finished = tmp_path / "finished"
    module = importlib.import_module("ports.gaussian_cgan")
    module.main(["--epochs", "1", "--seed", "1", "--out", str(finished)])
    assert "already finished" in resume_error("ports.gaussian_cgan", finished, capsys)
    (finished / checkpoint_format.FOLDER / checkpoint_format.FINISHED).unlink()
    message = resume_error("ports.gaussian_cgan", finished, capsys, "--lr-D", "0.5")
    assert "--lr-D 0.5: the run in" in message and "drop the flag" in message


class _Written:
    """A stand-in for a framework's state writer: records what a checkpoint would hold."""

    def rng(self):
        return {}

    def capture(self):
        return {}

    def write(self, folder, captured):
        return f"ckpt-{captured['step']}"

    def attach_board(self, out, purge_step):
        pass


def test_nan_stop_names_the_step_and_the_last_good_checkpoint(tmp_path):
    with run_folder.RunFolder(tmp_path / "run") as out:
        run = hooks.Hooks(out, every=10, command="python -m ports.x --resume R").attach(_Written())
        steps = run.steps(100)
        next(steps)
        run.step("iteration 3", D_loss=1.0, G_loss=2.0)
        with pytest.raises(cli.UserError, match="no checkpoint had been saved yet"):
            run.step("iteration 4", D_loss=float("nan"), G_loss=1.0)
        for _ in range(8):
            run.step(D_loss=1.0)
        next(steps)  # After the 10th step: a checkpoint.
        with pytest.raises(cli.UserError) as error:
            run.step("iteration 12", D_loss=1.0, G_loss=float("inf"))
        assert str(error.value).startswith("G_loss became inf at iteration 12, so the run stopped")
        assert "last good checkpoint is ckpt-10 (after step 10; continue with: python -m" in str(
            error.value
        )
        run.close()
        hooks.Hooks(on_nan="continue").step("step 1", loss=float("nan"))


def test_a_signal_mid_epoch_saves_the_epochs_start(tmp_path):
    """In a loop with epochs, a signal writes the state captured when the epoch began."""
    with run_folder.RunFolder(tmp_path / "run") as out:
        run = hooks.Hooks(out, every=0).attach(_Written())
        epochs = run.epochs(3, steps_per_epoch=4)
        next(epochs)
        for _ in range(4):
            run.step()
        next(epochs)  # Epoch 1 begins after 4 steps.
        run.step()
        run.signum = signal.SIGTERM
        with pytest.raises(hooks.Interrupted) as stop:
            run.step()
        assert (stop.value.step, stop.value.path) == (4, "ckpt-4")
        run.close()


def test_resumed_run_folder_drops_what_was_written_after_the_checkpoint(tmp_path):
    with run_folder.RunFolder(tmp_path) as out:
        out.print("line 1")
        out.metric(step=1)
        sizes = out.sizes()
        out.print("line 2, printed after the checkpoint and before a kill")
        out.metric(step=2)
    with run_folder.RunFolder(tmp_path, resume_sizes=sizes) as out:
        out.print("line 2")
    assert (tmp_path / "log.txt").read_text() == "line 1\nline 2\n"
    assert (tmp_path / "metrics.jsonl").read_text() == '{"step": 1}\n'


def test_numpy_and_reader_states_survive_json(mnist_dir):
    from inputs import mnist

    np.random.seed(5)
    np.random.normal()  # Leaves a cached Gaussian in the state.
    state = json.loads(json.dumps(checkpoint_format.numpy_states()))
    expected = np.random.normal(size=3)
    checkpoint_format.set_numpy_states(state)
    assert np.array_equal(np.random.normal(size=3), expected)
    train = mnist.read_data_sets(mnist_dir, rng=1).train
    for _ in range(3):
        train.next_batch(20000)  # Past an epoch's end: a reshuffle.
    saved = json.loads(json.dumps(train.state()))
    expected = [train.next_batch(30000)[0] for _ in range(3)]
    fresh = mnist.read_data_sets(mnist_dir, rng=1).train
    fresh.set_state(saved)
    for batch in expected:
        assert np.array_equal(fresh.next_batch(30000)[0], batch)


def test_tf1_dropout_fast_forward_replays_the_in_graph_draws():
    """mnist_mlp_gan's reference draws dropout masks in the graph; a resume replays them."""
    import tensorflow as tf

    from tf1_reference import mnist_mlp_gan as reference

    hp = reference.HParams(bs=4)
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.set_random_seed(0)
        gan = reference.build_graph(hp)
        init = tf.compat.v1.global_variables_initializer()
    rng = np.random.default_rng(0)
    x, z = rng.uniform(-1, 1, (4, 784)), rng.normal(size=(4, 100))
    masks = gan.real_masks + gan.fake_masks

    def next_masks(sess):
        return sess.run(masks, feed_dict={gan.x: x, gan.z: z})

    with tf.compat.v1.Session(graph=graph) as sess:
        sess.run(init)
        for _ in range(3):
            reference.train_step(sess, gan, x, z, z)
        after_three = next_masks(sess)
    with tf.compat.v1.Session(graph=graph) as sess:
        sess.run(init)
        first = next_masks(sess)
    with tf.compat.v1.Session(graph=graph) as sess:
        sess.run(init)  # Its random initializers have kernels of their own.
        reference.fast_forward_dropout(sess, gan, 3, hp.bs)
        replayed = next_masks(sess)
    assert not all(np.array_equal(a, b) for a, b in zip(first, after_three))
    for a, b in zip(replayed, after_three):
        assert np.array_equal(a, b)


def stop_after_steps(monkeypatch, module, steps, name="train_step"):
    """Make `module.<name>` send this process SIGTERM after `steps` calls (in-process runs)."""
    original, calls = getattr(module, name), []

    def counted(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append(1)
        if len(calls) == steps:
            os.kill(os.getpid(), signal.SIGTERM)  # Handled by the run: a flag, then a checkpoint.
        return result

    monkeypatch.setattr(module, name, counted)


WHOLE_STEP = "ports.fast.whole_step:WholeStep.__call__"  # --fast's compiled step.


def check_in_process_resume(
    module_name, args, steps, tmp_path, capsys, monkeypatch, outputs, step_function="train_step"
):
    module = importlib.import_module(module_name)
    capsys.readouterr()
    command.run(module.main, [*args, "--out", str(tmp_path / "full")])
    full = capsys.readouterr().out
    with monkeypatch.context() as patch:
        # A function of the module, or "module:attribute" (WHOLE_STEP) elsewhere.
        where, _, path = step_function.rpartition(":")
        *owner, name = path.split(".")
        target = functools.reduce(
            getattr, owner, importlib.import_module(where) if where else module
        )
        stop_after_steps(patch, target, steps, name)
        with pytest.raises(SystemExit) as stop:
            command.run(module.main, [*args, "--out", str(tmp_path / "part")])
    assert stop.value.code == 128 + signal.SIGTERM
    first = capsys.readouterr().out
    resume_args = ["--resume", str(tmp_path / "part"), *[a for a in args if a == "--fast"]]
    command.run(module.main, [args[0], *resume_args] if args[0] in ("train",) else resume_args)
    resumed = capsys.readouterr().out
    combined = (first + resumed).replace(str(tmp_path / "part"), str(tmp_path / "full"))
    assert combined == full
    for name in outputs:
        assert (tmp_path / "part" / name).read_bytes() == (tmp_path / "full" / name).read_bytes()


@pytest.mark.parametrize(
    "module, extra",
    [
        ("tf1_reference.mnist_mlp_gan", []),
        ("ports.mnist_mlp_gan", []),
        ("ports.mnist_mlp_gan", ["--fast"]),  # Its masks' generator is checkpointed too.
    ],
)
def test_mlp_gan_stopped_mid_epoch_resumes_exactly(
    module, extra, tmp_path, capsys, monkeypatch, mnist_dir
):
    """1,280 training images (10 batches per epoch), stopped in the second epoch's batch 3."""
    from inputs import mnist

    raw = mnist.read_raw(mnist_dir)
    small = raw._replace(train_images=raw.train_images[:1280], train_labels=raw.train_labels[:1280])
    monkeypatch.setattr(mnist, "read_raw", lambda *args, **kwargs: small)
    args = [
        "--n-epoch",
        "2",
        "--seed",
        "1",
        "--checkpoint-every",
        "0",
        "--samples",
        "4",
        "--data-dir",
        str(mnist_dir),
        *extra,
    ]
    outputs = ("log.txt", "metrics.jsonl", "loss.txt")
    step = "ports.fast.mnist_mlp_gan:joint_step" if extra else "train_step"  # --fast's step.
    check_in_process_resume(module, args, 13, tmp_path, capsys, monkeypatch, outputs, step)


@pytest.mark.parametrize("module", ["tf1_reference.mnist_dcgan", "ports.mnist_dcgan"])
def test_dcgan_train_phase_stopped_and_resumed(module, tmp_path, capsys, monkeypatch, mnist_dir):
    args = [
        "train",
        "--epochs",
        "2",
        "--max-steps",
        "8",
        "--seed",
        "1",
        "--checkpoint-every",
        "3",
        "--data-dir",
        str(mnist_dir),
    ]
    check_in_process_resume(module, args, 5, tmp_path, capsys, monkeypatch, ())
    costs = [
        [json.loads(line)["cost"] for line in (tmp_path / run / "metrics.jsonl").open()]
        for run in ("part", "full")
    ]
    assert costs[0] == costs[1] and len(costs[0]) == 1


@pytest.mark.parametrize(
    "module, extra",
    [
        ("tf1_reference.ring_gan", []),
        ("ports.ring_gan", []),
        ("ports.ring_gan", ["--fast"]),  # Its z generator is checkpointed too.
    ],
)
def test_ring_gan_resumed_after_a_frame_draws_the_same_frames(
    module, extra, tmp_path, capsys, monkeypatch
):
    """Stopped at step 70, between displays: the live layer and coverage generator carry over."""
    args = [
        "--num-epochs",
        "120",
        "--disp-freq",
        "50",
        "--num-z",
        "16",
        "--hidden-size",
        "8",
        "--batch-size",
        "64",
        "--seed",
        "3",
        "--checkpoint-every",
        "0",
        *extra,
    ]
    outputs = ("log.txt", "metrics.jsonl", "_50.png", "_100.png")
    step = WHOLE_STEP if extra else "g_step"  # --fast: the compiled step.
    check_in_process_resume(module, args, 70, tmp_path, capsys, monkeypatch, outputs, step)


@pytest.mark.parametrize("module", ["ports.gaussian_gan", "ports.gaussian_cgan"])
def test_a_fast_toy_run_stopped_in_process_resumes_exactly(module, tmp_path, capsys, monkeypatch):
    """--fast's compiled step reads the weights and Adam's moments afresh at every call, so a
    resumed run continues with what the checkpoint restored."""
    args = [*GAUSSIAN, "--fast"]
    step = WHOLE_STEP
    check_in_process_resume(module, args, 300, tmp_path, capsys, monkeypatch, ("log.txt",), step)


@pytest.mark.parametrize(
    "module, args, steps, tags",
    [
        ("ports.gaussian_gan", GAUSSIAN, 300, {"loss_D": [0, 1, 2], "samples": [0, 1, 2]}),
        (
            "ports.mnist_vanilla_gan",
            [
                "--iterations",
                "201",
                "--sample-every",
                "100",
                "--seed",
                "3",
                "--checkpoint-every",
                "0",
            ],
            5,
            {"D_loss": [0, 100, 200], "samples": [0, 100, 200]},
        ),
    ],
)
def test_port_runs_stopped_in_process_resume_exactly(
    module, args, steps, tags, tmp_path, capsys, monkeypatch, mnist_dir
):
    check_in_process_resume(
        module, args, steps, tmp_path, capsys, monkeypatch, ("log.txt", "metrics.jsonl")
    )
    found = board.read_events(tmp_path / "part")
    assert {tag: found[tag] for tag in tags} == tags
