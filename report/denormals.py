"""Count the subnormal float32 values that a short training run of each PyTorch port meets.

TensorFlow's CPU kernels flush float32 subnormals (0 < |x| < 2^-126 = 1.18e-38) to zero,
inputs and results alike; PyTorch keeps them (`torch.set_flush_denormal(False)`, its default).
The two frameworks can therefore differ wherever a model computes one. This runs each port's
own command for a short run in this process and counts them in two places: every float32
result of every op (forward, backward and Adam's, through a TorchDispatchMode; an in-place op's
result is the whole tensor it wrote) and, after every optimizer step, the weights, their
gradients and Adam's two moments. Then it runs the port again with flush-to-zero on
(`torch.set_flush_denormal(True)`, what TensorFlow's kernels do) and counts the weights and
moments that end differently. It also checks, on this machine, that TensorFlow flushes and
PyTorch does not. Everything runs on one thread, since the flush setting is per thread.
docs/crosscheck.md ("Subnormal numbers") has the counts; each port's Deviations its own.

Source: the ports' own commands (ports/<model>.py) with short budgets (each registry row's
    `denormals`: the port's flags and the steps they make);
    `torch.utils._python_dispatch.TorchDispatchMode`;
    `torch.optim.optimizer.register_optimizer_step_post_hook`.

Run:
    python -m report.denormals                  # all six ports, about 3 CPU-minutes
    python -m report.denormals ring_gan         # one (MNIST models need the MNIST files)

Deviations: none (a measuring tool).
"""

import collections
import contextlib
import io
import os
import pathlib
import sys
import tempfile

import numpy as np

from harness import cli, cpu, registry

TINY = float(np.finfo(np.float32).tiny)  # 2^-126, the smallest normal float32.
# Ops whose results hold no computed value: uninitialized memory, or another tensor's storage.
NOT_COMPUTED = {"empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided", "set_"}


def subnormals(tensor):
    """How many values of a float32 tensor are subnormal (nonzero and below 2^-126 in size)."""
    import torch

    if not isinstance(tensor, torch.Tensor) or tensor.dtype != torch.float32:
        return 0
    if tensor.is_sparse or tensor.numel() == 0:
        return 0
    magnitude = tensor.detach().abs()
    return int(torch.count_nonzero((magnitude < TINY) & (magnitude > 0)))


