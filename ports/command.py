"""The command line every PyTorch port shares: flags, seed, device, CPU threads,
run folder, checkpoints.

Checkpoint format (PyTorch): `<run>/checkpoints/model.pt`, one `torch.save` file holding
{"model": the model's name, "format", "step": steps done, "position": the epoch or step the
loop resumes at, "G", "D": state_dicts, "opt_G", "opt_D": optimizer state_dicts, "rng":
{"torch": torch.get_rng_state(), "cuda": the CUDA generators' states (when a GPU is used),
"numpy_global", "python_random"}, "tracked": the states of the loop's tracked objects,
"log_sizes": bytes of log.txt and metrics.jsonl}. It holds only tensors and plain Python values,
so `torch.load(..., weights_only=True)` reads it. It is written under a temporary name and
renamed (os.replace).
"""

import contextlib
import copy
import pathlib
import sys

import torch

from harness import board, checkpoints, cli, hooks, run_folder
from ports import flat_adam

CHECKPOINT = "model.pt"  # <run>/checkpoints/model.pt
Hooks = hooks.Hooks  # A bare run's hooks: the NaN stop only (harness/hooks.py).


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
        type=cli.positive(int),
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
    result.add_argument(
        "--fast",
        action="store_true",
        help="opt-in speed that changes rounding or random streams, never the model or its "
        "distributions: fused Adam (as --fused-adam) and the model's own fast paths (its "
        "module docstring lists them); recorded in hparams.json, and a --fast run resumes only "
        "with --fast, a default run only without it (default: off)",
    )
    has_on_nan = "on_nan" in hparams.__dataclass_fields__
    checkpoints.add_arguments(result, on_nan=not has_on_nan)
    return result


# PyTorch CPU threads per model where one thread beats one per core: a step of 4-row tensors
# has nothing to split, and each parallel region (BCE-with-logits' reduction, for one) wakes
# and waits for the other thread (docs/speed.md has the measurements, with their machine);
# `python -m bench gaussian_gan --torch-threads 2` against the default compares the two. The
# thread count changes no number here (tests/test_bench.py: 100 steps, bit for bit).
THREADS = {"gaussian_gan": 1, "gaussian_cgan": 1}


