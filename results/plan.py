"""`plan` and `run`: the training commands of the results rows, and a local runner for them.

Each run is one ordinary training command with its own folder,
`<root>/<row>/<framework>/seed-<S>`, so any scheduler can spread them out: GNU parallel, a
SLURM job array, a shell loop. A folder's files say where its run stands:
- done: `checkpoints/finished` exists (the training loop writes it last);
- stopped: a `STOPPED` file holds why it ended for good (a NaN stop's sentence); `run` writes it
  when a started job exits with status 2;
- interrupted: it holds a checkpoint but neither of the above; its command is the same one with
  `--resume RUN_DIR` in place of `--out RUN_DIR`;
- lost: it started (log.txt) but holds no checkpoint, so it can neither resume nor start again
  in place;
- to run: no run has started there.
`run` writes `machine.json` in each folder it starts or resumes: the CPU, its kernel paths
(harness/cpu.py) and the host, which the merge names beside the figures.
"""

import concurrent.futures
import datetime
import json
import os
import pathlib
import re
import shlex
import socket
import subprocess
import sys
import threading
import time

from harness import checkpoints, cli, cpu, registry, run_folder

ROOT = pathlib.Path(__file__).resolve().parents[1]  # The repository: commands run from here.
DEFAULT_ROOT = pathlib.Path("runs") / "results"
STOPPED = "STOPPED"  # A run that ended for good; its text says why.
MACHINE = "machine.json"  # Written by `run`: where each start or resume of the run happened.
STDERR = "stderr.txt"  # `run` appends each job's stderr here (its stdout is log.txt already).
RUNNABLE = ("to run", "interrupted")


def folder_of(root, row, framework, seed):
    return pathlib.Path(root) / row.name / framework / f"seed-{seed}"


def command(row, framework, seed, folder, python="python", resume=False):
    """The run's training command as a list of words (under harness.cpu for another path)."""
    module = f"{registry.FRAMEWORKS[framework]}.{row.model}"
    where = ["--resume" if resume else "--out", str(folder)]
    words = [python, "-m", module, *row.args, "--seed", str(seed), *where]
    if row.cpu_path != "native":
        words = [python, "-m", "harness.cpu", "--path", row.cpu_path, "--", *words]
    return words


def checkpoint_step(folder, framework):
    """Steps done at the run's last checkpoint, or None when it holds none."""
    saved = pathlib.Path(folder) / checkpoints.FOLDER
    if framework == "tf1":
        state = saved / "checkpoint"
        if not state.is_file():
            return None
        found = re.search(r'model_checkpoint_path: ".*?-(\d+)"', state.read_text())
        return int(found.group(1)) if found else None
    if not (saved / "model.pt").is_file():
        return None
    import torch

    return int(torch.load(saved / "model.pt", map_location="cpu", weights_only=True)["step"])


def state_of(folder, framework):
    """(state, detail): one of done, stopped, interrupted, lost, to run (module docstring)."""
    folder = pathlib.Path(folder)
    if (folder / checkpoints.FOLDER / checkpoints.FINISHED).is_file():
        return "done", ""
    if (folder / STOPPED).is_file():
        return "stopped", (folder / STOPPED).read_text().strip()
    if not (folder / "log.txt").exists() and not (folder / "hparams.json").exists():
        return "to run", ""
    saved = folder / checkpoints.FOLDER
    if (saved / ("checkpoint" if framework == "tf1" else "model.pt")).is_file():
        return "interrupted", ""
    return "lost", "it started but saved no checkpoint; delete the folder to start it again"


class Job:
    """One run of the plan: its row, framework, seed, folder and state."""

    def __init__(self, row, framework, seed, root):
        self.row, self.framework, self.seed = row, framework, seed
        self.folder = folder_of(root, row, framework, seed)
        self.state, self.detail = state_of(self.folder, framework)

    def words(self, python="python"):
        resume = self.state == "interrupted"
        return command(self.row, self.framework, self.seed, self.folder, python, resume)

    def name(self):
        return f"{self.row.name} {self.framework} seed {self.seed}"


def jobs(rows, root):
    return [
        Job(row, framework, seed, root)
        for row in rows
        for seed in row.seeds
        for framework in ("tf1", "pytorch")
    ]


