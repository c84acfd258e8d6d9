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
A paired row (results/rows.py) first writes each seed's initial weights,
`<root>/<row>/init/seed-<S>.npz`, with `python -m convert initial` (the TF1 reference's own
draws at that seed); both training commands of that seed then start from the file
(`--init-weights`). The plan prints that step before the two runs while the file is missing and
one of them is still to run; a resumed run needs no file, as its checkpoint holds its weights.
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

from harness import checkpoint_format, cli, cpu, registry, run_folder

ROOT = pathlib.Path(__file__).resolve().parents[1]  # The repository: commands run from here.
DEFAULT_ROOT = pathlib.Path("runs") / "results"
STOPPED = "STOPPED"  # A run that ended for good; its text says why.
MACHINE = "machine.json"  # Written by `run`: where each start or resume of the run happened.
STDERR = "stderr.txt"  # `run` appends each job's stderr here (its stdout is log.txt already).
RUNNABLE = ("to run", "interrupted")
INIT = "init"  # A paired row's folder of initial weights, one seed-<S>.npz per seed.
# Every state, in the order the plan counts them ("not needed": an initial-weights file whose
# runs have all started, so that no command reads it any more).
STATES = ("to run", "interrupted", "done", "stopped", "lost", "not needed")


def folder_of(root, row, framework, seed):
    return pathlib.Path(root) / row.name / framework / f"seed-{seed}"


def init_file(root, row, seed):
    """Where a paired row keeps the initial weights both frameworks start `seed` from."""
    return pathlib.Path(root) / row.name / INIT / f"seed-{seed}.npz"


def _under_path(row, words, python):
    if row.cpu_path == "native":
        return words
    return [python, "-m", "harness.cpu", "--path", row.cpu_path, "--", *words]


def command(row, framework, seed, folder, python="python", resume=False, init=None):
    """The run's training command as a list of words (under harness.cpu for another path),
    starting from the weights in the file `init` unless it resumes."""
    module = registry.module_name(row.model, framework)
    where = ["--resume" if resume else "--out", str(folder)]
    start = ["--init-weights", str(init)] if init is not None and not resume else []
    words = [python, "-m", module, *row.args, "--seed", str(seed), *start, *where]
    return _under_path(row, words, python)


def init_command(row, seed, path, python="python"):
    """The command writing the TF1 reference's initial weights at `seed` to `path`."""
    words = [python, "-m", "convert", "initial", row.model, "--seed", str(seed), str(path)]
    return _under_path(row, words, python)


def checkpoint_step(folder, framework):
    """Steps done at the run's last checkpoint, or None when it holds none."""
    saved = pathlib.Path(folder) / checkpoint_format.FOLDER
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
    if (folder / checkpoint_format.FOLDER / checkpoint_format.FINISHED).is_file():
        return "done", ""
    if (folder / STOPPED).is_file():
        return "stopped", (folder / STOPPED).read_text().strip()
    if not (folder / "log.txt").exists() and not (folder / "hparams.json").exists():
        return "to run", ""
    saved = folder / checkpoint_format.FOLDER
    if (saved / ("checkpoint" if framework == "tf1" else "model.pt")).is_file():
        return "interrupted", ""
    return "lost", "it started but saved no checkpoint; delete the folder to start it again"


class Job:
    """One run of the plan: its row, framework, seed, folder and state; `init` is the InitJob
    whose file it starts from (a paired row) or None."""

    def __init__(self, row, framework, seed, root, init=None):
        self.row, self.framework, self.seed, self.init = row, framework, seed, init
        self.folder = folder_of(root, row, framework, seed)
        self.state, self.detail = state_of(self.folder, framework)

    def words(self, python="python"):
        resume = self.state == "interrupted"
        init = self.init.path if self.init else None
        return command(self.row, self.framework, self.seed, self.folder, python, resume, init)

    def name(self):
        return f"{self.row.name} {self.framework} seed {self.seed}"


