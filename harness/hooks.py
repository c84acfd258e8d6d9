"""What the archive adds to an original's training loop, plugged in at the loop's natural points.

A model's loop stays the original's (its iterator, its counters, its prints) and calls a `Hooks`
object at its natural places:

    for epoch in hooks.epochs(hp.epochs):         # or: for it in hooks.steps(hp.iterations)
        for batch in hooks.batches(the original's batches):
            ...the original's step...
            hooks.step(loss_D=loss_D, loss_G=loss_G)   # after every training step
        ...the original's prints...
    hooks.end()

`Hooks()` alone only stops a run at a NaN or infinite loss (`on_nan="continue"`: not even that).
`max_steps` ends a run after that many training steps in all, wherever it falls: `epochs()`,
`steps()` and `batches()` stop yielding there, and the loop finishes as at its own end (the
DCGAN's `--max-steps`; tests and tools that want a few steps). A command gives it a run folder,
and it adds:
- a progress bar on a terminal (plain lines in a log: none);
- checkpoints: every `every` steps, at the end and on Ctrl-C/SIGTERM, written by the framework's
  `state` (tf1_reference/backend.py, ports/backend.py) with the random generators (NumPy's and
  Python's global ones, and the framework's) and the state of every `track`ed object (an
  iterator or a display with `state()` / `set_state()`); Ctrl-C or SIGTERM only sets a flag,
  which the loop looks at at the next step boundary (a second Ctrl-C stops at once);
- `--resume`: the loop restarts at the checkpoint's epoch or step with everything restored, and
  prints and writes what the uninterrupted run would have, number for number on a CPU.

An epoch holds the original's running sums (an average loss, a list of losses) in plain local
variables, so a loop with epochs is checkpointed only at epoch boundaries: periodic checkpoints at
the first epoch end after every `every` steps, and a signal mid-epoch writes the state captured
when the epoch began (the run stops at once; a resume redoes that epoch's steps exactly). A loop
of steps (`steps()`) is checkpointed at any step.

Nothing here draws from a training generator or changes a number: tests/test_observers.py
trains every model with and without it.
"""

import contextlib
import signal
import sys

import tqdm

from harness import checkpoint_format, cli


class Stop(Exception):
    """Raised by a caller's own hooks to end a run at once (bench's timing, convert's capture)."""


class Interrupted(Exception):
    """Raised at a step boundary after SIGTERM/SIGINT, once the checkpoint is written."""

    def __init__(self, signum, step, path, command=None):
        self.signum, self.step, self.path, self.command = signum, step, path, command
        super().__init__(f"stopped by signal {signum} after step {step}; checkpoint {path}")


