"""Find the `Case` that `--case` names: `FILE.py:NAME` (a file of the user's) or
`package.module:NAME` (an importable module), with one sentence for every way it can be wrong."""

import importlib
import importlib.util
import pathlib
import sys
import traceback

from crosscheck.case import Case, CaseError


def load(spec):
    """The `Case` that `spec` names."""
    where, colon, name = spec.rpartition(":")
    if not colon or not where or not name:
        raise CaseError(f"--case takes FILE.py:NAME or package.module:NAME, got {spec!r}.")
    if where.endswith(".py") or "/" in where or "\\" in where:
        module = _from_file(pathlib.Path(where))
    else:
        try:
            module = importlib.import_module(where)
        except ModuleNotFoundError as error:
            if error.name and where.startswith(error.name):
                raise CaseError(f"no module {where!r} to take the case {name!r} from.") from None
            raise
    case = getattr(module, name, None)
    if case is None:
        found = sorted(k for k, v in vars(module).items() if isinstance(v, Case))
        raise CaseError(
            f"{where} has no {name!r}"
            + (f" (its cases: {', '.join(found)})." if found else "; it defines no Case.")
        )
    if not isinstance(case, Case):
        raise CaseError(f"{where}:{name} is a {type(case).__name__}, not a crosscheck.case.Case.")
    return case


def _from_file(path):
    """Import a case file as the user would run it: its folder first on sys.path, so that it
    can import the TF1 script and the port beside it, and `import tensorflow as tf` in the
    file and in its folder's modules giving TF1 as `python -m tf1run` gives it to a script
    (tf1run/library.py). An error in the file is shown as the file's, at its line."""
    from tf1run import library

    if not path.is_file():
        raise CaseError(f"no case file {path}: it does not exist.")
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    table = library.folder_sees_tf1(folder)
    name = f"crosscheck_case_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    module.__builtins__ = table
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except CaseError:
        raise
    except Exception as error:  # noqa: BLE001  (the user's own error, shown as theirs)
        frames = [
            f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith(folder)
        ]
        at = (
            f", line {frames[-1].lineno} of {pathlib.Path(frames[-1].filename).name}"
            if frames
            else ""
        )
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise CaseError(
            f"the case file {path} failed{at}: {type(error).__name__}: {message}"
        ) from None
    return module
