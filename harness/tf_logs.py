"""TensorFlow's C++ log level for every entry point, set before TensorFlow is imported.

TensorFlow reads TF_CPP_MIN_LOG_LEVEL once, when it loads; set any later, it changes nothing.
So every package with an entry point that reaches TensorFlow (tf1_reference, crosscheck, report,
bench, convert, results, tf1run) imports this module from its `__init__.py`, which Python runs
before the package's modules and before their `import tensorflow`. What the default hides:
- level 3 on the CPU: the per-op warnings ("Not handling type DT_DOUBLE", one per float64
  op and session: 132 lines in a three-step float64 cross-check) and the CUDA driver errors of
  a machine without a GPU ("failed call to cuInit"), which read like failures and are none;
- level 2 when the command line asks for a GPU (`--device gpu`), so a GPU's own errors show;
- the start-up notices TensorFlow prints while it loads, before its logging reads the level
  ("oneDNN custom operations are on", "Could not find cuda drivers", the CPU-instructions
  notice, each twice): `import tensorflow` runs with file descriptor 2 captured, and the
  captured lines are written back without the log lines below the level (`_QuietImport`).
To see everything, set TF_CPP_MIN_LOG_LEVEL=0 in the environment: a value set there always wins
over the default, and its level applies to the start-up notices too (`python -m tf1run` also
has `--verbose`, the same as TF1RUN_VERBOSE=1).
"""

import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile

USER_LEVEL = os.environ.get("TF_CPP_MIN_LOG_LEVEL")  # None unless the environment chose one.
# A line of TensorFlow's C++ log: severity letter (Info, Warning, Error, Fatal) and a date.
_LOG_LINE = re.compile(r"^([IWEF])\d{4} ")
_SEVERITY = {"I": 0, "W": 1, "E": 2, "F": 3}
# Lines that belong to a start-up notice without a header of their own.
_NOTICE_TAILS = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "To enable the following instructions:",
)


def level_for(argv):
    """TF_CPP_MIN_LOG_LEVEL for a command line: "2" when it asks for a GPU, else "3"."""
    wants_gpu = "--device=gpu" in argv or any(
        flag == "--device" and value == "gpu" for flag, value in zip(argv, argv[1:])
    )
    return "2" if wants_gpu else "3"


def choose(level):
    """Use `level` unless the environment set TF_CPP_MIN_LOG_LEVEL; return the level in force."""
    if USER_LEVEL is None:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = level
    return os.environ["TF_CPP_MIN_LOG_LEVEL"]


def keep(captured, level):
    """The captured start-up output without the log lines below `level`, as one string."""
    try:
        level = int(level)
    except ValueError:
        level = 0  # TensorFlow reads an unparsable level as 0; so do we.
    kept, dropping = [], False
    for line in captured.splitlines(keepends=True):
        match = _LOG_LINE.match(line)
        if match:
            dropping = _SEVERITY[match.group(1)] < level
        elif line.startswith(_NOTICE_TAILS):
            dropping = level > 0
        else:
            dropping = False
        if not dropping:
            kept.append(line)
    return "".join(kept)


class _QuietLoader(importlib.abc.Loader):
    """Runs the real loader of `tensorflow` with descriptor 2 captured, then writes back `keep`."""

    def __init__(self, loader):
        self.loader = loader

    def __getattr__(self, name):
        return getattr(self.loader, name)  # is_package, get_filename, resource readers.

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        level = os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0")
        sys.stderr.flush()
        saved = os.dup(2)
        with tempfile.TemporaryFile() as capture:
            os.dup2(capture.fileno(), 2)
            failed = True
            try:
                self.loader.exec_module(module)
                failed = False
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
                os.close(saved)
                capture.seek(0)
                text = capture.read().decode(errors="replace")
                sys.stderr.write(text if failed else keep(text, level))
                sys.stderr.flush()


class _QuietImport(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` once, through the other finders, and hands it to `_QuietLoader`."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


def quiet_start_up():
    """Filter the start-up notices of the coming `import tensorflow` (once; none if loaded)."""
    if "tensorflow" in sys.modules or any(isinstance(f, _QuietImport) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _QuietImport())


choose(level_for(sys.argv))
quiet_start_up()
