"""The machine a benchmark runs on: its description, its background load, its matmul throughput.

Source:
    The archive's own: a benchmark must record the machine's background load and refuse to report
    under load, because PyTorch's figures collapse when another process holds a core; the
    compute floor divides FLOPs by the best float32 matmul throughput measured in the same run.

Run:
    Imported by `python -m bench`; `python -m bench --help` lists the flags that reach here.

Deviations:
    - None: a project tool with no original.

Background load is measured, not guessed from the load average (a one-minute moving average
that lags a minute behind): over a window, the CPU time all processes spent (`/proc/stat`)
minus the CPU time this process and its finished children spent (`time.process_time`, all
its threads, and `os.times()`'s children fields: bench times each side in a child process),
divided by the window's wall time, in cores. 0.0 is an idle machine; 1.0 is one core held by
someone else.
"""

import os
import platform
import time

import numpy as np

from harness import cpu

# /proc/stat's "cpu" line counts clock ticks in these columns; the rest are idle or iowait.
_BUSY_COLUMNS = (0, 1, 2, 5, 6, 7)  # user, nice, system, irq, softirq, steal
_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _busy_seconds():
    """CPU seconds all processes have spent busy since boot, or None without /proc/stat."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()[1:]
    except OSError:
        return None
    return sum(int(fields[i]) for i in _BUSY_COLUMNS if i < len(fields)) / _TICKS_PER_SECOND


def _own_seconds():
    """CPU seconds of this process (all its threads) and of its children that have ended."""
    times = os.times()
    return time.process_time() + times.children_user + times.children_system


class LoadMeter:
    """Background load over a window: `start()`, the work, then `cores()`.

    Without /proc/stat (not Linux) it falls back to the one-minute load average minus this
    process's share, and says so in `method`.
    """

    method = "proc-stat" if _busy_seconds() is not None else "loadavg"

    def start(self):
        self.wall, self.own, self.busy = time.perf_counter(), _own_seconds(), _busy_seconds()
        return self

    def cores(self):
        """Cores' worth of CPU time that other processes used since `start()`."""
        wall = time.perf_counter() - self.wall
        own = _own_seconds() - self.own
        if self.busy is None:
            return max(0.0, os.getloadavg()[0] - own / max(wall, 1e-9))
        busy = _busy_seconds() - self.busy
        return max(0.0, (busy - own) / max(wall, 1e-9))


def background_load(seconds=1.0):
    """Background load in cores over `seconds` while this process sleeps."""
    meter = LoadMeter().start()
    time.sleep(seconds)
    return meter.cores()


