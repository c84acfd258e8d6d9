"""TF1 code imported as a library, not run as a script: the modules of one folder (a cross-check
case and the TF1 script beside it) see the same `tensorflow` that `python -m tf1run` gives a
script, and every other module the real one. Unlike a script's run it prints no substitution lines.

`folder_sees_tf1(folder)` installs it for `folder` once per process; `builtins()` is the
builtins table to execute a file of that folder with. No session setting applies (no
--max-steps, --save or --device): the importer runs the sessions.
"""

import os
import sys

_TABLE = []  # The one builtins table of this process, built on first use.
_FOLDERS = set()


def builtins():
    """The builtins whose `__import__` gives the proxy tree (TF1 behaviour entered first)."""
    if not _TABLE:
        import tf1_reference

        tf1_reference.setup()  # Graph mode and Keras 2, as the archive's own TF1 code has them.
        from tf1run import batch_norm, contrib, input_data, scan, session, shim

        # Quiet: the importer (a cross-check, a conversion) reports what it did itself, and a
        # line per substitution would repeat on every import of a case.
        quiet = open(os.devnull, "w")  # noqa: SIM115  (held for the process's life)
        top = shim.build(scan.Notices((), stream=quiet), session, [contrib, batch_norm], input_data)
        _TABLE.append(shim.builtins_for(top))
    return _TABLE[0]


def folder_sees_tf1(folder):
    """Modules imported from `folder` from now on get the proxy tree; returns the builtins."""
    from tf1run import runner

    table = builtins()
    folder = os.path.abspath(folder)
    if folder not in _FOLDERS:
        _FOLDERS.add(folder)
        sys.meta_path.insert(0, runner.ScriptModules(folder, table, set()))
    return table