class InitJob:
    """A paired row's first step at one seed: the reference's initial weights to a file. It is
    done when the file exists, to run while one of the seed's runs still has to start."""

    framework = INIT

    def __init__(self, row, seed, root, runs_to_start):
        self.row, self.seed, self.init = row, seed, None
        self.path = init_file(root, row, seed)
        self.folder = self.path.parent
        self.detail = ""
        if self.path.is_file():
            self.state = "done"
        elif runs_to_start:
            self.state = "to run"
        else:
            self.state, self.detail = "not needed", "its runs have started without it"

    def words(self, python="python"):
        return init_command(self.row, self.seed, self.path, python)

    def name(self):
        return f"{self.row.name} initial weights seed {self.seed}"


def jobs(rows, root):
    """The plan's jobs in order: per row and seed, a paired row's InitJob, then the two runs."""
    every = []
    for row in rows:
        for seed in row.seeds:
            runs = [Job(row, framework, seed, root) for framework in row.frameworks]
            if row.paired:
                init = InitJob(row, seed, root, any(r.state == "to run" for r in runs))
                for run in runs:
                    run.init = init
                every.append(init)
            every += runs
    return every


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
                + f"  {getattr(job, 'path', job.folder)}",
                file=out,
            )
        elif job.state in RUNNABLE:
            print(shlex.join(job.words(python)), file=out)
        elif job.state == "lost":
            print(f"# {job.folder}: {job.detail}", file=err)

    def counted(kind):
        counts = {s: sum(j.state == s for j in every if isinstance(j, kind)) for s in STATES}
        return ", ".join(f"{n} {s}" for s, n in counts.items() if n)

    inits = counted(InitJob)
    print(
        "plan: "
        + counted(Job)
        + (f"; initial weights: {inits}" if inits else "")
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
    """Run one job to its end; returns (exit status, the last line it wrote to stderr).

    A run's stderr goes to its folder's stderr.txt; an InitJob's to stderr.txt beside the
    initial weights."""
    job.folder.mkdir(parents=True, exist_ok=True)
    words = [python if w == "python" else w for w in job.words()]
    log = job.folder / STDERR
    with open(log, "a", encoding="utf-8") as err:
        err.write(f"$ {shlex.join(job.words())}\n")
        err.flush()
        status = subprocess.call(words, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
    lines = [x for x in log.read_text().splitlines() if x.strip()]
    return status, (lines[-1].strip() if lines else "")


def run(rows, root, parallel=1, log=print):
    """Run every runnable job of the plan, `parallel` at a time; returns the exit status."""
    root = pathlib.Path(root).resolve()
    every = jobs(rows, root)
    todo = [job for job in every if job.state in RUNNABLE]
    skipped = len(every) - len(todo)
    log(
        f"run: {len(todo)} job(s), {parallel} at a time; {skipped} done, stopped, lost or not "
        "needed (see python -m results plan --status)"
    )
    if not todo:
        return 0
    machines = machine_records(job.row.cpu_path for job in todo)
    stopping, lock, failed = threading.Event(), threading.Lock(), []
    # A paired row's runs wait for the initial weights this `run` writes (with --jobs N the
    # pool may start them while their InitJob, submitted first, still runs).
    written = {id(job): threading.Event() for job in todo if isinstance(job, InitJob)}

    def one(number, job):
        try:
            start(number, job)
        finally:
            if id(job) in written:
                written[id(job)].set()

    def start(number, job):
        if stopping.is_set():
            return
        if job.init is not None and id(job.init) in written and job.state == "to run":
            written[id(job.init)].wait()
            if not job.init.path.is_file():
                failed.append(job)
                with lock:
                    log(
                        f"[{number}/{len(todo)}] {job.name()}: not started, as its initial "
                        f"weights were not written (see {job.init.folder / STDERR})"
                    )
                return
        label, machine = machines[job.row.cpu_path]
        job.folder.mkdir(parents=True, exist_ok=True)
        if not isinstance(job, InitJob):
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
