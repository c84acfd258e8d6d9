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


def check_block(doc, begin, end, hint=""):
    """`doc`'s text; a UserError when it lacks the `begin` or `end` line of its generated block."""
    doc = pathlib.Path(doc)
    text = doc.read_text() if doc.is_file() else ""
    if begin not in text or end not in text:
        raise UserError(f"{doc} has no {begin} ... {end} block to fill{hint}.")
    return text


def replace_block(doc, begin, end, block, hint=""):
    """Rewrite `doc` (atomically) with the text between its `begin` and `end` lines replaced by
    `block`; everything outside them is kept. A doc without both markers is a UserError (`hint`
    says where they come from)."""
    text = check_block(doc, begin, end, hint)
    head, rest = text.split(begin, 1)
    new = f"{head}{begin}\n{block}\n{end}{rest.split(end, 1)[1]}"
    atomic_write(doc, lambda temporary: temporary.write_text(new))


class RunFolder:
    """One run's output folder; refuses a folder that already holds a run or cannot be written.

    `resume_sizes` (the bytes of each appended file, `sizes()`, saved with a checkpoint) reopens
    a run folder instead: each of those files is cut back to its size, then appended to.
    `board`, when set, is the run's TensorBoard writer (harness/board.py); `record`'s scalars,
    `scalars` and `image` go to it and do nothing without one.
    """

    def __init__(self, path, resume_sizes=None):
        self.path = pathlib.Path(path)
        self.board = None
        if resume_sizes is not None:
            for name, size in resume_sizes.items():
                if (self.path / name).exists():
                    with open(self.path / name, "r+b") as file:
                        file.truncate(size)
        elif (self.path / "log.txt").exists():
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
        self._appended = {}  # Other files written a line at a time (append()).

    def print(self, *args, sep=" ", end="\n"):
        """`print` to stdout, and the same text to log.txt."""
        text = sep.join(str(a) for a in args) + end
        print(text, end="", flush=True)
        self._log.write(text)
        self._log.flush()

    def record(self, step, /, scalars=(), prefix="", **values):
        """What a loop logs at `step`: `values` as one line of metrics.jsonl (in their order),
        and those of them named in `scalars` as TensorBoard scalars at `step`, tagged
        `prefix` + name (a None value has no point and is left out)."""
        self.metric(**values)
        chosen = {f"{prefix}{name}": values[name] for name in scalars if values[name] is not None}
        if chosen:
            self.scalars(step, **chosen)

    def metric(self, **record):
        """Append one JSON object to metrics.jsonl."""
        self._metrics.write(json.dumps(record, default=_jsonable) + "\n")
        self._metrics.flush()

    def append(self, name, text):
        """Append `text` (whole lines) to the run folder's file `name`, flushed at once; a
        checkpoint records its size like log.txt's (seed 004's loss.txt)."""
        if name not in self._appended:
            self._appended[name] = open(self.path / name, "a", encoding="utf-8")
        self._appended[name].write(text)
        self._appended[name].flush()

    def sizes(self, *others):
        """Bytes written so far to log.txt, metrics.jsonl and the appended files, and 0 for
        `others` not written yet (a checkpoint records them; a resume cuts each back)."""
        sizes = {"log.txt": self._log.tell(), "metrics.jsonl": self._metrics.tell()}
        sizes.update({name: 0 for name in others})
        sizes.update({name: file.tell() for name, file in self._appended.items()})
        return sizes

    def scalars(self, step, **values):
        """TensorBoard scalars at `step` (tag = name), when the run has a board."""
        if self.board is not None:
            self.board.scalars(step, **values)

    def image(self, tag, path, step):
        """A picture the run saved (a PNG file) as a TensorBoard image, when it has a board."""
        if self.board is not None:
            self.board.image(tag, path, step)

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
        return self.path / name

    def close(self):
        if self.board is not None:
            self.board.close()
        self._log.close()
        self._metrics.close()
        for file in self._appended.values():
            file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _jsonable(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
