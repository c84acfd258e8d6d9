"""Resumable runs: when to checkpoint, how a run is stopped cleanly, and a NaN loss's stop.

One `Control` per training run, shared by all 12 training loops (6 TF1 references, 6 ports):
- `--checkpoint-every N`: a checkpoint after every N training steps, at the end of the run, and
  when the run is interrupted; 0 keeps only the last two.
- Ctrl-C or SIGTERM only sets a flag; the loop looks at it at the next step boundary, saves a
  checkpoint there and exits (status 128 + the signal's number). A second Ctrl-C stops at once.
- `--resume RUN_DIR` reopens that run folder, cuts log.txt and metrics.jsonl back to what they
  held when the checkpoint was taken (a run killed after it printed more), and continues. On a
  CPU the resumed run prints and writes what the uninterrupted run would have, number for number.
- `--on-nan stop` (default): a NaN or infinite loss ends the run with one sentence naming the
  step and the last good checkpoint; `--on-nan continue` keeps the originals' behaviour.

Random generators are saved as plain JSON-able values (lists and ints): NumPy's global
generator, Python's `random`, any explicit `np.random.Generator`. The framework-specific
writing (a TF1 `Saver` checkpoint beside a `.state.json` sidecar, or one `torch.save` file)
lives in tf1_reference/command.py and ports/command.py; both write under a temporary name and
rename, so a kill at any moment leaves the last good checkpoint readable.
"""

import json
import pathlib
import random
import signal
import sys

import numpy as np

from harness import cli

FOLDER = "checkpoints"  # Checkpoints live in <run folder>/checkpoints/.
DEFAULT_EVERY = 1000  # Steps between checkpoints unless --checkpoint-every says otherwise.
FORMAT = 2  # The checkpoint format's version, in every checkpoint (2: epochs, tracked states).
FINISHED = "finished"  # Written beside the last checkpoint when a run completes.


class Interrupted(Exception):
    """Raised at a step boundary after SIGTERM/SIGINT, once the checkpoint is written."""

    def __init__(self, signum, step, path, command=None):
        self.signum, self.step, self.path, self.command = signum, step, path, command
        super().__init__(f"stopped by signal {signum} after step {step}; checkpoint {path}")


def add_arguments(parser, on_nan=True):
    """--checkpoint-every, --resume and (unless HParams has its own field) --on-nan."""
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


def numpy_global_state():
    """NumPy's global (legacy MT19937) generator as JSON-able values."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return [name, keys.tolist(), int(pos), int(has_gauss), float(cached)]


def set_numpy_global_state(state):
    name, keys, pos, has_gauss, cached = state
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))


def python_random_state():
    version, internal, gauss = random.getstate()
    return [version, list(internal), gauss]


def set_python_random_state(state):
    version, internal, gauss = state
    random.setstate((version, tuple(internal), gauss))


def generator_state(generator):
    """An explicit `np.random.Generator`'s bit-generator state (a dict of ints and a name)."""
    return generator.bit_generator.state


def set_generator_state(generator, state):
    generator.bit_generator.state = state


def numpy_states():
    """The generators every loop draws from: NumPy's global one and Python's `random`."""
    return {"numpy_global": numpy_global_state(), "python_random": python_random_state()}


def set_numpy_states(rng):
    set_numpy_global_state(rng["numpy_global"])
    set_python_random_state(rng["python_random"])


def streams(reader, **arrays):
    """The random streams a loop continues: NumPy's and Python's global generators, a reader's
    order and position (`inputs.mnist.DataSet.state()`), and fixed arrays drawn from them once."""
    return dict(
        numpy_states(),
        reader=reader.state(),
        **{name: np.asarray(array).tolist() for name, array in arrays.items()},
    )


def set_streams(state, reader, **arrays):
    """Put `streams` back; returns `arrays` with the saved ones in their place (float32)."""
    set_numpy_states(state)
    reader.set_state(state["reader"])
    return {
        name: np.asarray(state.get(name, array), dtype=np.float32) for name, array in arrays.items()
    }


def continue_streams(streams, reader, sample_noise):
    """Continue a previous phase's random streams (`streams`, saved beside its checkpoint), as
    a program whose phases share one process does; returns the sample noise. Without them (a
    checkpoint converted from the other framework) the phase keeps the streams its --seed
    started, and says so on stderr."""
    if streams is None:
        print(
            "the restored checkpoint holds no random streams: this phase's start from --seed "
            "instead of continuing the previous phase's.",
            file=sys.stderr,
        )
        return sample_noise
    return set_streams(streams, reader, sample_noise=sample_noise)["sample_noise"]


