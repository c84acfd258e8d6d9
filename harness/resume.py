"""Resumable runs on the command line: the checkpoint flags and what `--resume` checks and adopts.

- `--checkpoint-every N`: a checkpoint after every N training steps, at the end of the run, and
  when the run is interrupted; 0 keeps only the last two.
- `--resume RUN_DIR` reopens that run folder with the hyper-parameters and seed in its
  hparams.json (a flag may only repeat them), cuts log.txt and metrics.jsonl back to what they
  held when the checkpoint was taken, and continues. On a CPU the resumed run prints and writes
  what the uninterrupted run would have, number for number.
- `--init-weights FILE.npz`: a run's first weights from a file of TF1-named arrays.
- `--on-nan stop` (default): a NaN or infinite loss ends the run with one sentence naming the
  step and the last good checkpoint; `--on-nan continue` keeps the originals' behaviour.

How a checkpoint is written and when is harness/hooks.py's; what it holds,
harness/checkpoint_format.py's.
"""

import json
import pathlib

import numpy as np

from harness import checkpoint_format, cli

DEFAULT_EVERY = 1000  # Steps between checkpoints unless --checkpoint-every says otherwise.


def add_arguments(parser, on_nan=True):
    """--checkpoint-every, --resume, --init-weights and (unless HParams has its own) --on-nan."""
    group = parser.add_argument_group("checkpoints (resumable runs)")
    group.add_argument(
        "--checkpoint-every",
        type=_count,
        default=DEFAULT_EVERY,
        metavar="N",
        help="save a checkpoint every N training steps, at the end and on Ctrl-C/SIGTERM; "
        f"0: only at the end and on a signal (default: {DEFAULT_EVERY})",
    )
    group.add_argument(
        "--resume",
        metavar="RUN_DIR",
        default=None,
        help="continue the run in RUN_DIR from its last checkpoint, with its hyper-parameters "
        "and seed (appends to its log.txt and metrics.jsonl)",
    )
    group.add_argument(
        "--init-weights",
        metavar="FILE.npz",
        default=None,
        help="start from these weights instead of the seed's own draws: a .npz of arrays under "
        "the TF1 reference's variable names (python -m convert initial writes the reference's "
        "at a seed), so that both frameworks can start a run from the same numbers",
    )
    if on_nan:
        group.add_argument(
            "--on-nan",
            choices=("stop", "continue"),
            default="stop",
            help="a NaN or infinite loss stops the run naming the step and the last good "
            "checkpoint (stop), or the run goes on as the original did (default: stop)",
        )


def _count(text):
    try:
        value = int(text)
    except ValueError:
        raise cli.argparse.ArgumentTypeError(f"{text!r} is not an int") from None
    if value < 0:
        raise cli.argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return value


def read_hparams(run_dir, model, framework):
    """The hparams.json of a run folder given to --resume; one sentence when it is not one."""
    path = pathlib.Path(run_dir)
    hparams = path / "hparams.json"
    if not hparams.is_file():
        raise cli.UserError(
            f"--resume {run_dir}: no hparams.json there, so it is not a run folder; "
            "pass the --out folder of an earlier run."
        )
    try:
        saved = json.loads(hparams.read_text())
    except ValueError:
        raise cli.UserError(f"--resume {run_dir}: hparams.json is not valid JSON.") from None
    if (saved.get("model"), saved.get("framework")) != (model, framework):
        raise cli.UserError(
            f"--resume {run_dir}: that folder holds a {saved.get('model')} "
            f"({saved.get('framework')}) run, not {model} ({framework}); resume it with its own "
            "command."
        )
    check_unfinished(run_dir)
    return saved


def check_unfinished(run_dir):
    """A finished run cannot be resumed: one sentence saying so."""
    folder = pathlib.Path(run_dir) / checkpoint_format.FOLDER
    if (folder / checkpoint_format.FINISHED).exists():
        raise cli.UserError(
            f"--resume {run_dir}: that run already finished; its last checkpoint is in "
            f"{folder}, and a new run needs a new --out."
        )


def no_checkpoint(run_dir):
    folder = pathlib.Path(run_dir) / checkpoint_format.FOLDER
    return cli.UserError(
        f"--resume {run_dir}: that run has no checkpoint in {folder}; "
        "only runs that saved one (every --checkpoint-every steps, or on Ctrl-C) can resume."
    )


def check_flags(parser, args, saved, fields):
    """With --resume, a hyper-parameter flag may only repeat the saved value (one sentence)."""
    for name in fields:
        given, default = getattr(args, name), parser.get_default(name)
        if given != default and given != saved.get(name):
            flag = "--" + name.replace("_", "-")
            raise cli.UserError(
                f"{flag} {given}: the run in {args.resume} was made with {saved.get(name)}, and "
                "a resumed run keeps its hyper-parameters; drop the flag."
            )
    if args.seed is not None and args.seed != parser.get_default("seed"):
        if args.seed != saved.get("seed"):
            raise cli.UserError(
                f"--seed {args.seed}: the run in {args.resume} used seed {saved.get('seed')}; "
                "a resumed run keeps its seed, so drop --seed."
            )
    if (
        args.out is not None
        and pathlib.Path(args.out).resolve() != pathlib.Path(args.resume).resolve()
    ):
        raise cli.UserError(
            "--out and --resume name different folders; a resumed run writes "
            "into the folder it resumes, so drop --out."
        )


def adopt_saved_run(args, parser, hparams, saved, extra):
    """With --resume: refuse contradicting flags, then take the saved run's hyper-parameters
    and seed into `args`. `extra` values (a preset, a phase) must equal the saved ones."""
    fields = list(hparams.__dataclass_fields__)
    if parser is not None:
        check_flags(parser, args, saved, fields)
    for key, value in extra.items():
        if saved.get(key) != value:
            raise cli.UserError(
                f"--resume {args.resume}: that run used {key} "
                f"{saved.get(key)}, not {value}; resume it with the same."
            )
    for name in fields:
        setattr(args, name, saved[name])
    args.seed = saved["seed"]


def check_phase(args, model, framework, phases):
    """A resumed phase keeps the --max-steps it was started with (hparams.json records it);
    the last phase, with no loop, cannot be resumed."""
    if args.phase == phases[-1]:
        raise cli.UserError(
            f"--resume continues a training phase; {args.phase} has no loop to resume."
        )
    saved = read_hparams(args.resume, model, framework).get("max_steps")
    if args.max_steps not in (None, saved):
        raise cli.UserError(
            f"--max-steps {args.max_steps}: the run in {args.resume} was made with {saved}; "
            "a resumed run keeps it, so drop the flag."
        )
    args.max_steps = saved


def read_weights(path):
    """{TF1 variable name: array} from an .npz file, or None without a path; one sentence when
    the file cannot be read."""
    if path is None:
        return None
    try:
        with np.load(path) as arrays:
            return {name: arrays[name] for name in arrays.files}
    except (OSError, ValueError) as error:
        raise cli.UserError(
            f"--init-weights {path}: not a readable .npz of weights ({error}); write one with "
            "python -m convert initial."
        ) from None
