"""Every command the documentation shows runs from a plain shell.

The commands are the lines starting with `python` in the fenced blocks of README.md and
docs/*.md, plus every `python lessons/...` quoted in their text (`make` targets are CI's own and
not collected). Each runs in a fresh process with a plain environment (PATH, HOME and
MNIST_DATA_DIR only: none of the variables this test process set, such as TF_USE_LEGACY_KERAS),
from the checkout's root, as a user's shell runs it, and must exit 0 without a traceback.

`TABLE` says, for each documented command, how it runs here, and must name every one: a command
added to the documentation fails this test until it is added to the table, so nothing documented
goes untested. `Run` runs it for real on a short budget; `Help` runs it with `--help` appended
(for what takes minutes even when cut short, or needs a run stopped part-way); `Same` marks a
line whose program another line runs with all its flags (`python -m X` beside `python -m X
--epochs 1`). Paths under `runs/` go to a temporary folder; a command that reads what another
wrote names that one in `after=`, and runs after it.
"""

import concurrent.futures
import dataclasses
import os
import pathlib
import re
import shlex
import subprocess
import sys
import time


ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGES = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
TIMEOUT = 120  # Seconds for one command; every budget below takes well under 20.


@dataclasses.dataclass(frozen=True)
class Run:
    """Run the command for real with `extra` appended: argparse keeps a flag's last value, so
    `--epochs 1` after a documented `--epochs 20` shortens the run. `after` names the documented
    command whose output this one reads; that one runs first, in the same folder."""

    extra: str = ""
    after: str | None = None


@dataclasses.dataclass(frozen=True)
class Help:
    """Run the command with `--help` appended: argparse reads the documented subcommand and every
    flag before it (a wrong subcommand, model or value fails) and exits before the work. `why`
    says why the command does not run for real here."""

    why: str


@dataclasses.dataclass(frozen=True)
class Same:
    """Not run twice: `by`, a `Run` of the same program (the same words before the first flag)
    that passes every flag this command passes, runs it on a short budget."""

    by: str


DCGAN = "python -m tf1_reference.mnist_dcgan train --out runs/dcgan"
DCGAN_PT = "python -m convert tf-to-torch mnist_dcgan runs/dcgan/models/gan.ckpt runs/dcgan.pt"
MINE = (
    "python -m tf1run --max-steps 20 --seed 0 --save runs/mine/model "
    "examples/mnist_gan_2017/gan_tf1.py --out runs/mine"
)
MINE_PT = (
    "python -m convert tf-to-torch --case examples/mnist_gan_2017/case.py:CASE runs/mine/model "
    "runs/mine.pt"
)
RING = "python -m tf1_reference.ring_gan --num-epochs 3201 --disp-freq 1000"
RING_PT = "python -m ports.ring_gan --num-epochs 10000 --out runs/ring-pt"
EPOCH = (
    "its shortest run is an epoch, 468 steps; tests/test_mnist_mlp_gan.py checks the model "
    "step by step and tests/test_checkpoints.py runs its loops"
)
RESUME = (
    "resumes a run stopped part-way, and a finished run is refused by design; "
    "tests/test_checkpoints.py stops runs with SIGTERM and resumes them"
)

