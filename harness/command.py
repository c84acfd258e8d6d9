"""The one command of every training run, TF1 reference or PyTorch port: flags, run, `train`.

`python -m tf1_reference.<model>` and `python -m ports.<model>` are the same command with a
framework backend where the two differ (tf1_reference/backend.py: the session's ConfigProto and
a Saver's checkpoints; ports/backend.py: the device, CPU threads, --fused-adam, --fast and
torch.save checkpoints). Its flags come in this order:
- one per field of the model's frozen `HParams` (models/<model>.py): `lr_D` -> `--lr-D`, its
  help the field's trailing source comment, so `--help` shows where each default came from;
- `--seed` and `--out`; the backend's; the checkpoint flags (harness/resume.py);
- a model's own: a port's `--preset` (`Presets`), seed 002's phases (`Phases`), `--data-dir`.

Each model module describes its command once, `COMMAND = command.Command(...)`. Its `main`
turns the flags into the model's `hp`, a `Run` (the run's seed, folder, data folder and the
framework's options) and its `Hooks` (checkpoints, resume, NaN stop, step limit), prints the
resolved setup on stderr, and calls the model's `train(hp, run, hooks)` inside the run folder.
"""

import argparse
import contextlib
import dataclasses
import inspect
import re
import sys

import numpy as np

from harness import cli, hooks, resume, run_folder

Hooks = hooks.Hooks  # A bare run's hooks (train without a command): the NaN stop only.

_FIELD_LINE = re.compile(r"^\s+(\w+)\s*:[^#]*#\s*(.+?)\s*$")


@dataclasses.dataclass(frozen=True)
class Run:
    """One run of a model as its `train(hp, run, hooks)` sees it; each framework's backend adds
    the options that are its own (tf1_reference/backend.py, ports/backend.py)."""

    out: run_folder.RunFolder  # The run folder: log.txt, metrics.jsonl, pictures, checkpoints.
    seed: int  # Seeds every generator the run draws from (--seed, or drawn and printed).
    data_dir: str = None  # The MNIST folder (None: $MNIST_DATA_DIR, else data/mnist).
    phase: str = "train"  # Seed 002's session: train, train-d or test; others only train.
    restore: str = None  # The checkpoint a later phase of seed 002 starts from.


@dataclasses.dataclass(frozen=True)
class Presets:
    """A command's `--preset`: whose program to run, the first choice being the default."""

    choices: tuple  # The preset names; the first is the default.
    help: str  # The flag's help.
    settings: dict = dataclasses.field(default_factory=dict)  # {preset: {field: value}}


@dataclasses.dataclass(frozen=True)
class Phases:
    """A program of sessions run one after another (seed 002): one command per session."""

    names: tuple  # The sessions in order; every one after the first restores the one before.
    help: str  # The positional argument's help.
    checkpoint: object  # Where a phase saves, inside its run folder; the next one restores it.


# -- flags ------------------------------------------------------------------------------------
def field_comments(cls):
    """Map each dataclass field name to the comment that ends its source line."""
    comments = {}
    for line in inspect.getsource(cls).splitlines():
        match = _FIELD_LINE.match(line)
        if match:
            comments[match.group(1)] = match.group(2)
    return comments


def add_hparams(parser, cls, choices=None):
    """Add one flag per `HParams` field; numbers must be positive, booleans get --no-…

    `choices`: {field: choices} where a command's flag takes other choices than the field's.
    """
    comments = field_comments(cls)
    group = parser.add_argument_group("hyper-parameters (defaults: the original's)")
    for field in dataclasses.fields(cls):
        flag = "--" + field.name.replace("_", "-")
        help_text = comments.get(field.name, "").replace("%", "%%") + " (default: %(default)s)"
        if isinstance(field.default, bool):
            group.add_argument(
                flag,
                dest=field.name,
                action=argparse.BooleanOptionalAction,
                default=field.default,
                help=help_text,
            )
        elif isinstance(field.default, (int, float)):
            group.add_argument(
                flag,
                dest=field.name,
                type=cli.positive(type(field.default)),
                default=field.default,
                metavar="N",
                help=help_text,
            )
        else:
            allowed = (choices or {}).get(field.name, field.metadata.get("choices"))
            group.add_argument(
                flag, dest=field.name, default=field.default, choices=allowed, help=help_text
            )


