"""The PyTorch side of every port's command (harness/command.py): device, threads, Adam, saving.

A port's `Run` adds its options to the run's seed and folder: the device, the CPU threads,
`--fused-adam`, `--fast` (ports/fast/) and `--preset`; `PyTorch()` is the backend its `main`
hands the command; `adam` is the port's Adam; `ModuleState` is what the run's hooks checkpoint.

Checkpoint format (PyTorch): `<run>/checkpoints/model.pt`, one `torch.save` file holding
{"model": the model's name, "format", "step": steps done, "position": the epoch or step the
loop resumes at, "G", "D": state_dicts, "opt_G", "opt_D": optimizer state_dicts, "rng":
{"torch": torch.get_rng_state(), "cuda": the CUDA generators' states (when a GPU is used),
"numpy_global", "python_random"}, "tracked": the states of the loop's tracked objects,
"log_sizes": bytes of log.txt and metrics.jsonl}. It holds only tensors and plain Python values,
so `torch.load(..., weights_only=True)` reads it. It is written under a temporary name and
renamed (os.replace).
"""

import copy
import dataclasses
import importlib
import pathlib

import torch

from harness import board, checkpoint_format, cli, command, registry, resume, run_folder
from ports import flat_adam

CHECKPOINT = "model.pt"  # <run>/checkpoints/model.pt


@dataclasses.dataclass(frozen=True)
class Run(command.Run):
    """A port's run: seed, folder and data (harness/command.py), and PyTorch's options."""

    device: object = "cpu"  # The torch.device (or its name) of the modules and tensors.
    threads: int = None  # PyTorch's CPU threads, set by the command for the whole process.
    fused_adam: bool = False  # --fused-adam: torch.optim.Adam(fused=True), other rounding.
    fast: bool = False  # --fast: fused Adam and the model's ports/fast/<model>.py.
    preset: str = "tf1"  # --preset: whose program to run; tf1 is the TF graph's twin.


class PyTorch:
    """What harness/command.py asks of the PyTorch framework."""

    framework = "pytorch"  # As hparams.json and the run folders name it.
    package = "ports"  # python -m ports.<model>
    Run = Run

    def setup(self):
        pass

    def add_arguments(self, parser):
        """--device auto|cpu|cuda, --threads, --fused-adam and --fast."""
        parser.add_argument(
            "--device",
            choices=("auto", "cpu", "cuda"),
            default="auto",
            help="where the port runs; auto is cuda when PyTorch sees a GPU (default: auto)",
        )
        parser.add_argument(
            "--threads",
            type=cli.positive(int),
            default=None,
            metavar="N",
            help="CPU threads for PyTorch's ops (default: the model's measured choice, its "
            "registry row's threads, else PyTorch's own, one per core)",
        )
        parser.add_argument(
            "--fused-adam",
            action="store_true",
            help="torch.optim.Adam(fused=True): one kernel per parameter, 2-4x faster steps on a "
            "CPU; it rounds differently from the default Adam (about 1 ulp per step), so the "
            "run's numbers leave the default run's in their last digits (default: off)",
        )
        parser.add_argument(
            "--fast",
            action="store_true",
            help="opt-in speed that changes rounding or random streams, never the model or its "
            "distributions: fused Adam (as --fused-adam) and the model's own fast paths (its "
            "module docstring lists them); recorded in hparams.json, and a --fast run resumes "
            "only with --fast, a default run only without it (default: off)",
        )

    def load(self, run_dir, model):
        """The checkpoint of a run folder; one sentence when there is none or another model's."""
        path = pathlib.Path(run_dir) / checkpoint_format.FOLDER / CHECKPOINT
        if not path.is_file():
            raise resume.no_checkpoint(run_dir)
        state = torch.load(path, map_location="cpu", weights_only=True)
        checkpoint_format.check_format(run_dir, state, model)
        state["path"] = str(path)
        return state

    def adopt(self, args, saved):
        """--resume keeps a run's Adam and mode: a --fused-adam run resumes with fused Adam, a
        --fast run only with --fast and a default run only without it (one computes the other's
        numbers with other rounding and random streams)."""
        if args.fused_adam and not saved.get("fused_adam", False):
            raise cli.UserError(
                f"--resume {args.resume}: that run used the default Adam, not "
                "--fused-adam; resume it without the flag."
            )
        args.fused_adam = saved.get("fused_adam", False)  # The checkpoint's Adam state too.
        fast, was_fast = bool(getattr(args, "fast", False)), bool(saved.get("fast", False))
        if fast and not was_fast:
            raise cli.UserError(
                f"--resume {args.resume} --fast: that run was made in the default mode, whose "
                "numbers --fast would continue with other rounding and random streams; resume "
                "it without --fast."
            )
        if was_fast and not fast:
            raise cli.UserError(
                f"--resume {args.resume}: that run was made with --fast, and a default resume "
                "would continue it with other rounding and random streams; resume it with --fast."
            )

    def options(self, args, model):
        """The Run's device, threads (set here, for the process), --fused-adam and --fast."""
        return {
            "device": device_of(args.device),
            "threads": set_threads(model, getattr(args, "threads", None)),
            "fused_adam": bool(getattr(args, "fused_adam", False)),
            "fast": bool(getattr(args, "fast", False)),
        }

    def record(self, run, args, model):
        """hparams.json's fields after the hyper-parameters; a default run records no "fast"."""
        return {
            "seed": run.seed,
            "device": str(run.device),
            "framework": self.framework,
            "model": model,
            "threads": run.threads,
            "fused_adam": run.fused_adam,
            "init_weights": getattr(args, "init_weights", None),
            **({"fast": True} if run.fast else {}),
        }

    def describe(self, run):
        """The setup line's words on the device, threads, Adam and mode."""
        return (
            f"device={run.device}, {run.threads} CPU threads, "
            + ("fused Adam, " if run.fused_adam else "")
            + ("--fast, " if run.fast else "")
        )

    def phase_checkpoint(self, restore, checkpoint):
        return phase_path(restore, checkpoint)


def set_threads(model, threads=None):
    """torch.set_num_threads: `threads`, else the model's measured choice (its registry row's
    `threads`: one thread where a step of 4-row tensors has nothing to split, docs/speed.md),
    else PyTorch's own; returns the count in force."""
    row = registry.MODELS.get(model)
    threads = threads or (row.threads if row is not None else None)
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


# -- the checkpoints of a program of sessions (seed 002) ---------------------------------------
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