def counting_mode():
    """A TorchDispatchMode that counts float32 results and their subnormal values, per op."""
    import torch
    from torch.utils import _pytree
    from torch.utils._python_dispatch import TorchDispatchMode

    class Count(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.values = 0  # float32 values in the results counted
            self.by_op = collections.Counter()  # op -> subnormal values among its results

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            name = func.overloadpacket.__name__
            # A view shows values that another result already showed.
            if not func.is_view and name not in NOT_COMPUTED:
                for tensor in _pytree.tree_leaves(out):
                    if isinstance(tensor, torch.Tensor) and tensor.dtype == torch.float32:
                        self.values += tensor.numel()
                        found = subnormals(tensor)
                        if found:
                            self.by_op[name] += found
            return out

    return Count()


class StateCount:
    """After every optimizer step: subnormal values in weights, gradients and Adam moments.

    Every port steps D's optimizer first, so the first optimizer seen is D's, the second G's."""

    KINDS = ("weights", "gradients", "exp_avg", "exp_avg_sq")

    def __init__(self):
        self.steps = {}  # id(optimizer) -> its steps so far, in the order first seen
        self.totals = collections.Counter()  # (net, kind) -> subnormal values, over all steps
        self.first_step = {}  # (net, kind) -> that optimizer's first step that held one

    def __call__(self, optimizer, args, kwargs):
        from torch.utils._python_dispatch import _disable_current_modes

        with _disable_current_modes():  # Its own ops are not the run's: not counted.
            self.count(optimizer)

    def count(self, optimizer):
        key = id(optimizer)
        self.steps[key] = self.steps.get(key, 0) + 1
        net = "DG"[list(self.steps).index(key)] if len(self.steps) <= 2 else str(key)
        for group in optimizer.param_groups:
            for param in group["params"]:
                state = optimizer.state.get(param, {})
                tensors = (param, param.grad, state.get("exp_avg"), state.get("exp_avg_sq"))
                for kind, tensor in zip(self.KINDS, tensors):
                    found = subnormals(tensor)
                    if found:
                        self.totals[net, kind] += found
                        self.first_step.setdefault((net, kind), self.steps[key])


def run_port(model, data_dir, seed, mode=None):
    """Run `model`'s port briefly (its row's `denormals`), its output hidden; return its last
    checkpoint."""
    import torch

    row = registry.check(model)
    port = registry.port(model)
    with tempfile.TemporaryDirectory() as out:
        argv = [*row.denormals.argv, "--seed", str(seed), "--out", out, "--device", "cpu"]
        if row.mnist and data_dir:
            argv += ["--data-dir", str(data_dir)]
        quiet = io.StringIO()  # The run's own lines: only the counts matter here.
        with contextlib.ExitStack() as stack:
            if mode is not None:
                stack.enter_context(mode)
            stack.enter_context(contextlib.redirect_stdout(quiet))
            stack.enter_context(contextlib.redirect_stderr(quiet))
            port.main(argv)
        return torch.load(pathlib.Path(out) / "checkpoints" / "model.pt", weights_only=True)


def bits(tensor):
    """A floating tensor's values as integers of the same width, so that equality is bitwise."""
    import torch

    widths = {torch.float32: torch.int32, torch.float64: torch.int64}
    return tensor.view(widths[tensor.dtype]) if tensor.dtype in widths else tensor


def differing(first, second, keys):
    """How many values of the checkpoints' `keys` entries (state_dicts) differ in their bits."""
    import torch

    found = 0
    for key in keys:
        a, b = first[key], second[key]
        if "state" in a:  # An optimizer's state_dict: per parameter index, per moment name.
            pairs = [
                (a["state"][i][n], b["state"][i][n]) for i in a["state"] for n in a["state"][i]
            ]
        else:
            pairs = [(a[name], b[name]) for name in a]
        for x, y in pairs:
            if isinstance(x, torch.Tensor) and x.is_floating_point():
                found += int((bits(x) != bits(y)).sum())
    return found


def count(model, data_dir=None, seed=0):
    """Run `model`'s port briefly under both counters, then again with flush-to-zero on (as
    TensorFlow's CPU kernels run); return the counts and how many numbers the flush changed."""
    import torch
    from torch.optim import optimizer as optim

    torch.set_num_threads(1)  # The flush setting is per thread: one thread runs every op.
    state = StateCount()
    handle = optim.register_optimizer_step_post_hook(state)
    mode = counting_mode()
    try:
        plain = run_port(model, data_dir, seed, mode)
    finally:
        handle.remove()
    torch.set_flush_denormal(True)
    try:
        flushed = run_port(model, data_dir, seed)
    finally:
        torch.set_flush_denormal(False)
    return {
        "model": model,
        "steps": registry.check(model).denormals.steps,
        "values": mode.values,
        "subnormal_results": sum(mode.by_op.values()),
        "by_op": dict(mode.by_op.most_common()),
        "state": {f"{net}'s {kind}": n for (net, kind), n in state.totals.items()},
        "first_step": {f"{net}'s {kind}": n for (net, kind), n in state.first_step.items()},
        "weights_changed_by_flush": differing(plain, flushed, ("G", "D")),
        "moments_changed_by_flush": differing(plain, flushed, ("opt_G", "opt_D")),
    }


def flushing():
    """(TensorFlow flushes a subnormal product to 0, PyTorch does), on this CPU, float32."""
    import tensorflow as tf
    import torch

    half_tiny = np.float32(TINY) * np.float32(0.5)  # NumPy keeps the subnormal 2^-127.
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        x = tf.compat.v1.placeholder(tf.float32, [])
        tf_result = sess.run(x * 0.5, {x: np.float32(TINY)})
    torch_result = (torch.tensor(TINY, dtype=torch.float32) * 0.5).item()
    assert half_tiny > 0
    assert torch.set_flush_denormal(True), "this CPU cannot flush denormals in PyTorch"
    try:
        flushed = (torch.tensor(TINY, dtype=torch.float32) * 0.5).item()
    finally:
        torch.set_flush_denormal(False)
    assert flushed == 0.0  # So `count`'s second run computes as TensorFlow's kernels do.
    return bool(tf_result == 0.0), bool(torch_result == 0.0)


HEADER = (
    "| model (port) | D + G steps | float32 results | subnormal among them, by op | "
    "subnormal in weights, gradients, Adam moments (summed over steps) | "
    "changed by flush-to-zero: weights, Adam moments |\n|---|---|---|---|---|---|"
)


def row(result):
    """One markdown row of the table under HEADER."""
    ops = ", ".join(f"`{op}` {n:,}" for op, n in result["by_op"].items())
    state = ", ".join(
        f"{kind} {n:,} (from its step {result['first_step'][kind]})"
        for kind, n in result["state"].items()
    )
    return (
        f"| `{result['model']}` | {result['steps']} | {result['values']:,} | "
        f"{result['subnormal_results']:,}{f' ({ops})' if ops else ''} | {state or 'none'} | "
        f"{result['weights_changed_by_flush']:,}, {result['moments_changed_by_flush']:,} |"
    )


def main(argv=None):
    parser = cli.ArgumentParser(
        prog="python -m report.denormals", description=__doc__.splitlines()[0]
    )
    parser.add_argument("models", nargs="*", metavar="MODEL", help="ports to run (default: all)")
    cli.add_data_dir_argument(parser)
    args = parser.parse_args(argv)
    for model in args.models:
        registry.check(model)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    tf_flushes, torch_flushes = flushing()
    print(
        f"{cpu.label()}: TensorFlow flushes float32 subnormals to zero: {tf_flushes}; "
        f"PyTorch: {torch_flushes}"
    )
    print(HEADER)
    for model in args.models or registry.NAMES:
        print(row(count(model, args.data_dir)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
