"""Time each model's own training loop, TF1 reference and PyTorch port taking turns in one process.

Source:
    The models' `train` functions (tf1_reference/<model>.py, ports/<model>.py): bench runs the
    loop a user runs, not a copy of it. Each side trains in a process of its own, as a user's
    run does, with hooks (harness/hooks.py) that time every step and hand the CPU to the next
    side after each block of steps, so the sides take turns (reference, port, port with
    --fused-adam, port with --fast, reference...) and never compute at the same time; a drift
    of the machine's speed falls on all alike.

Run:
    Imported by `python -m bench`; `python -m bench --help`.

Deviations:
    - None: a project tool with no original.

Why processes, not threads: GNU OpenMP (PyTorch's CPU threads) keeps one worker team per
calling thread, and once a process holds more OpenMP threads than the machine has cores it
stops spinning between parallel regions and puts its workers to sleep, so every parallel
region of every step pays a wake-up. Three port sides as threads of one process made the
vanilla GAN's port step 2x slower (4.6 against 2.3 ms on a 2-core AMD Zen 5) than a user's
own run of it. A side that waits for its turn blocks on a lock, and its threads sleep.

What a step's time holds: everything the loop does between two steps (its data, its draws,
its prints and pictures when they fall due), as in a user's run; the first step of every epoch
is left out of the figures, because it also carries the previous epoch's end (an evaluation, a
picture). The warm-up steps come first and are not timed; the block size is set from them.
Each side's set-up (graph, session, data) happens before its first step, one side at a time.
"""

import contextlib
import dataclasses
import importlib
import multiprocessing
import os
import queue
import tempfile
import time
import traceback

from harness import hooks, registry, run_folder

MAX_BLOCK_STEPS = 5000  # At most this many steps in one timed block (the toy steps take ~1 ms).


class Baton:
    """Whose turn it is among the sides; a side waits while it is not its turn.

    Shared by the sides' processes: made with a multiprocessing context (`context`), its state
    lives in shared memory and its condition is a cross-process lock.
    """

    def __init__(self, names, context=multiprocessing):
        self.order = list(names)
        self._turn = context.Value("i", -1, lock=False)  # Index into order; -1: nobody's.
        self._finished = context.Array("b", len(self.order), lock=False)
        self.condition = context.Condition()

    @property
    def turn(self):
        return None if self._turn.value < 0 else self.order[self._turn.value]

    @property
    def finished(self):
        return {n for n, done in zip(self.order, self._finished) if done}

    def wait(self, name):
        with self.condition:
            self.condition.wait_for(lambda: self.turn == name)

    def give(self, name):
        """Hand the turn from `name` to the next side that is still running."""
        with self.condition:
            i = self.order.index(name)
            ring = self.order[i + 1 :] + self.order[: i + 1]
            finished = self.finished
            following = next((n for n in ring if n not in finished), None)
            self._turn.value = -1 if following is None else self.order.index(following)
            self.condition.notify_all()

    def finish(self, name):
        with self.condition:
            self._finished[self.order.index(name)] = 1
            mine = self.turn == name
        if mine:
            self.give(name)


