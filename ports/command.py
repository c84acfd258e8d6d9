"""The command line every PyTorch port shares: flags, seed, device, CPU threads, run folder."""

import sys

import torch

from harness import cli, run_folder


def parser(model, hparams, doc, default_seed=None):
    """Flags from `hparams`, plus --seed, --out and --device auto|cpu|cuda."""
    result = cli.ArgumentParser(
        prog=f"python -m ports.{model}",
        description=doc.split("\n\n")[0],
        epilog="Source, how to run and the list of deviations: the module docstring.",
    )
    cli.add_hparams(result, hparams)
    cli.add_run_arguments(result, default_seed)
    result.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="where the port runs; auto is cuda when PyTorch sees a GPU (default: auto)",
    )
    result.add_argument(
        "--threads",
        type=cli._positive(int),
        default=None,
        metavar="N",
        help="CPU threads for PyTorch's ops (default: the model's measured choice in "
        "ports/command.py THREADS, else PyTorch's own, one per core)",
    )
    return result


# PyTorch CPU threads per model where one thread beats one per core: a step of 4-row tensors
# has nothing to split, and each parallel region (BCE-with-logits' reduction, for one) wakes
# and waits for the other thread. Measured 2026-11-23 on the 2-core CPU with other processes
# holding ~1.5 cores: one 4-element binary_cross_entropy_with_logits took 46 us on 1 thread
# and 2.3 ms on 2 (spinning OpenMP; ports/__init__.py now makes waiting threads sleep);
# `python -m bench gaussian_gan --torch-threads 2` against the default compares the two. The
# thread count changes no number here (tests/test_bench.py: 100 steps, bit for bit).
THREADS = {"gaussian_gan": 1, "gaussian_cgan": 1}


def set_threads(model, threads=None):
    """torch.set_num_threads: `threads`, else the model's entry in THREADS, else PyTorch's own."""
    threads = threads or THREADS.get(model)
    if threads is not None:
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def device_of(name):
    """The torch.device for --device; asking for cuda without a GPU is a user error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise cli.UserError("--device cuda: PyTorch sees no GPU here; use --device cpu or auto.")
    return torch.device(name)


def start(args, hparams, model, **extra):
    """Resolve hyper-parameters, seed and device; open the run folder and log the setup."""
    hp = cli.hparams_from_args(hparams, args)
    device = device_of(args.device)
    seed = cli.resolve_seed(args.seed)
    threads = set_threads(model, getattr(args, "threads", None))
    out = run_folder.RunFolder(args.out or run_folder.default_path(model, "pytorch"))
    out.save_hparams(hp, seed=seed, device=str(device), framework="pytorch", model=model,
                     threads=threads, **extra)  # fmt: skip
    print(f"{model} (pytorch): {hp}, seed={seed}, device={device}, {threads} CPU threads, "
          f"run folder {out.path}", file=sys.stderr)  # fmt: skip
    return hp, seed, device, out
