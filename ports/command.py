"""The command line every PyTorch port shares: flags, seed, device, CPU threads,
run folder, checkpoints.

Checkpoint format (PyTorch): `<run>/checkpoints/model.pt`, one `torch.save` file holding
{"model": the model's name, "format": 1, "step": steps done, "G", "D": state_dicts,
"opt_G", "opt_D": optimizer state_dicts, "rng": {"torch": torch.get_rng_state(), "cuda": the
CUDA generators' states (when a GPU is used), "numpy_global", "python_random", and any reader
state}, "loop": the loop's counters and running sums, "log_sizes": bytes of log.txt and
metrics.jsonl}. It holds only tensors and plain Python values, so `torch.load(...,
weights_only=True)` reads it. It is written under a temporary name and renamed (os.replace).
"""

import sys

import torch

from harness import board, checkpoints, cli, run_folder

CHECKPOINT = "model.pt"  # <run>/checkpoints/model.pt


def parser(model, hparams, doc, default_seed=None):
    """Flags from `hparams`, plus --seed, --out, --device auto|cpu|cuda and checkpoints."""
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
    result.add_argument(
        "--fused-adam",
        action="store_true",
        help="torch.optim.Adam(fused=True): one kernel per parameter, 2-4x faster steps on a CPU; "
        "it rounds differently from the default Adam (about 1 ulp per step), so the run's "
        "numbers leave the default run's in their last digits (default: off)",
    )
    has_on_nan = "on_nan" in hparams.__dataclass_fields__
    checkpoints.add_arguments(result, on_nan=not has_on_nan)
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


# --fused-adam of the running command, set by start(); adam_options() reads it.
FUSED_ADAM = {"on": False}


def adam_options(**options):
    """Keyword arguments for the port's torch.optim.Adam: `options`, or fused=True instead of
    any foreach choice when the command runs with --fused-adam (issue 9: one pass over each
    weight instead of about ten; measured 0.78 ms against 3.0 ms per step of the seed-004 G).
    """
    return fused(options) if FUSED_ADAM["on"] else options


def fused(options):
    """Adam keyword arguments `options` with fused=True in place of any foreach choice."""
    return {**{k: v for k, v in options.items() if k != "foreach"}, "fused": True}


def device_of(name):
    """The torch.device for --device; asking for cuda without a GPU is a user error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise cli.UserError("--device cuda: PyTorch sees no GPU here; use --device cpu or auto.")
    return torch.device(name)


def start(args, hparams, model, parser=None, **extra):
    """Resolve hyper-parameters, seed and device; open (or reopen) the run folder.

    Returns (hp, seed, device, out, control); with --resume, `control.resumed` is the loaded
    checkpoint. `extra` values (a preset, a phase) are saved in hparams.json and, on resume,
    must match it.
    """
    resumed = None
    if getattr(args, "resume", None):
        saved = checkpoints.read_hparams(args.resume, model, "pytorch")
        resumed = load(args.resume, model)
        checkpoints.adopt_saved_run(args, parser, hparams, saved, extra)
        if args.fused_adam and not saved.get("fused_adam", False):
            raise cli.UserError(f"--resume {args.resume}: that run used the default Adam, not "
                                "--fused-adam; resume it without the flag.")  # fmt: skip
        args.fused_adam = saved.get("fused_adam", False)  # The checkpoint's Adam state too.
    FUSED_ADAM["on"] = bool(getattr(args, "fused_adam", False))
    hp = cli.hparams_from_args(hparams, args)
    device = device_of(args.device)
    seed = cli.resolve_seed(args.seed)
    threads = set_threads(model, getattr(args, "threads", None))
    if resumed is not None:
        out = run_folder.RunFolder(args.resume, resume_sizes=resumed["log_sizes"])
    else:
        out = run_folder.RunFolder(args.out or run_folder.default_path(model, "pytorch"))
        out.save_hparams(hp, seed=seed, device=str(device), framework="pytorch", model=model,
                         threads=threads, fused_adam=FUSED_ADAM["on"], **extra)  # fmt: skip
    print(f"{model} (pytorch): {hp}, seed={seed}, device={device}, {threads} CPU threads, "
          + ("fused Adam, " if FUSED_ADAM["on"] else "")
          + f"run folder {out.path}"
          + (f", resumed after step {resumed['step']}" if resumed else ""), file=sys.stderr)  # fmt: skip
    control = checkpoints.control_of(args, hp, out, resumed, model, "ports")
    return hp, seed, device, out, control


def load(run_dir, model):
    """The checkpoint of a run folder; one sentence when there is none or it is another model's."""
    path = run_folder.pathlib.Path(run_dir) / checkpoints.FOLDER / CHECKPOINT
    if not path.is_file():
        raise checkpoints.no_checkpoint(run_dir)
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state.get("model") != model or state.get("format") != checkpoints.FORMAT:
        raise cli.UserError(f"--resume {run_dir}: {path} is a checkpoint of {state.get('model')} "
                            f"(format {state.get('format')}), not {model}.")  # fmt: skip
    state["path"] = str(path)
    return state


def rng_states(**extra):
    """Every generator a port draws from: torch's (and CUDA's), NumPy's global, Python's."""
    states = {"torch": torch.get_rng_state(), **checkpoints.numpy_states(), **extra}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states):
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
    checkpoints.set_numpy_states(states)


def save_checkpoint(control, step, G, D, opt_G, opt_D, loop, rng=None):
    """Write `<run>/checkpoints/model.pt` (temporary name, then renamed); returns its path."""
    folder = control.out.path / checkpoints.FOLDER
    folder.mkdir(exist_ok=True)
    state = {"model": control.model, "format": checkpoints.FORMAT, "step": step,
             "G": G.state_dict(), "D": D.state_dict(), "opt_G": opt_G.state_dict(),
             "opt_D": opt_D.state_dict(), "rng": rng if rng is not None else rng_states(),
             "loop": loop, "log_sizes": control.log_sizes()}  # fmt: skip
    run_folder.atomic_write(folder / CHECKPOINT, lambda p: torch.save(state, p))
    return str(folder / CHECKPOINT)


def restore(control, G, D, opt_G, opt_D):
    """Load the resumed checkpoint's weights and optimizer states; returns the checkpoint."""
    state = control.resumed
    G.load_state_dict(state["G"])
    D.load_state_dict(state["D"])
    opt_G.load_state_dict(state["opt_G"])
    opt_D.load_state_dict(state["opt_D"])
    return state


def attach_board(control, purge_step):
    """TensorBoard for a CLI run (a `SummaryWriter`); none for direct calls of `train`."""
    if control.enabled:
        resumed = control.resumed is not None
        control.out.board = board.TorchBoard(control.out.path, purge_step if resumed else None)


def main(argv, model, hparams, doc, train, default_seed=None, data_dir=False):
    """The whole `main` of a one-phase port: flags, run folder, then `train` inside it."""
    result = parser(model, hparams, doc, default_seed)
    if data_dir:
        cli.add_data_dir_argument(result)
    args = result.parse_args(argv)
    if data_dir:  # Read (or download) MNIST first: a bad --data-dir leaves no run folder behind.
        from inputs import mnist

        mnist.read_raw(args.data_dir)
    hp, seed, device, out, control = start(args, hparams, model, result)
    extra = {"data_dir": args.data_dir} if data_dir else {}
    with out:
        return train(hp, out, seed, device, control=control, **extra)
