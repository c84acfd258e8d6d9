"""Render every lesson with its real printed output into one markdown page per lesson.

Each `lessons/NN_topic.py` is a percent-format file: cells start at `# %%` lines and prose cells
at `# %% [markdown]` lines, whose lines are markdown behind `# `. The renderer runs the cells in
order, captures what each prints, and writes `lessons/NN_topic.md` (header, prose, code, output)
plus the index `lessons/README.md`. Running a lesson needs a process of the right kind:
`tf1_reference.setup()` switches the whole process to graph mode, so the lessons that call it
and stay there share one worker process; the lessons that never call it stay in TF2 (eager)
behaviour and share another, each starting with Keras's global state cleared; a lesson that
switches half-way (lesson 11, back to TF2) runs in a process of its own.

The pages must not change from run to run, so that a stale rendering can be detected: only
Python's stdout is captured (TensorFlow's C++ log lines go to stderr), memory addresses are
masked, and the lessons seed every number they print.

Run:
    python -m lessons.render           # rewrite lessons/*.md (about a minute on 2 cores)
    python -m lessons.render --check   # exit 1 when the committed pages differ from a fresh run
"""

import argparse
import contextlib
import dataclasses
import difflib
import io
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

from harness import cli  # One-sentence usage errors, exit status 2, as every command.

LESSONS_DIR = pathlib.Path(__file__).resolve().parent
ROOT = LESSONS_DIR.parent
INDEX = "README.md"
# A cell header line: `# %%`, optionally followed by a title or a `[markdown]` tag.
CELL = re.compile(r"^# %%(?P<rest>.*)$")
ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
GRAPH_MODE = re.compile(r"^tf1_reference\.setup\(\)", re.MULTILINE)  # TF1 for the process.
BACK_TO_TF2 = re.compile(r"^tf1\.enable_v2_behavior\(\)", re.MULTILINE)
WORKER_TIMEOUT_S = 600
# The course in lessons/README.md: the lessons in file order, under a heading at each part's
# first lesson.
PARTS = {
    1: "Part 1. Sharing variables in a TF1 graph",
    4: "Part 2. Scopes in a GAN's training code",
    6: "Part 3. What is left of scopes in eager TF2",
    7: "Part 4. Maintaining TF1 code: state, checkpoints, defaults",
    11: "Part 5. TF1 networks in TF2",
    12: "Part 6. Numbers and fixes: Adam's arithmetic, three fixes to write",
    14: "Part 7. Moving TF1 code to TF2: state, checkpoints, a migration step by step",
    16: "Part 8. A TF1 model of your own: run it, check its port, convert it",
}


@dataclasses.dataclass
class Cell:
    kind: str  # "header" (the module docstring), "markdown" or "code".
    source: str
    line: int  # The 1-based line of the file where the cell's body starts.


def lesson_paths(directory=LESSONS_DIR):
    """The lesson files, in lesson order: `NN_topic.py` with two leading digits."""
    return sorted(p for p in directory.glob("[0-9][0-9]_*.py"))


def parse(text):
    """Split a percent-format file into cells; the text before the first `# %%` is the header."""
    cells = []
    kind, body, start = "header", [], 1
    for number, line in enumerate(text.splitlines(), start=1):
        match = CELL.match(line)
        if match:
            cells.append(Cell(kind, "\n".join(body).strip("\n"), start))
            kind = "markdown" if "[markdown]" in match["rest"] else "code"
            body, start = [], number + 1
        else:
            body.append(line)
    cells.append(Cell(kind, "\n".join(body).strip("\n"), start))
    return [cell for cell in cells if cell.source or cell.kind == "header"]


def execute(path):
    """Run a lesson's cells in order in this process; return each code cell's printed output.

    A lesson that shares its process with others in TF2 behaviour starts with Keras's global
    state cleared (`tf.keras.backend.clear_session()`: layer-name counters, the graph), so that
    it prints what it prints when run alone."""
    path = pathlib.Path(path)
    if "tensorflow" in sys.modules and sys.modules["tensorflow"].executing_eagerly():
        sys.modules["tensorflow"].keras.backend.clear_session()
    cells = parse(path.read_text())
    namespace = {"__name__": "__main__", "__file__": str(path)}
    outputs = []
    for cell in cells:
        if cell.kind == "markdown":
            outputs.append("")
            continue
        # Pad with newlines so that a traceback points at the right line of the lesson file.
        code = compile("\n" * (cell.line - 1) + cell.source, str(path), "exec")
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(code, namespace)
        outputs.append(clean(buffer.getvalue()))
    return outputs


def clean(output):
    """Mask memory addresses and trailing blanks, the only parts of an output that can wander."""
    lines = [ADDRESS.sub("0x...", line).rstrip() for line in output.splitlines()]
    return "\n".join(lines).strip("\n")


def groups(paths):
    """Lessons that stay in TF1 behaviour (`tf1_reference.setup()`) share one process, the
    lessons that stay in TF2 behaviour share another, and each lesson that switches from one
    to the other gets its own."""
    texts = {p: p.read_text() for p in paths}
    graph = [p for p in paths if GRAPH_MODE.search(texts[p]) and not BACK_TO_TF2.search(texts[p])]
    eager = [p for p in paths if not GRAPH_MODE.search(texts[p])]
    switching = [[p] for p in paths if p not in graph and p not in eager]
    return [group for group in (graph, eager) if group] + switching


