"""Running the script: its namespace, its imports, its command line, and how its run ends.

The script runs as `__main__` from its own compiled source, in the current folder, with
`sys.argv` = [the script as given, its arguments] and its folder first on `sys.path`, as
`python SCRIPT.py` would. Its globals, and those of any module imported from its folder (a
2017 project's ops.py), get builtins whose `__import__` gives the proxy tree of shim.py.
How the run ends decides the exit status and the last line on stderr:
- the script returns, or exits with status 0, or --max-steps stops it: 0 (StopRun says so);
- tf1run refuses something (names.Refused, raised where the script used it): 2, one sentence
  "error: SCRIPT, line N: API is not supported: why.";
- the script's own exception: 1, its frames only (none of tf1run's or TensorFlow's), then
  "error in the script SCRIPT, line N: Type: message";
- `sys.exit(code)` in the script: that code; Ctrl-C: 130.
"""

import importlib.abc
import importlib.machinery
import logging
import os
import sys
import traceback
import types

from tf1run import names, session


def _inside(path, folder):
    return os.path.abspath(path).startswith(folder + os.sep)


class _ShimLoader(importlib.abc.Loader):
    """Loads a module of the script's folder with the script's builtins."""

    def __init__(self, loader, builtins_table):
        self.loader, self.builtins_table = loader, builtins_table

    def __getattr__(self, name):
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__builtins__ = self.builtins_table
        self.loader.exec_module(module)


class ScriptModules(importlib.abc.MetaPathFinder):
    """Finds the modules of the script's own folder, so that they see the proxy tree too."""

    def __init__(self, folder, builtins_table, files):
        self.folder, self.builtins_table, self.files = folder, builtins_table, files

    def find_spec(self, name, path=None, target=None):
        search = [self.folder] if path is None else [p for p in path if _inside(p, self.folder)]
        if not search:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, search)
        if spec is None or not (spec.origin or "").endswith(".py"):
            return None
        spec.loader = _ShimLoader(spec.loader, self.builtins_table)
        self.files.add(os.path.abspath(spec.origin))
        return spec


class ScriptLocation(logging.Filter):
    """Points TensorFlow's "From FILE:LINE: X is deprecated" warnings at the script's line.

    TensorFlow names the frame two above its decorator, which for most tf.nn functions is its
    own dispatch.py; the filter runs inside that call, so the script's frame is on the stack.
    """

    def __init__(self, files):
        super().__init__()
        self.files = files

    def filter(self, record):
        if isinstance(record.msg, str) and record.msg.startswith("From %s") and record.args:
            frame = sys._getframe()
            while frame and os.path.abspath(frame.f_code.co_filename) not in self.files:
                frame = frame.f_back
            if frame:
                where = f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"
                record.args = (where, *record.args[1:])
        return True


def _script_frames(tb, files):
    """The traceback entries of the script's own files, outermost first."""
    return [f for f in traceback.extract_tb(tb) if os.path.abspath(f.filename) in files]


def _where(error, files, script):
    frames = _script_frames(error.__traceback__, files)
    if not frames:
        return script, None
    return frames[-1].filename, frames[-1].lineno


def _message(error):
    """The exception's message, first paragraph only (TF appends node tracebacks after)."""
    text = error.msg if isinstance(error, SyntaxError) else str(error)
    text = text.strip().split("\n\n")[0].strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def run(script, args, builtins_table, stream=None):
    """Run `script` with `args`; return the exit status (the module docstring says which)."""
    stream = stream or sys.stderr
    path = os.path.abspath(script)
    with open(path, encoding="utf-8") as file:
        source = file.read()
    files = {path}
    folder = os.path.dirname(path)
    sys.argv = [script, *args]
    sys.path[:1] = [folder, *sys.path[:1]]  # As `python SCRIPT.py`; tf1run's own stays after.
    sys.meta_path.insert(0, ScriptModules(folder, builtins_table, files))
    logging.getLogger("tensorflow").addFilter(ScriptLocation(files))
    module = types.ModuleType("__main__")
    module.__dict__.update(__file__=script, __builtins__=builtins_table, __spec__=None)
    sys.modules["__main__"] = module
    status, last = 0, None
    try:
        code = compile(source, script, "exec")
        exec(code, module.__dict__)
    except session.StopRun:
        settings = session.SETTINGS
        last = f"tf1run: --max-steps {settings.max_steps}: stopped the script before its "
        last += f"training step {settings.steps + 1}."
    except names.Refused as error:
        where, line = _where(error, files, script)
        status, last = 2, f"error: {where}, line {line}: {error}"
    except SystemExit as error:
        if isinstance(error.code, str):
            status, last = 1, error.code
        else:
            status = error.code or 0
    except KeyboardInterrupt:
        status, last = 130, "tf1run: interrupted."
    except BaseException as error:
        status = 1
        frames = _script_frames(error.__traceback__, files)
        if isinstance(error, SyntaxError) and error.filename == script:
            where, line = script, error.lineno
        else:
            where, line = _where(error, files, script)
        if frames:
            print("Traceback (the script's own frames):", file=stream)
            print("".join(traceback.format_list(frames)), end="", file=stream)
        last = f"error in the script {where}, line {line}: {_message(error)}"
    sys.stdout.flush()
    session.SETTINGS.finish()
    if last:
        print(last, file=stream, flush=True)
    return status