def describe():
    """The machine and software as a JSON-ready dict (versions, cores, threads, oneDNN)."""
    import tensorflow as tf
    import torch

    return {
        **cpu.describe(),  # CPU model, ISA, flags, TensorFlow's oneDNN state, kernel switches.
        "label": cpu.label(torch.get_num_threads()),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "torch_parallel": torch.__config__.parallel_info().splitlines(),
        "torch_blas": torch.__config__.show().split("BLAS_INFO=")[-1].split(",")[0],
        "torch_mkl": torch.backends.mkl.is_available(),
        "torch_mkldnn_enabled": torch.backends.mkldnn.enabled,
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "torch_mkldnn": torch.backends.mkldnn.is_available(),
        "tf_onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "unset (TensorFlow's default)"),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset"),
        "load_method": LoadMeter.method,
        "kernel_paths": kernel_paths(),
    }


# Run in a child process with MKL's and oneDNN's verbose logs on: one GEMM, convolution and
# transposed convolution in PyTorch, then a MatMul and Conv2D in a TF1 session.
_PROBE = """
import torch
x = torch.randn(64, 64)
torch.mm(x, x)
torch.nn.functional.conv2d(torch.randn(2, 4, 8, 8), torch.randn(4, 4, 3, 3), stride=2)
torch.nn.functional.conv_transpose2d(torch.randn(2, 4, 8, 8), torch.randn(4, 4, 3, 3), stride=2)
print("--- tensorflow ---", flush=True)
import tensorflow as tf
tf1 = tf.compat.v1
tf1.disable_eager_execution()
a = tf1.placeholder(tf.float32, [64, 64])
b = tf1.get_variable("b", [64, 64])
c = tf.nn.conv2d(tf.reshape(a, [1, 64, 64, 1]), tf.ones([3, 3, 1, 4]), 1, "SAME")
with tf1.Session() as sess:
    sess.run(tf1.global_variables_initializer())
    sess.run([tf.matmul(a, b), c], {a: [[1.0] * 64] * 64})
"""


def kernel_paths(timeout=120):
    """Which BLAS and oneDNN code paths this environment's PyTorch and TensorFlow take, from
    their own verbose logs in a child process (MKL_VERBOSE, ONEDNN_VERBOSE): MKL's version and
    the processor line it names, each oneDNN's version, threading and ISA, and the kernel that
    ran PyTorch's convolution and transposed convolution. TensorFlow's oneDNN prints only when
    its oneDNN ops are on."""
    import subprocess
    import sys

    env = dict(os.environ, MKL_VERBOSE="1", ONEDNN_VERBOSE="1", TF_CPP_MIN_LOG_LEVEL="3")
    try:
        result = subprocess.run(
            [sys.executable, "-c", _PROBE],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return {"error": f"{type(error).__name__}: {error}"}
    paths = {"torch": {}, "tensorflow": {}}
    side = paths["torch"]
    for line in (result.stdout + result.stderr).splitlines():
        if line.startswith("--- tensorflow ---"):
            side = paths["tensorflow"]
        elif line.startswith("MKL_VERBOSE ") and "mkl" not in paths:
            paths["mkl"] = line[len("MKL_VERBOSE ") :].strip()
        elif line.startswith("onednn_verbose,"):
            fields = line.split(",")
            if fields[2:4] == ["info", "cpu"] and ":" in fields[4]:
                key, _, value = fields[4].partition(":")  # runtime:OpenMP, isa:...
                side[f"onednn_{key}"] = value
                if key == "runtime" and len(fields) > 5:
                    side["onednn_threads"] = fields[5].partition(":")[2]
            elif fields[2] == "info" and fields[3].startswith("oneDNN "):
                side["onednn_version"] = fields[3][len("oneDNN ") :]
            elif fields[2:5] == ["primitive", "exec", "cpu"] and fields[5] != "reorder":
                # The kernel, e.g. convolution jit:avx512_core; oneDNN's GEMM API names none.
                side.setdefault(f"onednn_{fields[5]}", fields[6] or "ran")
    if "onednn_isa" not in paths["tensorflow"]:
        paths["tensorflow"]["onednn"] = "off (no oneDNN primitive ran)"
    return paths


def _best_gflops(run, flops, repeats):
    """Best GFLOP/s over `repeats` calls of run() (after one untimed call)."""
    run()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return flops / best / 1e9


def matmul_throughput(size=2048, repeats=5, session_config=None):
    """Best float32 GFLOP/s of a size x size matmul: torch.mm (MKL) and TF MatMul (oneDNN).

    Both count 2 size^3 FLOPs. Returns {"torch_mm": ..., "tf_matmul": ..., "best": ...}.
    """
    import tensorflow as tf
    import torch

    flops = 2.0 * size**3
    a, b = torch.randn(size, size), torch.randn(size, size)
    results = {"torch_mm": _best_gflops(lambda: torch.mm(a, b), flops, repeats)}
    graph = tf.Graph()
    with graph.as_default():
        # A variable, not a constant: Grappler would fold a product of constants before timing.
        x = tf.compat.v1.get_variable("x", initializer=tf.random.normal((size, size)))
        init = tf.compat.v1.global_variables_initializer()
        # A chain of matmuls run in one session call, so the feed and fetch cost is spread thin.
        product, calls = x, 4
        for _ in range(calls):
            product = tf.matmul(product, x) * (1.0 / size)  # Scaled to keep values finite.
        total = tf.reduce_sum(product)
    with tf.compat.v1.Session(graph=graph, config=session_config) as sess:
        sess.run(init)
        results["tf_matmul"] = _best_gflops(lambda: sess.run(total), flops * calls, repeats)
    results["best"] = max(results.values())
    results["size"] = size
    return results