def plan(rows, root, python="python", status=False, out=None, err=None):
    """Print the commands of every run still to do (or, with status, every run's state) to
    `out` (default stdout), the counts to `err` (default stderr); returns the jobs."""
    out, err = out or sys.stdout, err or sys.stderr
    every = jobs(rows, root)
    for job in every:
        if status:
            print(
                f"{job.name()}: {job.state}"
                + (f" ({job.detail})" if job.detail else "")
                + f"  {job.folder}",
                file=out,
            )
        elif job.state in RUNNABLE:
            print(shlex.join(job.words(python)), file=out)
        elif job.state == "lost":
            print(f"# {job.folder}: {job.detail}", file=err)
    counts = {
        s: sum(j.state == s for j in every)
        for s in ("to run", "interrupted", "done", "stopped", "lost")
    }
    print(
        "plan: "
        + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        + ("" if status else "; done and stopped runs are skipped"),
        file=err,
    )
    return every


def machine_records(paths):
    """{kernel path: (label, describe())} measured in a child process with that path's
    environment, so TensorFlow's oneDNN state is what the training command will see."""
    snippet = (
        "import json; from harness import cpu; print(json.dumps([cpu.label(), cpu.describe()]))"
    )
    records = {}
    for path in sorted(set(paths)):
        env = {**os.environ, **cpu.PATHS[path]}
        out = subprocess.run(
            [sys.executable, "-c", snippet],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        records[path] = tuple(json.loads(out.strip().splitlines()[-1]))
    return records


def record_machine(job, label, machine):
    """Append this start (or resume) of the run to its machine.json."""
    path = job.folder / MACHINE
    entries = json.loads(path.read_text()) if path.is_file() else []
    entries.append(
        {
            "label": label,
            "machine": machine,
            "host": socket.gethostname(),
            "kernel_path": job.row.cpu_path,
            "state": job.state,
            "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "command": shlex.join(job.words()),
        }
    )
    run_folder.atomic_write(path, lambda p: p.write_text(json.dumps(entries, indent=1) + "\n"))


def execute(job, python=sys.executable):
    """Run one job to its end; returns (exit status, the last line it wrote to stderr)."""
    job.folder.mkdir(parents=True, exist_ok=True)
    words = [python if w == "python" else w for w in job.words()]
    with open(job.folder / STDERR, "a", encoding="utf-8") as err:
        err.write(f"$ {shlex.join(job.words())}\n")
        err.flush()
        status = subprocess.call(words, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
    lines = [x for x in (job.folder / STDERR).read_text().splitlines() if x.strip()]
    return status, (lines[-1].strip() if lines else "")


def run(rows, root, parallel=1, log=print):
    """Run every runnable job of the plan, `parallel` at a time; returns the exit status."""
    root = pathlib.Path(root).resolve()
    every = jobs(rows, root)
    todo = [job for job in every if job.state in RUNNABLE]
    skipped = len(every) - len(todo)
    log(
        f"run: {len(todo)} job(s), {parallel} at a time; {skipped} done, stopped or lost "
        f"(see python -m results plan --status)"
    )
    if not todo:
        return 0
    machines = machine_records(job.row.cpu_path for job in todo)
    stopping, lock, failed = threading.Event(), threading.Lock(), []

    def one(number, job):
        if stopping.is_set():
            return
        label, machine = machines[job.row.cpu_path]
        job.folder.mkdir(parents=True, exist_ok=True)
        record_machine(job, label, machine)
        how = "resumed" if job.state == "interrupted" else "started"
        with lock:
            log(f"[{number}/{len(todo)}] {job.name()}: {how}")
        began = time.time()
        status, last = execute(job)
        took = f"{time.time() - began:.0f} s"
        if status == 0:
            outcome = f"done in {took}"
        elif status == 2 and (job.folder / "hparams.json").is_file():
            (job.folder / STOPPED).write_text(f"exit 2: {last}\n")
            outcome, _ = f"stopped after {took} ({last}); wrote {STOPPED}", failed.append(job)
        else:
            outcome, _ = f"exit {status} after {took} ({last})", failed.append(job)
        with lock:
            log(f"[{number}/{len(todo)}] {job.name()}: {outcome}")

    with concurrent.futures.ThreadPoolExecutor(max_workers=parallel) as pool:
        futures = [pool.submit(one, n, job) for n, job in enumerate(todo, start=1)]
        try:
            for future in futures:
                future.result()
        except KeyboardInterrupt:
            stopping.set()  # The running jobs got the same Ctrl-C: they checkpoint and stop.
            log(
                "run: interrupted; the running jobs save a checkpoint and stop; "
                "python -m results plan prints their --resume commands."
            )
            return 130
    log(
        f"run: {len(todo) - len(failed)} of {len(todo)} job(s) finished"
        + (f"; not finished: {', '.join(j.name() for j in failed)}" if failed else "")
    )
    return 1 if failed else 0


def check_root(root):
    if pathlib.Path(root).exists() and not pathlib.Path(root).is_dir():
        raise cli.UserError(f"--root {root} is a file; pass a folder for the run folders.")