# Every documented command, exactly as the pages show it (its trailing comment dropped).
TABLE = {
    # README.md, "Running one model".
    "python -m tf1_reference.gaussian_gan": Same("python -m tf1_reference.gaussian_gan --epochs 1"),
    "python -m tf1_reference.gaussian_gan --epochs 1": Run("--out runs/gaussian-tf1"),
    "python -m ports.gaussian_gan": Run("--epochs 1 --out runs/gaussian-pt"),
    "python -m ports.gaussian_gan --preset xyang35-pytorch": Run("--epochs 1 --out runs/xyang35"),
    "python -m ports.gaussian_gan --preset mxnet-gan-intro": Run("--epochs 1 --out runs/mxnet"),
    "python -m crosscheck gaussian_gan --dtype float64 --adam tf": Run("--steps 2"),
    "python -m tf1_reference.ring_gan": Same(RING),
    RING: Run("--num-epochs 2 --disp-freq 1 --out runs/ring-tf1"),
    "python -m ports.ring_gan --num-epochs 10000": Same(RING_PT),
    "python -m tf1_reference.mnist_vanilla_gan --iterations 2001": Run(
        "--iterations 2 --out runs/vanilla-tf1"
    ),
    "python -m ports.mnist_vanilla_gan --preset wiseodd-pytorch": Run(
        "--iterations 2 --out runs/vanilla-pt"
    ),
    "python -m ports.mnist_mlp_gan": Help(EPOCH),
    "python -m tf1_reference.mnist_mlp_gan --n-epoch 1": Help(EPOCH),
    DCGAN: Run("--epochs 1 --max-steps 2"),
    "python -m tf1_reference.mnist_dcgan train-d --restore runs/dcgan --out runs/dcgan-d": Run(
        "--max-steps 2", after=DCGAN
    ),
    "python -m tf1_reference.mnist_dcgan test --restore runs/dcgan-d --out runs/dcgan-test": Run(
        "--test-size 10",
        after="python -m tf1_reference.mnist_dcgan train-d --restore runs/dcgan --out runs/dcgan-d",
    ),
    "python -m tf1_reference.mnist_dcgan train --epochs 1 --max-steps 20": Same(DCGAN),
    "python -m ports.mnist_dcgan train --out runs/dcgan-pt": Run("--epochs 1 --max-steps 2"),
    "python -m crosscheck mnist_dcgan --dtype float64 --adam tf": Help(
        "even one step takes ~20 s of CPU (the float64 and float32 graphs, MNIST); "
        "tests/test_mnist_dcgan.py checks two steps, and crosscheck gaussian_gan runs here"
    ),
    # docs/conversion.md: the DCGAN run above, converted.
    DCGAN_PT: Run(after=DCGAN),
    "python -m convert torch-to-tf mnist_dcgan runs/dcgan.pt runs/dcgan-tf/gan.ckpt": Run(
        after=DCGAN_PT
    ),
    "python -m convert inspect runs/dcgan/models/gan.ckpt": Run(after=DCGAN),
    "python -m convert tf-to-torch mnist_dcgan runs/dcgan runs/dcgan-weights.pt --weights-only": (
        Run(after=DCGAN)
    ),
    "python -m convert torch-to-tf mnist_dcgan runs/dcgan.pt runs/dcgan-weights/gan.ckpt "
    "--weights-only": Run(after=DCGAN_PT),
    # docs/conversion.md, "A checkpoint of your own model": the worked example, by tf1run.
    MINE: Run(),
    "python -m tf1run --max-steps 200 --seed 0 --save runs/mine/model "
    "examples/mnist_gan_2017/gan_tf1.py --out runs/mine": Same(MINE),
    "python -m crosscheck --case examples/mnist_gan_2017/case.py:CASE --dtype float64 --adam tf "
    "--steps 5": Run("--steps 2"),
    "python -m convert inspect runs/mine/model": Run(after=MINE),
    MINE_PT: Run(after=MINE),
    "python -m convert torch-to-tf --case examples/mnist_gan_2017/case.py:CASE runs/mine.pt "
    "runs/mine-tf/model": Run(after=MINE_PT),
    # docs/tf1run.md: each stops itself (--max-steps), in about 5 s.
    "python -m tf1run --help": Run(),
    "python -m tf1run --max-steps 20 --save runs/tf1run/gan/model --seed 1 "
    "tf1run/examples/mnist_gan_2017.py --print-every 5 --out runs/tf1run/gan": Run(),
    "python -m tf1run --max-steps 2002 --seed 0 tf1run/examples/gaussian_gan_2016.py "
    "--logdir runs/tf1run/logs": Run(),
    "python -m tf1run --max-steps 6 --save runs/tf1run/dcgan/model "
    "tf1run/examples/contrib_dcgan_2017.py": Run(),
    # docs/runs.md.
    RING_PT: Run("--num-epochs 2"),
    "python -m ports.ring_gan --resume runs/ring-pt": Help(RESUME),
    "python -m tf1_reference.mnist_dcgan train --resume runs/dcgan": Help(RESUME),
    # README.md's text.
    "python lessons/02_reuse.py": Run(),
}


def documented_commands(root=ROOT, pages=PAGES):
    """{command: the first page that shows it}, in the order of the pages."""
    found = {}
    for page in pages:
        text = (root / page).read_text()
        lines = []
        for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M):
            lines += [line.split("#")[0] for line in block.splitlines()]
        lines += re.findall(r"`(python3? lessons/[^`]+)`", text)
        for line in lines:
            command = " ".join(line.split())
            if re.match(r"python3? ", command) and command not in found:
                found[command] = page
    return found


def problems(documented, table):
    """What keeps `table` from being the reviewed list of the `documented` commands."""
    found = []
    missing = [f"{c!r} ({page})" for c, page in documented.items() if c not in table]
    if missing:
        found.append(
            "documented commands that tests/test_documented_commands.py does not run; add each "
            "to TABLE there, as Run(short-budget flags), Help(why not) or Same(the line that "
            "runs it): " + "; ".join(missing)
        )
    stale = [c for c in table if c not in documented]
    if stale:
        found.append(f"TABLE names commands that no page shows any more; remove them: {stale}")
    for command, how in table.items():
        if (
            isinstance(how, Run)
            and how.after is not None
            and not isinstance(table.get(how.after), Run)
        ):
            found.append(f"{command!r} runs after {how.after!r}, which is no Run of the table")
        if isinstance(how, Same):
            if not isinstance(table.get(how.by), Run):
                found.append(f"{command!r} is run by {how.by!r}, which is no Run of the table")
                continue
            ours = shlex.split(command)
            theirs = shlex.split(how.by) + shlex.split(table[how.by].extra)
            if _program(ours) != _program(theirs) or not _flags(ours) <= _flags(theirs):
                found.append(f"{command!r} is not the program {how.by!r} runs, with its flags")
    return found


