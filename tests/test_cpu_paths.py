"""The cross-checks on the other CPU kind's kernel paths (harness/cpu.py), from this machine.

TensorFlow fuses and rounds differently where oneDNN is on (its default on AVX-512 VNNI/BF16 and
AMX CPUs) than where it is off (AVX2-only CPUs), and PyTorch's kernels follow the CPU's width.
These tests run the float32 checks most sensitive to that, in subprocesses under each path's
environment, so that a change made on one kind of CPU is checked against the other's paths:
they must end with a verdict, exit 0, and raise no TensorFlow error. What no switch emulates (an
AVX-512 or AMX kernel on an AVX2 CPU) is listed in harness/cpu.py.
"""

import os
import pathlib
import subprocess
import sys

import pytest

from harness import cpu

REPO = pathlib.Path(__file__).resolve().parents[1]


def _crosscheck(path, model, steps):
    env = {**os.environ, **cpu.PATHS[path]}
    command = [
        sys.executable,
        "-m",
        "crosscheck",
        model,
        "--dtype",
        "float32",
        "--adam",
        "tf",
        "--steps",
        str(steps),
    ]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("path", ["avx2", "onednn"])
@pytest.mark.parametrize("model, steps", [("mnist_dcgan", 4), ("ring_gan", 12)])
def test_float32_crosscheck_on_each_path(path, model, steps, request):
    if model.startswith("mnist"):
        request.getfixturevalue("mnist_dir")
    done = _crosscheck(path, model, steps)
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert "verdict: PASS" in done.stdout, done.stdout[-3000:]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_paths_name_their_switches():
    assert cpu.PATHS["avx2"]["TF_ENABLE_ONEDNN_OPTS"] == "0"
    assert cpu.PATHS["onednn"] == {"TF_ENABLE_ONEDNN_OPTS": "1"}
    assert cpu.isa(["avx2", "fma"]) == "AVX2"
    assert cpu.isa(["avx2", "avx512f"]) == "AVX-512"
    assert cpu.isa(["avx2", "avx512f", "amx_tile"]) == "AVX-512 + AMX"
    shown = subprocess.run(
        [sys.executable, "-m", "harness.cpu"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    assert "threads" in shown and "TensorFlow oneDNN" in shown
