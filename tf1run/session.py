"""tf1run's tf.Session and tf.Graph: session config, --max-steps, --save and --seed.

- Every session the script makes gets the `--device` config (tf1_reference/session.py; with
  `--device original` the script's own ConfigProto, or none).
- A training step is a `Session.run` whose fetches reach an op that an optimizer's update
  made (Apply*, ResourceApply*, SparseApply*, ResourceSparseApply*), through inputs and control
  inputs; a D step and a G step are two. With `--max-steps N`, the run that would be step N + 1
  raises `StopRun` instead, so the script has printed what it prints after step N.
- With `--save PREFIX`, every global variable of the session's graph is saved with a
  tf.compat.v1.train.Saver when a session that has run since the last save closes, when the
  run stops at --max-steps, and when the script ends (from the live session that ran last). A
  session whose variables are not all initialised is skipped, with a line saying so.
- With `--seed S`, each tf.Graph the script makes, and the graph tf.reset_default_graph
  makes, gets graph-level seed S (tf1run/__main__.py seeds the default graph and NumPy).
"""

import itertools
import os
import sys
import weakref

import tensorflow as tf

from tf1_reference import session as session_config

v1 = tf.compat.v1
UPDATE_PREFIXES = ("Apply", "ResourceApply", "SparseApply", "ResourceSparseApply")


class StopRun(BaseException):
    """Raised by the training step after --max-steps; a BaseException, past `except Exception`."""


class Settings:
    """What tf1run's flags ask of sessions and graphs, and the sessions the script made."""

    def __init__(self, args=None, stream=None):
        self.device = getattr(args, "device", "original")
        self.gpu_memory_fraction = getattr(args, "gpu_memory_fraction", None)
        self.log_device_placement = getattr(args, "log_device_placement", False)
        self.max_steps = getattr(args, "max_steps", None)
        self.save = getattr(args, "save", None)
        self.seed = getattr(args, "seed", None)
        self.stream = stream or sys.stderr
        self.steps = 0
        self.sessions = weakref.WeakSet()
        self.clock = itertools.count(1)  # Orders session runs and saves.
        self.saved_at = 0
        self.stopped = False

    def say(self, line):
        print(f"tf1run: {line}", file=self.stream, flush=True)

    def config(self, original):
        return session_config.config_proto(
            self.device,
            original=original,
            gpu_memory_fraction=self.gpu_memory_fraction,
            log_device_placement=self.log_device_placement,
        )

    def finish(self):
        """At the script's end: save from the live session that ran last, if it ran since."""
        live = [s for s in self.sessions if not s._closed and s._tf1run_ran_at > self.saved_at]
        if self.save and live:
            save(max(live, key=lambda s: s._tf1run_ran_at), "the script ended")
        elif self.save and not self.saved_at:
            self.say(f"--save {self.save}: no session held initialised variables; nothing saved.")


SETTINGS = Settings()  # tf1run/__main__.py replaces it with the command line's.


def _fetched_ops(fetches, graph):
    """The graph operations that `fetches` (any structure Session.run takes) name."""
    if isinstance(fetches, (list, tuple)):
        for item in fetches:
            yield from _fetched_ops(item, graph)
    elif isinstance(fetches, dict):
        for item in fetches.values():
            yield from _fetched_ops(item, graph)
    elif isinstance(fetches, str):
        element = graph.as_graph_element(fetches)
        yield element if isinstance(element, tf.Operation) else element.op
    elif isinstance(fetches, tf.Operation):
        yield fetches
    elif hasattr(fetches, "op"):
        yield fetches.op


def reaches_update(ops):
    """Whether any op, or anything it depends on, is an optimizer's variable update."""
    seen, stack = set(), list(ops)
    while stack:
        op = stack.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        if op.type.startswith(UPDATE_PREFIXES):
            return True
        stack.extend(tensor.op for tensor in op.inputs)
        stack.extend(op.control_inputs)
    return False


class _Tf1Run:
    """What tf1run adds to a session class: the config, step counting, saving on close."""

    def __init__(self, target="", graph=None, config=None):
        super().__init__(target, graph, SETTINGS.config(config))
        self._tf1run_ran_at = 0
        self._tf1run_training = {}
        SETTINGS.sessions.add(self)

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        ops = list(_fetched_ops(fetches, self.graph))
        key = tuple(op.name for op in ops)
        if key not in self._tf1run_training:
            self._tf1run_training[key] = reaches_update(ops)
        if self._tf1run_training[key]:
            if SETTINGS.max_steps is not None and SETTINGS.steps >= SETTINGS.max_steps:
                SETTINGS.stopped = True
                if SETTINGS.save and self._tf1run_ran_at > SETTINGS.saved_at:
                    save(self, f"--max-steps {SETTINGS.max_steps} stopped the run")
                raise StopRun(SETTINGS.steps)
            SETTINGS.steps += 1
        self._tf1run_ran_at = next(SETTINGS.clock)
        return super().run(fetches, feed_dict, options, run_metadata)

    def close(self):
        if (
            SETTINGS.save
            and not self._closed
            and not getattr(self, "_tf1run_collected", False)
            and self._tf1run_ran_at > SETTINGS.saved_at
        ):
            save(self, "its session closed")
        super().close()

    def __del__(self):
        self._tf1run_collected = True  # Closing from the garbage collector saves nothing.
        super().__del__()


class Session(_Tf1Run, v1.Session):
    """tf.Session with tf1run's config, step counting and saving (the module docstring)."""


class InteractiveSession(_Tf1Run, v1.InteractiveSession):
    """tf.InteractiveSession with tf1run's config, step counting and saving."""


class Graph(tf.Graph):
    """tf.Graph with the --seed graph-level seed."""

    def __init__(self):
        super().__init__()
        if SETTINGS.seed is not None:
            self.seed = SETTINGS.seed


def reset_default_graph():
    """tf.reset_default_graph, then the --seed graph-level seed in the new default graph."""
    v1.reset_default_graph()
    if SETTINGS.seed is not None:
        v1.set_random_seed(SETTINGS.seed)


_SAVERS = weakref.WeakKeyDictionary()  # graph -> (its variables, uninitialised op, Saver)


def _saver(graph, variables):
    """The check and the Saver for these variables, made once per graph and variable list."""
    made = _SAVERS.get(graph)
    if made is None or made[0] != variables:
        with graph.as_default(), v1.name_scope("tf1run_save"):
            check = v1.report_uninitialized_variables(variables)
            made = (variables, check, v1.train.Saver(variables, sharded=False))
        _SAVERS[graph] = made
    return made[1], made[2]


def save(session, why):
    """Save every global variable of `session`'s graph to --save's prefix; say what happened."""
    prefix = SETTINGS.save
    variables = session.graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)
    if not variables:
        return
    try:
        check, saver = _saver(session.graph, variables)
        uninitialised = session.run(check)
        if len(uninitialised):
            names = ", ".join(n.decode() for n in uninitialised[:3])
            SETTINGS.say(f"--save: not saved when {why}: {names} not initialised there.")
            return
        os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
        saver.save(session, os.path.abspath(prefix), write_meta_graph=False, write_state=False)
    except (tf.errors.OpError, RuntimeError, ValueError, OSError) as error:
        SETTINGS.say(f"--save: could not save to {prefix} when {why}: {error}")
        return
    SETTINGS.saved_at = next(SETTINGS.clock)
    SETTINGS.say(f"saved {len(variables)} global variables to {prefix} ({why}).")
