"""Command lines made from a model's `HParams`, and the one way user errors end a command.

Every field of a model's frozen `HParams` dataclass becomes a flag (`lr_D` -> `--lr-D`) whose
help is the field's trailing source comment, so `--help` shows where each default came from.
A user error (a bad flag, an unwritable folder, a missing file, a NaN loss) ends the command
with one sentence on stderr and exit status 2, never a traceback.
"""

import argparse
import dataclasses
import inspect
import math
import re
import sys

import numpy as np

_FIELD_LINE = re.compile(r"^\s+(\w+)\s*:[^#]*#\s*(.+?)\s*$")


class UserError(ValueError):
    """A problem the user can fix; its message is one sentence naming the thing and the remedy."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-sentence errors and exit status 2 (argparse's own code for bad usage).

    Abbreviations are refused, so a mistyped `--epoch 2` is an error instead of `--epochs 2`.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help).\n")


def field_comments(cls):
    """Map each dataclass field name to the comment that ends its source line."""
    comments = {}
    for line in inspect.getsource(cls).splitlines():
        match = _FIELD_LINE.match(line)
        if match:
            comments[match.group(1)] = match.group(2)
    return comments


def choice(default, *choices):
    """A dataclass field whose flag takes one of `choices` (default first among them)."""
    return dataclasses.field(default=default, metadata={"choices": (default, *choices)})


def positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__}") from None
        if not (value > 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
        return value

    parse.__name__ = f"positive {kind.__name__}"
    return parse


def add_hparams(parser, cls):
    """Add one flag per `HParams` field; numbers must be positive, booleans get --no-…"""
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
                type=positive(type(field.default)),
                default=field.default,
                metavar="N",
                help=help_text,
            )
        else:
            choices = field.metadata.get("choices")
            group.add_argument(
                flag, dest=field.name, default=field.default, choices=choices, help=help_text
            )


def hparams_from_args(cls, args):
    """Build the `HParams` instance that parsed `args` describe."""
    return cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(cls)})


def add_run_arguments(parser, default_seed=None):
    """The flags every training command takes besides its hyper-parameters.

    `default_seed` is the original's own seed where it had one (See_GANs: 6789); otherwise a
    run without --seed draws one from the OS and prints it.
    """
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


def add_data_dir_argument(parser):
    """`--data-dir` for the MNIST models (inputs/mnist.py resolves the default)."""
    parser.add_argument(
        "--data-dir",
        default=None,
        help="folder with the four MNIST .gz files, downloaded there when missing "
        "(default: $MNIST_DATA_DIR, else data/mnist)",
    )


def resolve_seed(seed):
    """The given seed, or a fresh one from the OS (the caller prints it, so a run can be redone)."""
    return seed if seed is not None else int(np.random.SeedSequence().entropy % 2**31)


def check_finite(where, **losses):
    """Raise `UserError` naming the step when a loss is NaN or infinite."""
    for name, value in losses.items():
        if not math.isfinite(value):
            raise UserError(
                f"{name} became {value} at {where}; the run stopped there "
                "(lower the learning rates or change --seed)."
            )


def run(main, argv=None):
    """Call `main(argv)`; a `UserError`, `ValueError` or `OSError` ends in one sentence, exit 2."""
    try:
        return main(argv)
    except (UserError, ValueError, OSError) as error:
        message = str(error).rstrip()
        if isinstance(error, OSError) and error.filename:
            message = f"{error.filename}: {error.strerror}."
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        print("error: interrupted; what was written so far is kept.", file=sys.stderr)
        raise SystemExit(130) from None
