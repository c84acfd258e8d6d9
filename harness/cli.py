"""The one way user errors end a command, and the argument types every command shares.

A user error (a bad flag, an unwritable folder, a missing file, a NaN loss) ends the command
with one sentence on stderr and exit status 2, never a traceback. The training commands' own
flags (one per HParams field) are harness/command.py's.
"""

import argparse
import dataclasses
import math
import sys


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


def add_data_dir_argument(parser):
    """`--data-dir` for the MNIST models (inputs/mnist.py resolves the default)."""
    parser.add_argument(
        "--data-dir",
        default=None,
        help="folder with the four MNIST .gz files, downloaded there when missing "
        "(default: $MNIST_DATA_DIR, else data/mnist)",
    )


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
