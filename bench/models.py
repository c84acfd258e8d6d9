"""Time each model's own training loop, TF1 reference and PyTorch port taking turns in one process.

Source:
    The models' `train` functions (tf1_reference/<model>.py, ports/<model>.py): bench runs the
    loop a user runs, not a copy of it. Each side trains in a thread of its own with hooks
    (harness/hooks.py) that time every step and hand the CPU to the next side after each block
    of steps, so the sides take turns (reference, port, port with --fused-adam, port with
    --fast, reference...) and never compute at the same time; a drift of the machine's speed
    falls on all alike.

Run:
    Imported by `python -m bench`; `python -m bench --help`.

Deviations:
    - None: a project tool with no original.

What a step's time holds: everything the loop does between two steps (its data, its draws,
its prints and pictures when they fall due), as in a user's run; the first step of every epoch
is left out of the figures, because it also carries the previous epoch's end (an evaluation, a
picture). The warm-up steps come first and are not timed; the block size is set from them.
Each side's set-up (graph, session, data) happens before its first step, one side at a time.
"""

import contextlib
import dataclasses
import importlib
import os
import tempfile
import threading
import time

from harness import hooks, registry, run_folder

MAX_BLOCK_STEPS = 5000  # At most this many steps in one timed block (the toy steps take ~1 ms).


class Baton:
    """Whose turn it is among the sides; a side waits while it is not its turn."""

    def __init__(self, names):
        self.order, self.turn = list(names), None
        self.finished = set()
        self.condition = threading.Condition()

    def wait(self, name):
        with self.condition:
            self.condition.wait_for(lambda: self.turn == name)

    def give(self, name):
        """Hand the turn from `name` to the next side that is still running."""
        with self.condition:
            ring = (
                self.order[self.order.index(name) + 1 :] + self.order[: self.order.index(name) + 1]
            )
            self.turn = next((n for n in ring if n not in self.finished), None)
            self.condition.notify_all()

    def finish(self, name):
        with self.condition:
            self.finished.add(name)
        if self.turn == name:
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
        self._last, self._block, self._skip, self._warm = None, [0.0, 0], False, None

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
            self._warm = (self._warm or 0.0) + elapsed
        else:
            self._block[0] += elapsed
            self._block[1] += 1
        if self.done == self.warmup and self.block_steps is None:
            per_step = (self._warm or self.block_seconds) / max(1, self.warmup)
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
    spec = registry.MODELS[model]
    return spec.epochs * spec.steps_per_epoch if spec.unit == "epochs" else spec.epochs


def block_steps_limit(model, warmup, repeats):
    """The most steps a block may hold so that `repeats` blocks fit in the default run after
    the warm-up, each epoch's first (untimed) step left out: a fast CPU would otherwise ask a
    2,500-step toy run for more steps than it has."""
    spec = registry.MODELS[model]
    epochs = spec.epochs if spec.unit == "epochs" else 0
    return max(1, min(MAX_BLOCK_STEPS, (full_run_steps(model) - warmup - epochs) // repeats - 1))


def _original_config(module):
    if hasattr(module, "original_config"):
        return module.original_config()
    return getattr(module, "ORIGINAL_CONFIG", None)


def _train(model, side, seed, data_dir, run_hooks, folder, tf_config):
    """The side's own `train` on the original's hyper-parameters, into a scratch run folder."""
    module = registry.module(model, side.framework)
    hp = module.HParams()
    extra = {"data_dir": data_dir} if registry.MODELS[model].mnist else {}
    with run_folder.RunFolder(folder) as out:
        if side.framework == "tf1":
            config = tf_config(_original_config(module))
            module.train(hp, out, seed, config=config, hooks=run_hooks, **extra)
        else:
            module.train(
                hp,
                out,
                seed,
                "cpu",
                hooks=run_hooks,
                fused_adam=side.fused_adam,
                fast=side.fast,
                **extra,
            )


def time_model(
    model,
    seed=0,
    data_dir=None,
    repeats=5,
    warmup=None,
    block_steps=None,
    block_seconds=0.25,
    sides=SIDES,
    tf_config=lambda config: config,
):
    """{side name: [ms per step of each block]} of the model's sides, taking turns."""
    importlib.import_module("tf1_reference").setup()
    warmup = 3 if warmup is None else warmup
    baton = Baton([side.name for side in sides])
    timers, threads, errors = {}, [], {}
    with (
        tempfile.TemporaryDirectory(prefix="bench-") as scratch,
        open(os.devnull, "w") as quiet,
        contextlib.redirect_stdout(quiet),
    ):  # The loops' own prints; bench prints a table.
        for side in sides:
            ready = threading.Event()
            timers[side.name] = TimedHooks(
                side.name,
                baton,
                ready,
                warmup,
                repeats,
                block_steps,
                block_seconds,
                block_steps_limit(model, warmup, repeats),
            )

            def target(side=side):
                try:
                    _train(
                        model,
                        side,
                        seed,
                        data_dir,
                        timers[side.name],
                        f"{scratch}/{side.name}",
                        tf_config,
                    )
                except hooks.Stop:
                    pass
                except BaseException as error:  # noqa: BLE001  (re-raised in the caller)
                    errors[side.name] = error
                finally:
                    timers[side.name].ready.set()
                    baton.finish(side.name)

            thread = threading.Thread(target=target, name=f"bench-{side.name}", daemon=True)
            thread.start()
            ready.wait()  # One side sets itself up at a time, with nothing else running.
            threads.append(thread)
        baton.give(sides[-1].name)  # The first side's turn.
        for thread in threads:
            thread.join()
    if errors:
        name, error = next(iter(errors.items()))
        raise error
    short = [n for n, t in timers.items() if len(t.blocks) < repeats]
    if short:
        raise RuntimeError(f"{model}: the {short[0]} run ended before {repeats} timed blocks.")
    return {
        name: [seconds / steps * 1e3 for seconds, steps in t.blocks] for name, t in timers.items()
    }, {n: t.block_steps for n, t in timers.items()}