def set_threads(model, threads=None):
    """torch.set_num_threads: `threads`, else the model's entry in THREADS, else PyTorch's own."""
    threads = threads or THREADS.get(model)
    if threads is not None:
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def adam(params, fused_adam=False, **options):
    """The port's `torch.optim.Adam(params, **options)`; with --fused-adam, fused=True in place
    of any foreach choice (one pass over each weight instead of about ten; it rounds
    differently, so it is off by default). Without a foreach choice, torch's default Adam is
    `FlatAdam`: its arithmetic bit for bit over one flat buffer, for the small models whose
    steps are per-call overhead (ports/flat_adam.py)."""
    if fused_adam:
        return torch.optim.Adam(params, **fused(options))
    if "foreach" not in options:
        return flat_adam.FlatAdam(params, **options)
    return torch.optim.Adam(params, **options)


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

    Returns (hp, seed, device, out, run_hooks); with --resume, `run_hooks.resumed` is the
    loaded checkpoint. `extra` values (a preset, a phase) are saved in hparams.json and, on
    resume, must match it.
    """
    resumed = None
    if getattr(args, "resume", None):
        saved = checkpoints.read_hparams(args.resume, model, "pytorch")
        resumed = load(args.resume, model)
        checkpoints.adopt_saved_run(args, parser, hparams, saved, extra)
        if args.fused_adam and not saved.get("fused_adam", False):
            raise cli.UserError(
                f"--resume {args.resume}: that run used the default Adam, not "
                "--fused-adam; resume it without the flag."
            )
        args.fused_adam = saved.get("fused_adam", False)  # The checkpoint's Adam state too.
        check_fast_resume(args, saved)
    fused_adam = bool(getattr(args, "fused_adam", False))
    fast = bool(getattr(args, "fast", False))
    hp = cli.hparams_from_args(hparams, args)
    device = device_of(args.device)
    seed = cli.resolve_seed(args.seed)
    threads = set_threads(model, getattr(args, "threads", None))
    if resumed is not None:
        out = run_folder.RunFolder(args.resume, resume_sizes=resumed["log_sizes"])
    else:
        out = run_folder.RunFolder(args.out or run_folder.default_path(model, "pytorch"))
        out.save_hparams(
            hp,
            seed=seed,
            device=str(device),
            framework="pytorch",
            model=model,
            threads=threads,
            fused_adam=fused_adam,
            init_weights=getattr(args, "init_weights", None),
            **({"fast": True} if fast else {}),  # A default run's hparams.json is as before.
            **extra,
        )
    print(
        f"{model} (pytorch): {hp}, seed={seed}, device={device}, {threads} CPU threads, "
        + ("fused Adam, " if fused_adam else "")
        + ("--fast, " if fast else "")
        + f"run folder {out.path}"
        + (f", resumed after step {resumed['step']}" if resumed else ""),
        file=sys.stderr,
    )
    run_hooks = checkpoints.hooks_of(args, hp, out, resumed, model, "ports")
    return hp, seed, device, out, run_hooks


def check_fast_resume(args, saved):
    """--resume keeps a run's mode: a --fast run resumes only with --fast, a default run only
    without it (one computes the other's numbers with other rounding and random streams)."""
    fast, was_fast = bool(getattr(args, "fast", False)), bool(saved.get("fast", False))
    if fast and not was_fast:
        raise cli.UserError(
            f"--resume {args.resume} --fast: that run was made in the default mode, whose numbers "
            "--fast would continue with other rounding and random streams; resume it without "
            "--fast."
        )
    if was_fast and not fast:
        raise cli.UserError(
            f"--resume {args.resume}: that run was made with --fast, and a default resume would "
            "continue it with other rounding and random streams; resume it with --fast."
        )


def load(run_dir, model):
    """The checkpoint of a run folder; one sentence when there is none or it is another model's."""
    path = run_folder.pathlib.Path(run_dir) / checkpoints.FOLDER / CHECKPOINT
    if not path.is_file():
        raise checkpoints.no_checkpoint(run_dir)
    state = torch.load(path, map_location="cpu", weights_only=True)
    checkpoints.check_format(run_dir, state, model)
    state["path"] = str(path)
    return state


class ModuleState:
    """What `harness.hooks.Hooks` needs of a PyTorch run: its modules and optimizers, by name
    (G, D, opt_G, opt_D), written with torch.save."""

    def __init__(self, **objects):
        self.objects = objects

    def rng(self):
        states = {"torch": torch.get_rng_state()}
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            states["cuda"] = torch.cuda.get_rng_state_all()
        return states

    def set_rng(self, rng):
        torch.set_rng_state(rng["torch"])
        if "cuda" in rng and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(rng["cuda"])

    def capture(self):
        return {name: copy.deepcopy(thing.state_dict()) for name, thing in self.objects.items()}

    def restore(self, resumed):
        for name, thing in self.objects.items():
            thing.load_state_dict(resumed[name])

    @torch.no_grad()
    def load_initial(self, weights):
        """Replace G's and D's initial weights by TF1-named `weights` (--init-weights), through
        the port's NAME_MAP and its layouts, as the cross-check injects them."""
        import importlib

        from ports import layouts

        module = importlib.import_module(type(self.objects["G"]).__module__)
        modules = {"generator": self.objects["G"], "discriminator": self.objects["D"]}
        missing = sorted(set(module.NAME_MAP) - set(weights))
        if missing:
            raise cli.UserError(f"--init-weights: no weights for {', '.join(missing[:4])}.")
        for name, (path, layout) in module.NAME_MAP.items():
            target = layouts.parameter(modules, path)
            target.copy_(
                torch.as_tensor(layouts.to_torch(layout, weights[name]), dtype=target.dtype)
            )

    def write(self, folder, captured):
        folder.mkdir(exist_ok=True)
        state = {**{k: v for k, v in captured.items() if k != "weights"}, **captured["weights"]}
        run_folder.atomic_write(folder / CHECKPOINT, lambda p: torch.save(state, p))
        return str(folder / CHECKPOINT)

    def attach_board(self, out, purge_step):
        """TensorBoard: a `SummaryWriter` in the run folder."""
        out.board = board.TorchBoard(out.path, purge_step)


def save_phase(objects, out, checkpoint, streams):
    """`<out>/<checkpoint>`: the state_dicts of `objects` (name -> module or optimizer) and the
    random streams the next phase continues, written under a temporary name, then renamed."""
    final = out.path / checkpoint
    final.parent.mkdir(exist_ok=True)
    state = {**{name: thing.state_dict() for name, thing in objects.items()}, "streams": streams}
    run_folder.atomic_write(final, lambda p: torch.save(state, p))
    return final


def phase_path(restore, checkpoint):
    """The checkpoint file that `--restore` names: a run folder or the file itself."""
    if restore is None:
        raise cli.UserError(
            "this phase restores a checkpoint: pass --restore RUN_FOLDER (the --out of the run "
            "of the phase before)."
        )
    path = pathlib.Path(restore)
    path = path / checkpoint if path.is_dir() else path
    if not path.is_file():
        raise cli.UserError(
            f"--restore {restore}: no checkpoint {path} there; "
            "pass the run folder of a finished run of the phase before."
        )
    return path


def restore_phase(path, objects, model, device):
    """Load a phase checkpoint into `objects`; returns its streams (None when it has none, as a
    checkpoint converted from TF). One sentence for a file that is not the model's."""
    try:
        state = torch.load(path, map_location=device)
        for name, thing in objects.items():
            thing.load_state_dict(state[name])
    except Exception as error:  # noqa: BLE001  (unpickling, key and shape errors alike)
        first = (str(error).strip().splitlines() or [""])[0][:200]
        raise cli.UserError(
            f"--restore {path}: not a {model} checkpoint ({type(error).__name__} {first}); "
            "pass the run folder of a run of the phase before."
        ) from None
    return state.get("streams")


def main(argv, model, hparams, doc, train, default_seed=None, data_dir=False):
    """The whole `main` of a one-phase port: flags, run folder, then `train` inside it."""
    result = parser(model, hparams, doc, default_seed)
    if data_dir:
        cli.add_data_dir_argument(result)
    args = result.parse_args(argv)
    if data_dir:  # Read (or download) MNIST first: a bad --data-dir leaves no run folder behind.
        from inputs import mnist

        mnist.read_raw(args.data_dir)
    hp, seed, device, out, run_hooks = start(args, hparams, model, result)
    extra = {"data_dir": args.data_dir} if data_dir else {}
    with out, contextlib.closing(run_hooks):
        return train(
            hp,
            out,
            seed,
            device,
            hooks=run_hooks,
            fused_adam=args.fused_adam,
            fast=args.fast,
            **extra,
        )