class Kept:
    """A value drawn once that a checkpoint keeps as it is (a fixed batch of sample noise)."""

    def __init__(self, value):
        self.value = value

    def state(self):
        return np.asarray(self.value).tolist()

    def set_state(self, state):
        self.value = np.asarray(state, dtype=np.asarray(self.value).dtype)


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
    if (pathlib.Path(run_dir) / FOLDER / FINISHED).exists():
        raise cli.UserError(
            f"--resume {run_dir}: that run already finished; its last checkpoint is in "
            f"{pathlib.Path(run_dir) / FOLDER}, and a new run needs a new --out."
        )


def no_checkpoint(run_dir):
    return cli.UserError(
        f"--resume {run_dir}: that run has no checkpoint in {pathlib.Path(run_dir) / FOLDER}; "
        "only runs that saved one (every --checkpoint-every steps, or on Ctrl-C) can resume."
    )


def check_resume_flags(parser, args, saved, fields):
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
        check_resume_flags(parser, args, saved, fields)
    for key, value in extra.items():
        if saved.get(key) != value:
            raise cli.UserError(
                f"--resume {args.resume}: that run used {key} "
                f"{saved.get(key)}, not {value}; resume it with the same."
            )
    for name in fields:
        setattr(args, name, saved[name])
    args.seed = saved["seed"]


def add_phase_arguments(parser, phases, help):
    """A program of sessions run one after another (seed 002): the phase to run, --restore for
    the later ones, --max-steps and --data-dir."""
    parser.add_argument("phase", choices=phases, help=help)
    parser.add_argument(
        "--restore", help=f"{', '.join(phases[1:])}: the run folder (or checkpoint) to restore"
    )
    parser.add_argument(
        "--max-steps",
        type=cli.positive(int),
        default=None,
        metavar="N",
        help="stop a training phase after N steps in all (default: every epoch)",
    )
    cli.add_data_dir_argument(parser)


def phase_arguments(args, model, framework, phases, locate):
    """Check a phase command's flags; return the checkpoint the phase restores (or None).

    `locate(restore)` turns --restore into the framework's checkpoint. A resumed phase keeps
    the --max-steps it was started with (hparams.json records it); the last phase, with no
    loop, cannot be resumed."""
    if args.resume is None:
        return None if args.phase == phases[0] else locate(args.restore)
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
    return None


def hooks_of(args, hp, out, resumed, model, package):
    """A command's `harness.hooks.Hooks`: its NaN policy, cadence, the command that resumes,
    and the initial weights of --init-weights (read here: a bad file stops before training)."""
    from harness import hooks

    on_nan = getattr(hp, "on_nan", None) or getattr(args, "on_nan", "stop")
    every = getattr(args, "checkpoint_every", 0)
    command = f"python -m {package}.{model} --resume {out.path}"
    run_hooks = hooks.Hooks(out, every, on_nan, resumed, command, model)
    run_hooks.initial = read_weights(getattr(args, "init_weights", None))
    return run_hooks


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


def check_format(run_dir, state, model):
    """One sentence when a checkpoint is another model's or an earlier version's."""
    if state.get("model") != model or state.get("format") != FORMAT:
        raise cli.UserError(
            f"--resume {run_dir}: its checkpoint is of {state.get('model')} in format "
            f"{state.get('format')}, not of {model} in format {FORMAT} (written by another "
            "model's command or an earlier version of the archive); start a new run."
        )


def report_interrupt(error):
    """The stderr sentence for an `Interrupted` run; returns the exit status, 128 + signal."""
    name = signal.Signals(error.signum).name
    print(
        f"{name}: stopped after step {error.step} with a checkpoint at {error.path}; continue "
        f"with: {error.command}",
        file=sys.stderr,
    )
    return 128 + error.signum


def run(main, argv=None):
    """`cli.run(main)` that also ends a signalled run with its sentence and 128 + signal."""

    def wrapped(argv):
        try:
            return main(argv)
        except Interrupted as stop:
            raise SystemExit(report_interrupt(stop)) from None

    return cli.run(wrapped, argv)