class Hooks:
    """The additions of one training run; see the module docstring.

    `out`: the run folder (None: no checkpoints, no signal handling). `every`: steps between
    checkpoints (0: only at the end and on a signal). `on_nan`: "stop" or "continue".
    `resumed`: the checkpoint being resumed (the framework's loader gives it), or None.
    `command`: the command line that resumes the run, for messages. `max_steps`: the run ends
    after that many training steps in all (None: where the loop ends).
    """

    def __init__(
        self,
        out=None,
        every=0,
        on_nan="stop",
        resumed=None,
        command=None,
        model=None,
        progress=True,
        max_steps=None,
    ):
        self.out, self.every, self.on_nan, self.resumed = out, every, on_nan, resumed
        self.command, self.model, self.max_steps = command, model, max_steps
        self.enabled = out is not None
        self.show_progress = progress
        self.state = None  # The framework's weights writer and reader, set by attach().
        self.initial = None  # {TF1 variable name: array} that replaces the initial weights.
        self.tracked = []
        self.appended = ()  # Files the loop appends to besides the log (cut back on resume).
        self.done = 0  # Steps done in this run, resumed ones included.
        self.signum = None
        self.last = None  # (step, path) of the last checkpoint written or resumed from.
        self._since = 0  # Steps since the last checkpoint.
        self._epoch_start = None  # What a signal mid-epoch writes (a loop with epochs).
        self._bar = None
        self._handlers = contextlib.ExitStack()
        if resumed is not None:
            self.done = resumed["step"]
            self.last = (resumed["step"], resumed.get("path"))

    # -- set-up, called by the model once its session or modules exist --------------------
    def track(self, *objects, appended=()):
        """Objects whose `state()` a checkpoint keeps and `set_state()` a resume puts back, and
        names of run-folder files the loop appends to (`out.append`), cut back on resume."""
        self.tracked.extend(objects)
        self.appended = tuple(self.appended) + tuple(appended)
        return self

    def attach(self, state, first_logged=0):
        """The framework's `state` writer; with --resume, restore weights, generators, tracked
        objects; start the signal handlers and the TensorBoard writer of a command's run.

        `first_logged`: the step number the loop logs for its first epoch or step (1 for a loop
        that counts epochs from 1), so that TensorBoard drops what an interrupted run logged
        after its checkpoint and nothing before it."""
        self.state = state
        if self.initial is not None and self.resumed is None:
            state.load_initial(self.initial)
        if self.resumed is not None:
            state.restore(self.resumed)
            checkpoint_format.set_numpy_states(self.resumed["rng"])
            state.set_rng(self.resumed["rng"])
            for thing, saved in zip(self.tracked, self.resumed["tracked"]):
                thing.set_state(saved)
        if self.enabled:
            self._handlers.enter_context(_signal_flag(self))
            resumed = self.resumed is not None
            state.attach_board(self.out, self.start + first_logged if resumed else None)
        return self

    @property
    def start(self):
        """The epoch or step the loop starts at: 0, or the resumed checkpoint's position."""
        return 0 if self.resumed is None else self.resumed["position"]

    # -- the loop's three calls -------------------------------------------------------------
    def epochs(self, count, first=0, steps_per_epoch=None):
        """`range(first, first + count)` from the resumed epoch on; checkpoints at epoch ends."""
        self._progress(count * steps_per_epoch if steps_per_epoch else None)
        for epoch in range(first + self.start, first + count):
            if self._limit_reached():
                return
            if self.enabled:
                self._epoch_start = self._capture(epoch - first)
            yield epoch
            self._epoch_start = None
            if self.enabled and (self.signum is not None or self._due()):
                self._save(self._capture(epoch - first + 1))
                self._stop_if_signalled()

    def steps(self, count):
        """`range(count)` from the resumed step on; a checkpoint may follow any step."""
        self._progress(count)
        for step in range(self.start, count):
            if self._limit_reached():
                return
            yield step
            if self.enabled and (self.signum is not None or self._due()):
                self._save(self._capture(step + 1))
                self._stop_if_signalled()

    def batches(self, batches):
        """The items of `batches` (an epoch's batches) until the run's `max_steps` is reached."""
        for batch in batches:
            if self._limit_reached():
                return
            yield batch

    def step(self, where=None, **losses):
        """After one training step: the NaN stop, the progress bar, and a signal mid-epoch."""
        self.done += 1
        self._since += 1
        if self.on_nan == "stop":
            for name, value in losses.items():
                if value is not None and not _finite(value):
                    raise cli.UserError(
                        f"{name} became {float(value)} at {where or f'step {self.done}'}, so the "
                        f"run stopped there; {self.last_good()} (lower the learning rates, change "
                        "--seed, or --on-nan continue to go on as the original did)."
                    )
        if self._bar is not None:
            self._bar.update()
        if self.signum is not None and self._epoch_start is not None:
            self._save(self._epoch_start)  # The run resumes at this epoch's start.
            self._stop_if_signalled()

    def end(self):
        """The last checkpoint and a `finished` mark beside it; the progress bar closes."""
        if self._bar is not None:
            self._bar.close()
        if self.enabled:
            if self.last is None or self.last[0] != self.done:
                self._save(self._capture(None))
            folder = self.out.path / checkpoint_format.FOLDER
            (folder / checkpoint_format.FINISHED).write_text(f"{self.done}\n")
        self._handlers.close()

    def close(self):
        """Restore the signal handlers (a run that ended by an exception)."""
        if self._bar is not None:
            self._bar.close()
        self._handlers.close()

    def last_good(self):
        if self.last is None:
            return "no checkpoint had been saved yet (see --checkpoint-every)"
        step, path = self.last
        hint = f"; continue with: {self.command}" if self.command else ""
        return f"the last good checkpoint is {path} (after step {step}{hint})"

    # -- checkpoints -------------------------------------------------------------------------
    def _limit_reached(self):
        return self.max_steps is not None and self.done >= self.max_steps

    def _due(self):
        return bool(self.every) and self._since >= self.every

    def _capture(self, position):
        """Everything a checkpoint holds, taken now (weights are copied by the framework)."""
        rng = dict(checkpoint_format.numpy_states(), **self.state.rng())
        return {
            "model": self.model,
            "format": checkpoint_format.FORMAT,
            "step": self.done,
            "position": position,
            "rng": rng,
            "tracked": [t.state() for t in self.tracked],
            "log_sizes": self.out.sizes(*self.appended),
            "weights": self.state.capture(),
        }

    def _save(self, captured):
        if self.out.board is not None:
            self.out.board.flush()
        path = self.state.write(self.out.path / checkpoint_format.FOLDER, captured)
        self.last = (captured["step"], path)
        self._since = 0
        return path

    def _stop_if_signalled(self):
        if self.signum is not None:
            step, path = self.last
            raise Interrupted(self.signum, step, path, self.command)

    def _progress(self, total):
        if total is not None and self.max_steps is not None:
            total = min(total, self.max_steps)
        if self.show_progress and self._bar is None:
            self._bar = tqdm.tqdm(
                total=total, initial=self.done if total else 0, disable=None, leave=False
            )


@contextlib.contextmanager
def _signal_flag(hooks):
    """While training: SIGTERM and the first SIGINT set a flag; a second Ctrl-C stops at once."""

    def handler(signum, frame):
        if hooks.signum is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        hooks.signum = signum

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def report_interrupt(error):
    """The stderr sentence for an `Interrupted` run; returns the exit status, 128 + signal."""
    name = signal.Signals(error.signum).name
    print(
        f"{name}: stopped after step {error.step} with a checkpoint at {error.path}; continue "
        f"with: {error.command}",
        file=sys.stderr,
    )
    return 128 + error.signum


def _finite(value):
    value = float(value)
    return value == value and value not in (float("inf"), float("-inf"))
