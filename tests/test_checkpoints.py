"""Resumable runs, the NaN stop and TensorBoard logs of the training commands (issues 8 and 10).

A run is stopped with SIGTERM part-way in a real subprocess (after a line it prints, not after
a sleep), resumed with --resume, and the printed lines, log.txt and metrics.jsonl of the two
parts together must equal an uninterrupted run's with the same seed.
"""

import importlib
import json
import os
import pathlib
import signal
import subprocess
import sys

import numpy as np
import pytest

from harness import board, checkpoints, cli, run_folder

ROOT = pathlib.Path(__file__).resolve().parents[1]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"}


def command(module, *args):
    return [sys.executable, "-m", module, *args]


def run(module, *args):
    return subprocess.run(command(module, *args), cwd=ROOT, env=ENV, capture_output=True,
                          text=True, timeout=300)  # fmt: skip


def stopped_part_way(module, args, after_lines):
    """Start `module`, send SIGTERM once it printed `after_lines` lines; returns (stdout, rc, stderr)."""
    child = subprocess.Popen(command(module, *args), cwd=ROOT, env=ENV, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)  # fmt: skip
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
    checkpoints.run(importlib.import_module(module).main, [*args, "--out", str(tmp_path / "full")])
    full = capsys.readouterr()
    part = tmp_path / "part"
    first, status, errors = stopped_part_way(module, [*args, "--out", str(part)], after_lines)
    assert status == 128 + signal.SIGTERM, errors
    assert "SIGTERM: stopped after step" in errors and "--resume" in errors
    resumed = run(module, "--resume", str(part))
    assert resumed.returncode == 0, resumed.stderr
    assert first + resumed.stdout == full.stdout
    assert files(part) == files(tmp_path / "full")
    # What was printed before the stop is a proper part of the run, not all of it.
    assert 0 < len(first) < len(full.stdout)
    return part


GAUSSIAN = ["--epochs", "3", "--seed", "3", "--checkpoint-every", "0"]


@pytest.mark.parametrize("module", ["tf1_reference.gaussian_gan", "ports.gaussian_gan"])
def test_toy_run_stopped_and_resumed_prints_what_an_uninterrupted_run_does(
    module, tmp_path, capsys
):
    part = check_resume_is_exact(module, GAUSSIAN, 2, tmp_path, capsys)
    tags = board.read_events(part)
    # TensorBoard: the two processes' event files read as one run, each epoch once.
    assert tags["loss_D"] == tags["accuracy"] == tags["samples"] == [0, 1, 2]
    assert tags["_graph"] == module.startswith("tf1_reference")