def run_all(paths=None):
    """Execute every lesson in worker processes (started together); return {name: outputs}."""
    paths = lesson_paths() if paths is None else [pathlib.Path(p) for p in paths]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONHASHSEED": "0"}
    with tempfile.TemporaryDirectory() as tmp:
        workers = []
        for number, group in enumerate(groups(paths)):
            result_file = pathlib.Path(tmp) / f"group_{number}.json"
            command = [sys.executable, "-m", "lessons.render", "--worker", str(result_file)]
            process = subprocess.Popen(
                command + [str(p) for p in group],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            workers.append((group, result_file, process))
        results = {}
        for group, result_file, process in workers:
            log, _ = process.communicate(timeout=WORKER_TIMEOUT_S)
            if process.returncode != 0:
                names = ", ".join(p.name for p in group)
                raise RuntimeError(f"lesson run failed ({names}):\n{log[-6000:]}")
            results.update(json.loads(result_file.read_text()))
    return results


def worker(result_file, paths):
    """The worker process: run the given lessons one after another and save their outputs."""
    results = {pathlib.Path(p).name: execute(p) for p in paths}
    pathlib.Path(result_file).write_text(json.dumps(results))


def page(path, outputs):
    """The markdown page of one lesson: its header, then each cell, code followed by its output."""
    cells = parse(pathlib.Path(path).read_text())
    parts = []
    for cell, output in zip(cells, outputs):
        if cell.kind == "header":
            doc = cell.source.strip().strip('"').strip()
            title, _, rest = doc.partition("\n")
            parts.append(
                f"# {title}\n\n*Rendered from `lessons/{pathlib.Path(path).name}` by "
                "`python -m lessons.render`; do not edit by hand.*\n\n"
                f"```text\n{rest.strip()}\n```"
            )
        elif cell.kind == "markdown":
            parts.append("\n".join(re.sub(r"^# ?", "", line) for line in cell.source.splitlines()))
        else:
            parts.append(f"```python\n{cell.source}\n```")
            if output:
                parts.append(f"Output:\n\n```text\n{output}\n```")
    return "\n\n".join(parts) + "\n"


def title_of(path):
    """The first line of a lesson's docstring."""
    return parse(pathlib.Path(path).read_text())[0].source.strip().strip('"').splitlines()[0]


def teaches(path):
    """What a lesson teaches, in one line: its title without the "Lesson N: " in front."""
    text = title_of(path).split(": ", 1)[-1]
    return text[:1].upper() + text[1:]


def index(paths):
    """lessons/README.md: the course, each lesson linked to its page with what it teaches."""
    lines = [
        "# Lessons: TF1 variable scopes, drawn from the archive's own models",
        "",
        "*Generated by `python -m lessons.render`; do not edit by hand.*",
        "",
        "Each lesson is a percent-format Python file (`# %%` cells) that runs top to bottom with",
        "`python lessons/<file>.py` and opens as a notebook in Jupyter or VS Code. Each page below",
        "shows the lesson with the output TensorFlow 2.21 really printed; the lesson's own",
        "asserts check what the page claims. Each lesson has exercises: predict what a few",
        "lines do, or write the fix for broken code, then unfold the worked solution, which",
        "the lesson runs and checks.",
        "",
        "Take them in order: each lesson uses what the earlier ones showed.",
    ]
    for path in paths:
        number = int(path.name[:2])
        if number in PARTS:
            lines += ["", f"## {PARTS[number]}", ""]
        lines.append(f"{number}. [{teaches(path)}]({path.stem}.md) (`{path.name}`)")
    return "\n".join(lines) + "\n"


def pages(results, paths=None):
    """{file name: text} for every page and the index, from the lessons' outputs."""
    paths = lesson_paths() if paths is None else paths
    rendered = {p.with_suffix(".md").name: page(p, results[p.name]) for p in paths}
    rendered[INDEX] = index(paths)
    return rendered


def stale(rendered, directory=LESSONS_DIR):
    """The differences between fresh pages and those on disk, as unified diffs (empty: none)."""
    diffs = []
    on_disk = {p.name for p in directory.glob("*.md")}
    for name in sorted(on_disk - set(rendered)):
        diffs.append(f"{name}: committed, but no lesson renders it\n")
    for name, text in sorted(rendered.items()):
        path = directory / name
        old = path.read_text() if path.exists() else ""
        if old != text:
            diff = difflib.unified_diff(
                old.splitlines(True), text.splitlines(True), f"committed/{name}", f"fresh/{name}"
            )
            diffs.append("".join(diff) or f"{name}: missing\n")
    return diffs


def main(argv=None):
    parser = cli.ArgumentParser(
        prog="python -m lessons.render", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when lessons/*.md differ from a fresh run"
    )
    parser.add_argument("--worker", nargs="+", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker[0], args.worker[1:])
        return 0
    rendered = pages(run_all())
    if args.check:
        diffs = stale(rendered)
        if diffs:
            print("".join(diffs)[-20000:])
            print("The rendered lessons are stale: run `python -m lessons.render` and commit.")
            return 1
        print(f"{len(rendered)} pages up to date.")
        return 0
    for name, text in rendered.items():
        (LESSONS_DIR / name).write_text(text)
    for path in LESSONS_DIR.glob("*.md"):
        if path.name not in rendered:
            path.unlink()
    print(f"wrote {len(rendered)} pages to {LESSONS_DIR.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    # A hidden --worker keeps its tracebacks: run_all shows them when a lesson fails.
    sys.exit(main() if "--worker" in sys.argv[1:] else cli.run(main))
