"""What one run folder says: its settings, row, state and steps, its machine and its dates.

A run is any folder holding hparams.json. In the plan's layout, `<row>/<framework>/seed-<S>`,
it belongs to row `<row>`; elsewhere to the row named after its model. Its state is done
(`checkpoints/finished`), stopped (a STOPPED file: a NaN stop), interrupted or lost
(results/plan.py). The machine is its machine.json (written by `python -m results run`); where
a folder has none, the host its TensorBoard file was written on and, when that is this host,
this machine's label under the row's kernel paths, measured at merge time.
"""

import dataclasses
import datetime
import json
import os
import pathlib
import re
import socket

from harness import cli
from results import plan as planning
from results import rows as row_table

# Not settings of a row: the seed varies by design, the data folder is a path, and a port's
# thread count follows the machine's cores, as the CPU does (each run's machine is named). The
# initial weights' file differs by seed too; results/checks.py holds it to the row's.
IGNORED = ("seed", "data_dir", "threads", "init_weights")
PER_FRAMEWORK = ("framework", "device", "fused_adam", "fast")  # Within one framework only.


@dataclasses.dataclass
class Run:
    folder: pathlib.Path
    saved: dict  # hparams.json
    row: str
    state: str  # done, stopped, interrupted or lost (results/plan.py)
    detail: str
    steps: int = None  # Steps done, from checkpoints/finished.

    @property
    def framework(self):
        return self.saved["framework"]

    @property
    def seed(self):
        return self.saved["seed"]

    def key(self, cross=False):
        drop = IGNORED + (PER_FRAMEWORK if cross else ())
        return {k: v for k, v in self.saved.items() if k not in drop}


def find(paths):
    """Every run folder (one holding hparams.json) under `paths`, sorted."""
    found = []
    for path in map(pathlib.Path, paths):
        if not path.exists():
            raise cli.UserError(f"{path} does not exist; pass a results root, row or run folder.")
        if (path / "hparams.json").is_file():
            found.append(path)
            continue
        for folder, subfolders, files in os.walk(path):
            if "hparams.json" in files:
                found.append(pathlib.Path(folder))
                subfolders[:] = []
            else:
                subfolders[:] = sorted(s for s in subfolders if not s.startswith("."))
    return sorted(set(found))


def read(folder):
    """The Run in `folder`: its hparams.json, row, state and steps."""
    try:
        saved = json.loads((folder / "hparams.json").read_text())
    except ValueError:
        raise cli.UserError(f"{folder}/hparams.json is not valid JSON.") from None
    missing = [k for k in ("model", "framework", "seed") if k not in saved]
    if missing:
        raise cli.UserError(
            f"{folder}/hparams.json has no {missing[0]}; it is not a run folder of this archive."
        )
    in_layout = folder.parent.name in row_table.FRAMEWORKS
    if in_layout and folder.parent.name != saved["framework"]:
        raise cli.UserError(
            f"{folder} sits in a {folder.parent.name} folder but holds a "
            f"{saved['framework']} run; move it to its framework's "
            "folder."
        )
    row = folder.parent.parent.name if in_layout else saved["model"]
    state, detail = planning.state_of(folder, saved["framework"])
    steps = None
    if state == "done":
        text = (folder / "checkpoints" / "finished").read_text().strip()
        steps = int(text) if text.isdigit() else None
    elif state == "stopped":
        detail = detail.removeprefix("exit 2: ").removeprefix("error: ")
    elif state == "interrupted":
        step = planning.checkpoint_step(folder, saved["framework"])
        detail = f"interrupted; its last checkpoint is after step {step}"
    return Run(folder, saved, row, state, detail, steps)


def switches(run):
    entries = machine_entries(run.folder)
    return sorted(entries[-1]["machine"].get("switches", [])) if entries else None


def machine_entries(folder):
    path = pathlib.Path(folder) / planning.MACHINE
    if not path.is_file():
        return []
    try:
        return json.loads(path.read_text())
    except ValueError:
        raise cli.UserError(f"{path} is not valid JSON.") from None


def event_host(folder):
    """The host a run's TensorBoard file names (TF and torch put it after the time)."""
    for path in sorted(pathlib.Path(folder).glob("events.out.tfevents.*")):
        rest = path.name[len("events.out.tfevents.") :].split(".", 1)
        if len(rest) == 2:
            return re.sub(r"\.\d+\.\d+$", "", rest[1])  # torch adds .<pid>.<count>
    return None


_LABELS = {}


def label_here(kernel_path):
    """This machine's label under `kernel_path`, measured in a child process (as run does)."""
    if kernel_path not in _LABELS:
        _LABELS[kernel_path] = planning.machine_records([kernel_path])[kernel_path][0]
    return _LABELS[kernel_path]


def machine_of(run, kernel_path):
    """(label, host, how it is known) of the machine a run came from."""
    entries = machine_entries(run.folder)
    if entries:
        labels = list(dict.fromkeys(e["label"] for e in entries))
        hosts = list(dict.fromkeys(e.get("host", "?") for e in entries))
        return " then ".join(labels), ", ".join(hosts), "machine.json"
    host = event_host(run.folder)
    if host == socket.gethostname():
        return label_here(kernel_path), host, "merge"
    return f"not recorded (host {host or 'unknown'})", host or "unknown", "none"


def finished_date(run):
    mark = {
        "done": run.folder / "checkpoints" / "finished",
        "stopped": run.folder / planning.STOPPED,
    }.get(run.state)
    if mark is None:
        return None
    stamp = datetime.datetime.fromtimestamp(mark.stat().st_mtime, datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%d")


def elapsed(run):
    """Wall seconds from hparams.json to the finished mark (interruptions included)."""
    if run.state != "done":
        return None
    end = (run.folder / "checkpoints" / "finished").stat().st_mtime
    return round(end - (run.folder / "hparams.json").stat().st_mtime)