def hparams_from_args(cls, args):
    """Build the `HParams` instance that parsed `args` describe."""
    return cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(cls)})


def add_run_arguments(parser, default_seed=None):
    """--seed and --out. `default_seed` is the original's own seed where it had one (See_GANs:
    6789); otherwise a run without --seed draws one from the OS and prints it."""
    seed_help = (
        f"seed for every random draw (default: {default_seed}, the original's own)"
        if default_seed is not None
        else "seed for every random draw; the same seed gives the same numbers on a CPU "
        "(default: drawn from the OS and printed, so any run can be repeated)"
    )
    parser.add_argument("--seed", type=int, default=default_seed, help=seed_help)
    parser.add_argument(
        "--out",
        default=None,
        help="run folder for log.txt, metrics.jsonl, hparams.json and pictures "
        "(default: runs/<model>/<framework>/<UTC time>)",
    )


def resolve_seed(seed):
    """The given seed, or a fresh one from the OS (the caller prints it, so a run can be redone)."""
    return seed if seed is not None else int(np.random.SeedSequence().entropy % 2**31)


def parser(
    model,
    backend,
    *,
    hparams,
    doc,
    default_seed=None,
    presets=None,
    phases=None,
    choices=None,
    data=False,
):
    """The command's ArgumentParser: the flags of the module docstring, in its order."""
    result = cli.ArgumentParser(
        prog=f"python -m {backend.package}.{model}",
        description=doc.split("\n\n")[0],
        epilog="Source, how to run and the list of deviations: the module docstring.",
    )
    add_hparams(result, hparams, choices)
    add_run_arguments(result, default_seed)
    backend.add_arguments(result)
    resume.add_arguments(result, on_nan="on_nan" not in hparams.__dataclass_fields__)
    if presets is not None:
        result.add_argument(
            "--preset", choices=presets.choices, default=presets.choices[0], help=presets.help
        )
    if phases is not None:
        result.add_argument("phase", choices=phases.names, help=phases.help)
        result.add_argument(
            "--restore",
            help=f"{', '.join(phases.names[1:])}: the run folder (or checkpoint) to restore",
        )
        result.add_argument(
            "--max-steps",
            type=cli.positive(int),
            default=None,
            metavar="N",
            help="stop a training phase after N steps in all (default: every epoch)",
        )
    if data:
        cli.add_data_dir_argument(result)
    return result


def apply_preset(args, hparams, presets, argv):
    """A preset's HParams values, for every field the command line did not set itself."""
    settings = presets.settings.get(args.preset, {})
    tokens = sys.argv[1:] if argv is None else argv
    for field in dataclasses.fields(hparams):
        flag = f"--{field.name.replace('_', '-')}"
        given = any(token.split("=")[0] == flag for token in tokens)
        if field.name in settings and not given:
            setattr(args, field.name, settings[field.name])


def phase_restore(args, model, backend, phases):
    """Check a phase command's flags; return the checkpoint the phase restores (or None: the
    first phase, and a resumed phase, whose own checkpoint restores everything)."""
    if args.resume is not None:
        resume.check_phase(args, model, backend.framework, phases.names)
        return None
    if args.phase == phases.names[0]:
        return None
    return backend.phase_checkpoint(args.restore, phases.checkpoint)


# -- the run ----------------------------------------------------------------------------------
def start(args, model, backend, *, hparams, parser=None, extra=None, fields=None):
    """Resolve hyper-parameters, seed and the backend's options; open (or reopen) the run folder.

    Returns (hp, run, run_hooks); with --resume, `run_hooks.resumed` is the loaded checkpoint.
    `extra` values (a preset, a phase) are saved in hparams.json and, on resume, must match it;
    `fields` are the Run's own beyond seed, folder and data (a preset, the phase's checkpoint).
    """
    extra = extra or {}
    backend.setup()
    resumed = None
    if getattr(args, "resume", None):
        saved = resume.read_hparams(args.resume, model, backend.framework)
        resumed = backend.load(args.resume, model)
        resume.adopt_saved_run(args, parser, hparams, saved, extra)
        backend.adopt(args, saved)
    hp = hparams_from_args(hparams, args)
    seed = resolve_seed(args.seed)
    options = backend.options(args, model)
    if resumed is not None:
        out = run_folder.RunFolder(args.resume, resume_sizes=resumed["log_sizes"])
    else:
        out = run_folder.RunFolder(args.out or run_folder.default_path(model, backend.framework))
    data_dir = getattr(args, "data_dir", None)
    run = backend.Run(out=out, seed=seed, data_dir=data_dir, **(fields or {}), **options)
    if resumed is None:
        out.save_hparams(hp, **backend.record(run, args, model), **extra)
    print(
        f"{model} ({backend.framework}): {hp}, seed={seed}, {backend.describe(run)}"
        f"run folder {out.path}" + (f", resumed after step {resumed['step']}" if resumed else ""),
        file=sys.stderr,
    )
    return hp, run, hooks_of(args, hp, run, resumed=resumed, model=model, backend=backend)