class TimedHooks(hooks.Hooks):
    """Hooks that time steps in blocks and pass the turn after each block (no checkpoints)."""

    def __init__(
        self,
        name,
        baton,
        ready,
        warmup,
        repeats,
        block_steps=None,
        block_seconds=0.25,
        max_block_steps=MAX_BLOCK_STEPS,
    ):
        super().__init__(on_nan="continue", progress=False)
        self.name, self.baton, self.ready = name, baton, ready
        self.warmup, self.repeats = warmup, repeats
        self.block_steps, self.block_seconds = block_steps, block_seconds
        self.max_block_steps = max_block_steps
        self.blocks = []  # (wall seconds, steps) of each timed block.
        self._last, self._block, self._skip, self._warm = None, [0.0, 0], False, []

    def attach(self, state, first_logged=0):
        self.ready.set()  # Set up: the next side may set itself up now.
        self.baton.wait(self.name)
        self._last = time.perf_counter()
        return super().attach(state, first_logged)

    def epochs(self, count, first=0, steps_per_epoch=None):
        for epoch in super().epochs(count, first, steps_per_epoch):
            self._skip = True  # This epoch's first step also carries the last epoch's end.
            yield epoch

    def step(self, where=None, **losses):
        now = time.perf_counter()
        elapsed, self._last = now - self._last, now
        self.done += 1
        if self._skip:
            self._skip = False
        elif self.done <= self.warmup:
            self._warm.append(elapsed)
        else:
            self._block[0] += elapsed
            self._block[1] += 1
        if self.done == self.warmup and self.block_steps is None:
            # The fastest warm-up step: the first ones also build kernels and may draw a grid,
            # which would make the blocks a step or two long, and a block's first steps after
            # the hand-over (cold caches, sleeping threads) would then weigh on its figure.
            per_step = min(self._warm, default=self.block_seconds)
            self.block_steps = int(
                min(self.max_block_steps, max(1, round(self.block_seconds / per_step)))
            )
        if self._block[1] and self._block[1] >= (self.block_steps or 1):
            self.blocks.append(tuple(self._block))
            self._block = [0.0, 0]
            if len(self.blocks) >= self.repeats:
                raise hooks.Stop(self.done)
            self.baton.give(self.name)
            self.baton.wait(self.name)
            self._last = time.perf_counter()

    def end(self):
        pass


@dataclasses.dataclass
class Side:
    """One side of a timing: a framework's `train`, with the port's --fused-adam or --fast."""

    name: str  # "reference", "port", "port_fused" or "port_fast".
    framework: str  # "tf1" or "pytorch".
    fused_adam: bool = False
    fast: bool = False


SIDES = (
    Side("reference", "tf1"),
    Side("port", "pytorch"),
    Side("port_fused", "pytorch", fused_adam=True),
    Side("port_fast", "pytorch", fast=True),
)


def full_run_steps(model):
    """Steps (one D and one G step) of the original's default run."""
    spec = registry.check(model)
    return spec.epochs * spec.steps_per_epoch if spec.unit == "epochs" else spec.epochs


