"""What the DCGAN port's convolutions alone cost per iteration, timed one by one on this CPU.

`python -m bench` times the whole step. This runs one `--fast` iteration of
`ports/mnist_dcgan.py` (`train_step` on the `fast.modules` G and D: channels-last, batch 64),
records every convolution it calls (forward, and each backward with the gradients it asks
for) with copies of its very tensors, and then times each call on its own, warm, its inputs in
cache. The sum is a lower bound on the port's step that no change to the rest of the step can
beat: a `--fast` ratio to TF1 below (this sum / TF1's step) needs faster convolution kernels.

Source:
    The archive's own.

Run:
    python -m bench.conv_bound               # the table, on PyTorch's default threads
    python -m bench.conv_bound --threads 2   # as bench times the DCGAN port

Deviations:
    - None: a project tool with no original.
"""

import collections
import time

import numpy as np
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from harness import cli, cpu
from ports import backend, mnist_dcgan
from ports.fast import mnist_dcgan as fast

CONVOLUTIONS = (torch.ops.aten.convolution.default, torch.ops.aten.convolution_backward.default)


class Recorder(TorchDispatchMode):
    """Keeps (name, op, args) of every convolution run under it, its tensors copied."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func in CONVOLUTIONS:
            copied = [a.detach().clone() if isinstance(a, torch.Tensor) else a for a in args]
            self.calls.append((describe(func, args), func, copied))
        return func(*args, **(kwargs or {}))


def describe(func, args):
    """The call in a line: its kind, input and weight shapes, and 'forward' or the gradients
    it asks for, e.g. 'conv (64, 1, 31, 31) x (64, 1, 5, 5) gradient (weight, bias)'."""
    if func is torch.ops.aten.convolution.default:
        x, weight, transposed = args[0], args[1], args[6]
        what = "forward"
    else:
        x, weight, transposed, mask = args[1], args[2], args[7], args[10]
        wanted = [name for name, on in zip(("input", "weight", "bias"), mask) if on]
        what = f"gradient ({', '.join(wanted)})"
    kind = "conv_transpose" if transposed else "conv"
    return f"{kind} {tuple(x.shape)} x {tuple(weight.shape)} {what}"


def one_iteration_calls(seed=0):
    """The convolutions of one --fast train_step (after two unrecorded ones)."""
    torch.manual_seed(seed)
    G, D = mnist_dcgan.Generator(), mnist_dcgan.Discriminator()
    mnist_dcgan.initialize([G, D])
    G, D = fast.modules(G, D, "cpu")
    opt_D = backend.adam(D.parameters(), True, lr=2e-4, foreach=True)
    opt_G = backend.adam(G.parameters(), True, lr=2e-4, foreach=True)
    rng = np.random.default_rng(seed)
    images = torch.as_tensor(rng.random((64, 1, 28, 28), dtype=np.float32))
    noise = torch.as_tensor(rng.uniform(-1, 1, (64, 100)).astype(np.float32))
    for _ in range(2):
        mnist_dcgan.train_step(G, D, opt_D, opt_G, images, noise)
    with Recorder() as recorder:
        mnist_dcgan.train_step(G, D, opt_D, opt_G, images, noise)
    return recorder.calls


def best_ms(run, seconds=0.3, repeats=5):
    """The fastest of `repeats` timings, each the mean over about `seconds` of calls."""
    run()
    started, calls = time.perf_counter(), 0
    while time.perf_counter() - started < 0.05:
        run()
        calls += 1
    per_block = max(1, int(calls * seconds / 0.05))
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(per_block):
            run()
        times.append((time.perf_counter() - started) / per_block * 1e3)
    return min(times)


def measure(seconds=0.3):
    """{call's name: (times per iteration, ms per call)}, in the order the step calls them;
    each call timed in blocks of about `seconds`."""
    counts, calls = collections.Counter(), {}
    for name, func, args in one_iteration_calls():
        counts[name] += 1
        calls.setdefault(name, (func, args))
    return {
        name: (counts[name], best_ms(lambda func=func, args=args: func(*args), seconds))
        for name, (func, args) in calls.items()
    }


def main(argv=None):
    parser = cli.ArgumentParser(
        prog="python -m bench.conv_bound",
        description=__doc__.split("\n\n")[0],
        epilog="What it times and why: the module docstring of bench/conv_bound.py.",
    )
    parser.add_argument(
        "--threads",
        type=cli.positive(int),
        help="torch.set_num_threads(N) (default: PyTorch's own)",
    )
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = measure()
    print(f"{cpu.label(torch.get_num_threads())}, PyTorch {torch.__version__}")
    print(f"{'convolution (input x weight)':66} {'calls':>5} {'ms each':>8} {'ms':>7}")
    for name, (count, ms) in rows.items():
        print(f"{name:66} {count:5d} {ms:8.3f} {count * ms:7.2f}")
    total = sum(count * ms for count, ms in rows.values())
    print(f"{'all convolutions of one --fast iteration':66} {'':5} {'':8} {total:7.2f}")
    return total


if __name__ == "__main__":
    cli.run(main)