def test_every_documented_command_is_in_the_table():
    assert not problems(documented_commands(), TABLE), "\n".join(
        problems(documented_commands(), TABLE)
    )


def test_a_newly_documented_command_fails_until_the_table_has_it(tmp_path):
    (tmp_path / "page.md").write_text(
        "Run `python lessons/01_sharing_variables.py` first.\n\n```\nmake demo\n"
        "python -m tf1run examples/dcgan.py --max-steps 6   # a new tool\n```\n"
    )
    documented = documented_commands(tmp_path, ["page.md"])
    assert list(documented) == [
        "python -m tf1run examples/dcgan.py --max-steps 6",
        "python lessons/01_sharing_variables.py",
    ]
    (message,) = problems(documented, {"python lessons/01_sharing_variables.py": Run()})
    assert "'python -m tf1run examples/dcgan.py --max-steps 6' (page.md)" in message
    assert "add each to TABLE there" in message
    same = {
        "python -m ports.x --epochs 9 --fast": Same("python -m ports.x"),
        "python -m ports.x": Run(),
    }
    assert problems(dict.fromkeys(same, "p"), same) == [
        "'python -m ports.x --epochs 9 --fast' is not the program 'python -m ports.x' runs, "
        "with its flags"
    ]


def _program(words):
    """The words before the first flag: python -m MODULE [SUBCOMMAND ...]."""
    return words[: next((i for i, w in enumerate(words) if w.startswith("-") and i > 1), None)]


def _flags(words):
    return {w.split("=")[0] for w in words[2:] if w.startswith("--")}


def argv(command, how, folder):
    """The command's argv here: `python` is this interpreter, runs/... lies in `folder`."""
    words = shlex.split(command) + (shlex.split(how.extra) if isinstance(how, Run) else ["--help"])
    words = [str(folder / w) if w.startswith("runs/") else w for w in words]
    return [sys.executable, *words[1:]]  # The first word is python (or python3).


def plain_environment(mnist_dir):
    return {
        "PATH": f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.defpath}",
        "HOME": os.path.expanduser("~"),
        "MNIST_DATA_DIR": str(mnist_dir),
    }


def run_one(command, folder, env):
    """(seconds, a failure's description or None) of one documented command."""
    how = TABLE[command]
    start = time.monotonic()
    try:
        result = subprocess.run(
            argv(command, how, folder),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return time.monotonic() - start, f"{command}: still running after {TIMEOUT} s"
    seconds = time.monotonic() - start
    output = result.stdout + result.stderr
    if result.returncode != 0 or "Traceback" in output:
        return seconds, f"{command} (exit {result.returncode}):\n{output[-3000:]}"
    if isinstance(how, Help) and "usage:" not in result.stdout:
        return seconds, f"{command} --help printed no usage:\n{output[-1000:]}"
    return seconds, None


def _descendants(command):
    children = [c for c, how in TABLE.items() if isinstance(how, Run) and how.after == command]
    return len(children) + sum(_descendants(c) for c in children)


def test_every_documented_command_runs_from_a_plain_shell(tmp_path, mnist_dir):
    """Two at a time, the longest chains first; a command waits for the one it reads."""
    env, commands = plain_environment(mnist_dir), list(documented_commands())
    commands = sorted(
        (c for c in commands if c in TABLE and not isinstance(TABLE[c], Same)),
        key=lambda c: -_descendants(c),
    )
    runs = ROOT / "runs"
    before = set(runs.glob("*/*/*")) if runs.is_dir() else set()
    failures, seconds, done = {}, {}, set()
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        running = {}
        while commands or running:
            for command in list(commands):
                after = getattr(TABLE[command], "after", None)
                if len(running) == 2 or (after is not None and after not in done):
                    continue
                commands.remove(command)
                if after in failures:
                    failures[command] = f"{command}: not run, {after!r} failed"
                    done.add(command)
                    continue
                running[pool.submit(run_one, command, tmp_path, env)] = command
            if not running:
                continue
            finished, _ = concurrent.futures.wait(
                running, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in finished:
                command = running.pop(future)
                seconds[command], failure = future.result()
                if failure:
                    failures[command] = failure
                done.add(command)
    timing = ", ".join(f"{s:.0f} s {c}" for c, s in sorted(seconds.items(), key=lambda x: -x[1]))
    print(f"documented commands, {sum(seconds.values()):.0f} s of runs: {timing}")
    assert not failures, "\n\n".join(failures.values())
    after = set(runs.glob("*/*/*")) if runs.is_dir() else set()
    assert after == before, f"a command wrote into the checkout's runs/: {sorted(after - before)}"