def hooks_of(args, hp, run, *, resumed, model, backend):
    """A command's `Hooks`: its NaN policy, cadence, step limit, the command that resumes, and
    the initial weights of --init-weights (read here: a bad file stops before training)."""
    result = Hooks(
        run.out,
        every=getattr(args, "checkpoint_every", 0),
        on_nan=getattr(hp, "on_nan", None) or getattr(args, "on_nan", "stop"),
        resumed=resumed,
        command=f"python -m {backend.package}.{model} --resume {run.out.path}",
        model=model,
        max_steps=getattr(args, "max_steps", None),
    )
    result.initial = resume.read_weights(getattr(args, "init_weights", None))
    return result


@dataclasses.dataclass(frozen=True)
class Command:
    """A model's command, `python -m <backend's package>.<model>`: what its `main` runs and its
    `parser` reads. Each model module holds one, `COMMAND`, and its `main` is `COMMAND.main`."""

    model: str  # The registry's name of the model, as in its files and run folders.
    train: object  # The model's `train(hp, run, hooks)`.
    hparams: type  # Its frozen HParams (models/<model>.py); a flag per field.
    doc: str  # Its module docstring; --help shows the first paragraph.
    backend: object  # tf1_reference/backend.py's TF1(...) or ports/backend.py's PyTorch().
    default_seed: int = None  # The original's own seed, where it had one (See_GANs: 6789).
    read_data: object = None  # The MNIST models' reader: adds --data-dir, read before the run.
    presets: Presets = None  # A port's --preset.
    phases: Phases = None  # Seed 002's sessions, one command each.
    choices: dict = None  # {field: choices} where the flag takes other choices than the field.

    def parser(self):
        return parser(
            self.model,
            self.backend,
            hparams=self.hparams,
            doc=self.doc,
            default_seed=self.default_seed,
            presets=self.presets,
            phases=self.phases,
            choices=self.choices,
            data=self.read_data is not None,
        )

    def main(self, argv=None):
        """Flags, run folder, then `train(hp, run, hooks)` inside it. With `read_data`, the
        MNIST files are read before the run folder opens, so a bad --data-dir leaves no run
        folder behind."""
        arguments = self.parser()
        args = arguments.parse_args(argv)
        extra, fields = {}, {}
        if self.presets is not None:
            apply_preset(args, self.hparams, self.presets, argv)
            extra["preset"] = fields["preset"] = args.preset
        if self.phases is not None:
            restore = phase_restore(args, self.model, self.backend, self.phases)
            fields.update(phase=args.phase, restore=restore)
            extra.update(phase=args.phase, max_steps=args.max_steps)
        if self.read_data is not None:
            self.read_data(args.data_dir)
        hp, run, run_hooks = start(
            args,
            self.model,
            self.backend,
            hparams=self.hparams,
            parser=arguments,
            extra=extra,
            fields=fields,
        )
        with run.out, contextlib.closing(run_hooks):
            return self.train(hp, run, run_hooks)


def run(main, argv=None):
    """`main(argv)` as a command: a user error ends in one sentence and exit status 2, a
    signalled run in its sentence and 128 + the signal's number (harness/hooks.py)."""

    def wrapped(argv):
        try:
            return main(argv)
        except hooks.Interrupted as stop:
            raise SystemExit(hooks.report_interrupt(stop)) from None

    return cli.run(wrapped, argv)