def block_steps_limit(model, warmup, repeats):
    """The most steps a block may hold so that `repeats` blocks fit in the default run after
    the warm-up, each epoch's first (untimed) step left out: a fast CPU would otherwise ask a
    2,500-step toy run for more steps than it has."""
    spec = registry.check(model)
    epochs = spec.epochs if spec.unit == "epochs" else 0
    return max(1, min(MAX_BLOCK_STEPS, (full_run_steps(model) - warmup - epochs) // repeats - 1))


def _original_config(module):
    if hasattr(module, "original_config"):
        return module.original_config()
    return getattr(module, "ORIGINAL_CONFIG", None)


def with_threads(config, threads):
    """A copy of a session's ConfigProto (or of TF's defaults) with `threads` intra- and inter-op
    threads; `config` itself when `threads` is None."""
    if threads is None:
        return config
    import tensorflow as tf

    result = tf.compat.v1.ConfigProto()
    if config is not None:
        result.CopyFrom(config)
    result.intra_op_parallelism_threads = threads
    result.inter_op_parallelism_threads = threads
    return result


def train_side(model, side, seed, data_dir, run_hooks, folder, tf_threads=None):
    """The side's own `train` on the original's hyper-parameters, into a scratch run folder:
    everything bench needs of a model is its registry row and this call (`run_hooks` time it,
    or stop it after a few steps)."""
    module = registry.module(model, side.framework)
    hp = module.HParams()
    with run_folder.RunFolder(folder) as out:
        if side.framework == "tf1":
            from tf1_reference import backend

            config = with_threads(_original_config(module), tf_threads)
            run = backend.Run(out=out, seed=seed, data_dir=data_dir, config=config)
        else:
            from ports import backend

            run = backend.Run(
                out=out, seed=seed, data_dir=data_dir, fused_adam=side.fused_adam, fast=side.fast
            )
        module.train(hp, run, run_hooks)


def _side_process(
    model, side, seed, data_dir, timer, folder, torch_threads, tf_threads, results, release, failed
):
    """One side's process: set up, train in turns, put (name, blocks, block_steps, error), then
    wait for `release` before it ends, so that its teardown (the session's, the interpreter's)
    falls on no other side's timed block. An error sets `failed` before `timer.ready`, so a side
    that fails in its set-up is known before the next side starts setting up."""
    error = None
    try:
        import torch

        importlib.import_module("tf1_reference").setup()
        torch.set_num_threads(torch_threads)
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):  # Bench prints.
            train_side(model, side, seed, data_dir, timer, folder, tf_threads)
    except hooks.Stop:
        pass
    except BaseException as exception:  # noqa: BLE001  (reported to, and raised by, the caller)
        error = f"{type(exception).__name__}: {exception}\n{traceback.format_exc()}"
        failed.set()
    finally:
        timer.ready.set()
        results.put((side.name, timer.blocks, timer.block_steps, error))
        timer.baton.finish(side.name)
        release.wait()


def time_model(
    model,
    seed=0,
    data_dir=None,
    repeats=5,
    warmup=None,
    block_steps=None,
    block_seconds=0.25,
    sides=SIDES,
    torch_threads=1,
    tf_threads=None,
):
    """{side name: [ms per step of each block]} of the model's sides, taking turns, and
    {side name: steps per block}. Each side runs in a process of its own (module docstring);
    the port's run on `torch_threads` threads, the reference's session on `tf_threads` intra-
    and inter-op threads (None: the original's ConfigProto)."""
    warmup = 3 if warmup is None else warmup
    # Spawned, not forked: the caller holds TensorFlow's and OpenMP's threads, which a fork
    # would copy half-made.
    context = multiprocessing.get_context("spawn")
    baton = Baton([side.name for side in sides], context)
    results, release, failed = context.Queue(), context.Event(), context.Event()
    processes, outcome = [], {}
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        for side in sides:
            timer = TimedHooks(
                side.name,
                baton,
                context.Event(),
                warmup,
                repeats,
                block_steps,
                block_seconds,
                block_steps_limit(model, warmup, repeats),
            )
            process = context.Process(
                target=_side_process,
                args=(
                    model,
                    side,
                    seed,
                    data_dir,
                    timer,
                    f"{scratch}/{side.name}",
                    torch_threads,
                    tf_threads,
                    results,
                    release,
                    failed,
                ),
                name=f"bench-{side.name}",
                daemon=True,
            )
            process.start()
            processes.append(process)
            # One side sets itself up at a time, with nothing else running.
            while not timer.ready.wait(1.0):
                if not process.is_alive():
                    break
            if failed.is_set() or not process.is_alive():
                break  # A side that cannot set up ends the timing: the others never start.
        baton.give(sides[-1].name)  # The first side's turn.
        while len(outcome) < len(processes):
            try:
                name, blocks, steps, error = results.get(timeout=1.0)
            except queue.Empty:
                lost = [p for p in processes if p.exitcode is not None]
                lost = [p for p in lost if p.name.removeprefix("bench-") not in outcome]
                if not lost or not results.empty():
                    continue
                name, blocks, steps = lost[0].name.removeprefix("bench-"), [], None
                error = f"its process ended with exit code {lost[0].exitcode} and no report"
            outcome[name] = (blocks, steps, error)
            if error:  # One side's failure ends the timing: stop every side as it stands.
                for process in processes:
                    process.terminate()
                break
        if not any(error for _, _, error in outcome.values()):
            # Never after a terminate: a killed waiter would leave set() waiting for its reply.
            release.set()
        for process in processes:
            process.join()
    errors = {name: error for name, (_, _, error) in outcome.items() if error}
    if errors:
        name, error = next(iter(errors.items()))
        raise RuntimeError(f"{model}, side {name}, failed: {error}")
    short = [n for n, (blocks, _, _) in outcome.items() if len(blocks) < repeats]
    if short:
        raise RuntimeError(f"{model}: the {short[0]} run ended before {repeats} timed blocks.")
    return {
        name: [seconds / steps * 1e3 for seconds, steps in outcome[name][0]]
        for name in (side.name for side in sides)
    }, {name: outcome[name][1] for name in (side.name for side in sides)}
