"""The folder every run writes: log.txt, metrics.jsonl, hparams.json and its pictures.

Files are written under a temporary name and renamed, so an interrupted run never leaves a
half-written picture or JSON file; log.txt and metrics.jsonl grow one whole line at a time.
"""

import dataclasses
import datetime
import json
import os
import pathlib

from harness.cli import UserError


def default_path(model, framework):
    """`runs/<model>/<framework>/<UTC timestamp>`, relative to the working directory."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    return pathlib.Path("runs") / model / framework / stamp


def atomic_write(path, write):
    """Call `write(temporary_path)`, then rename the result onto `path`."""
    path = pathlib.Path(path)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


class RunFolder:
    """One run's output folder; refuses a folder that already holds a run or cannot be written."""

    def __init__(self, path):
        self.path = pathlib.Path(path)
        if (self.path / "log.txt").exists():
            raise UserError(
                f"output folder {self.path} already holds a run (log.txt); "
                "choose another --out so nothing is overwritten."
            )
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            probe = self.path / ".write-probe"
            probe.write_text("")
            probe.unlink()
        except OSError as error:
            raise UserError(
                f"cannot write to output folder {self.path} ({error.strerror}); "
                "pass a writable folder with --out."
            ) from None
        self._log = open(self.path / "log.txt", "a", encoding="utf-8")
        self._metrics = open(self.path / "metrics.jsonl", "a", encoding="utf-8")

    def print(self, *args, sep=" ", end="\n"):
        """`print` to stdout, and the same text to log.txt."""
        text = sep.join(str(a) for a in args) + end
        print(text, end="", flush=True)
        self._log.write(text)
        self._log.flush()

    def metric(self, **record):
        """Append one JSON object to metrics.jsonl."""
        self._metrics.write(json.dumps(record, default=_jsonable) + "\n")
        self._metrics.flush()

    def write_json(self, name, value):
        atomic_write(
            self.path / name,
            lambda p: p.write_text(json.dumps(value, indent=2, default=_jsonable) + "\n"),
        )

    def save_hparams(self, hparams, **extra):
        self.write_json("hparams.json", {**dataclasses.asdict(hparams), **extra})

    def save_figure(self, figure, name, **savefig_kwargs):
        """Save a matplotlib Figure as `name` (its suffix picks the format)."""
        suffix = pathlib.Path(name).suffix.lstrip(".")
        atomic_write(self.path / name, lambda p: figure.savefig(p, format=suffix, **savefig_kwargs))

    def close(self):
        self._log.close()
        self._metrics.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _jsonable(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
