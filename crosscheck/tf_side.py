"""The TF side of a cross-check: a case's graph in a session, with injected weights; each
training step runs through a recording session, so that every `Session.run` also fetches the
kink inputs, dropout inputs and (when asked) gradients of the ops that run computes."""

import contextlib
import inspect

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import rewriter_config_pb2

import tf1_reference
from crosscheck import fed_random, graph_reading
from crosscheck.case import CaseError, substep

tf1 = tf.compat.v1


def session_config():
    """The checks' session: the CPU, TensorFlow's own rewrites on."""
    return tf1.ConfigProto(device_count={"GPU": 0})


def build(case, dtype, fed=True):
    """Run the case's graph function in the current default graph; returns (g, draws)."""
    takes_dtype = "dtype" in inspect.signature(case.graph).parameters
    if not takes_dtype and dtype != "float32":
        raise CaseError(
            f"the case's graph function takes no `dtype` argument, so it builds float32 only; "
            f"add one (dtype=tf.float32) and use it for its placeholders to check {dtype}."
        )
    args = {"dtype": tf.as_dtype(dtype)} if takes_dtype else {}
    context = fed_random.fed_graph() if fed and case.fed_random else contextlib.nullcontext([])
    with context as draws:
        g = case.graph(**args)
    return g, draws


class TFSide:
    """The case's graph in `dtype` with injected weights; `step` records what each run computed."""

    def __init__(self, case, dtype, draw_source=None):
        tf1_reference.setup()  # TF1 behaviour, as the references' own runs have it.
        self.case, self.dtype, self.graph = case, dtype, tf.Graph()
        with self.graph.as_default():
            self.g, self.draws = build(case, dtype)
            self.variables = tf1.trainable_variables()
            self.substeps = graph_reading.read_substeps(
                self.graph, case.name_map, case.adam, case.order
            )
            self.init = tf1.global_variables_initializer()
        self.sess = tf1.Session(graph=self.graph, config=session_config())
        self.sess.run(self.init)
        self.draw_source, self._layer_sess, self.plans = draw_source, None, {}
        self.runs, self.record_grads, self.step_index = [], False, 0
        self.rng, self.drawn = None, {}  # The generator of in-graph draws; what it drew.
        self.dry = self.replay = False
        with self.graph.as_default():
            self.no_op = tf.no_op(name="crosscheck_dry_run")  # Stands in for a train op.

    def load(self, weights, sess=None):
        for variable in self.variables:
            variable.load(weights[variable.op.name], sess or self.sess)

    def values(self):
        arrays = self.sess.run(self.variables)
        return {v.op.name: a for v, a in zip(self.variables, arrays)}

    def step(self, batch, index, grads=False, dry=False, replay=False):
        """One training step; returns (losses, runs): what each training run computed.

        `dry`: every train op is left out of its run and its gradients fetched instead: each
        sub-step's loss and gradients before any update. `replay`: the in-graph draws of the
        dry pass of the same step, so the real step sees the same masks and noise.
        """
        self.runs, self.record_grads, self.step_index = [], grads or dry, index
        self.dry, self.replay = dry, replay
        if self.draw_source is None and not replay:
            self.drawn.clear()  # The twin has read the last step's draws by now.
        recording = RecordingSession(self)
        if self.case.tf_step is not None:
            losses = self.case.tf_step(recording, self.g, batch)
        else:
            losses = [
                recording.run([sub.loss, sub.train_op], self.feed(sub, batch))[0]
                for sub in self.substeps
            ]
        return [float(loss) for loss in losses], [r for r in self.runs if r["label"]]

    def feed(self, sub, batch):
        """Sub-step `sub`'s feed: the case's `feeds`, or each placeholder it needs by name."""
        if self.case.feeds is not None:
            return self.case.feeds(self.g, batch, sub.label)
        view = substep(batch, sub.label)
        feed = {}
        for op in graph_reading.computed_ops([sub.loss.op, sub.train_op], set()):
            if op.type not in ("Placeholder", "PlaceholderWithDefault"):
                continue
            if op.name in view:
                feed[op.outputs[0]] = view[op.name]
            elif op.type == "Placeholder" and op.name not in self.case.constants:
                raise CaseError(
                    f"the {sub.label} step needs placeholder '{op.name}', which the batch does "
                    f"not give (it gives {sorted(view)}); add it to the batches, or to "
                    "`constants` if it is the same every step."
                )
        return feed

    def run_layers(self, fetches, feed):
        """`sess.run(fetches, feed)` in a second session with Grappler's remapper off, for a
        case's `compare_forward`: where oneDNN's rewrites fuse Conv2D + BiasAdd + leaky ReLU,
        a layer's BiasAdd is not in the graph that runs, and fetching it beside a later layer
        fails. Kinks and training read the training session's own values instead."""
        if self._layer_sess is None:
            config = session_config()
            config.graph_options.rewrite_options.remapping = rewriter_config_pb2.RewriterConfig.OFF
            self._layer_sess = tf1.Session(graph=self.graph, config=config)
            self._layer_sess.run(self.init)
        self.load(self.values(), self._layer_sess)
        return self._layer_sess.run(fetches, feed)

    def close(self):
        for sess in (self.sess, self._layer_sess):
            if sess is not None:
                sess.close()


class RecordingSession:
    """The training session, as the step sees it: each `run` also fetches what it computed."""

    def __init__(self, side):
        self.side, self.graph = side, side.graph

    def __getattr__(self, name):
        return getattr(self.side.sess, name)

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        side, element = self.side, self.graph.as_graph_element
        feed = {element(k) if isinstance(k, str) else k: v for k, v in (feed_dict or {}).items()}
        plan = self._plan(fetches, feed)
        for placeholder, value in plan["constants"]:
            feed.setdefault(placeholder, value)
        key = f"{side.step_index}/{len(side.runs)}"
        if side.replay or side.draw_source is not None:
            # The draws of this step's dry pass, or of the side this one-ulp twin follows.
            values, rates = (side.drawn if side.replay else side.draw_source)[key]
            drawn = {self.graph.get_tensor_by_name(n): v for n, v in values.items()}
            rates = {self.graph.get_tensor_by_name(n): r for n, r in rates.items()}
        else:  # Draw from the check's generator; keep them for the replay and the twin.
            drawn, rates = fed_random.draw_feed(
                side.sess, plan["draws"], feed, side.rng, _np(side.dtype)
            )
            side.drawn[key] = (
                {t.name: v for t, v in drawn.items()},
                {t.name: r for t, r in rates.items()},
            )
        sub = plan["substep"]
        if side.dry and sub is not None:
            fetches = _replace(fetches, sub.train_op, side.no_op)
        grads = list(sub.grads.items()) if sub is not None and side.record_grads else []
        dropouts = [d for d in plan["draws"] if d.kind == "dropout"]
        extra = [plan["kinks"], [d.x for d in dropouts], [g for _, g in grads]]
        result, (kinks, xs, grad_values) = side.sess.run(
            [fetches, extra], {**feed, **drawn}, options, run_metadata
        )
        record = {"label": sub.label if sub is not None else None, "kinks": [], "random": []}
        if side.draw_source is None:
            for (op, read), values in zip(plan["kink_ops"], _chunks(kinks, plan["kink_sizes"])):
                record["kinks"].append((op, values[0], read(values)))
            xs = iter(xs)
            for d in plan["draws"]:
                x = next(xs) if d.kind == "dropout" else None
                record["random"].append((d.kind, drawn[d.placeholder], x, rates.get(d.placeholder)))
        record["grads"] = {name: value for (name, _), value in zip(grads, grad_values)}
        side.runs.append(record)
        return result

    def _plan(self, fetches, feed):
        """What a run of these fetches with these feeds computes (kept per fetch and feed set)."""
        ops = graph_reading.fetch_ops(self.graph, fetches)
        key = (tuple(sorted(op.name for op in ops)), tuple(sorted(t.name for t in feed)))
        if key not in self.side.plans:
            computed = graph_reading.computed_ops(ops, set(feed))
            kink_ops = sorted(
                (op for op in computed if op.type in graph_reading.KINK_TYPES),
                key=lambda op: op._id,  # noqa: SLF001  (TF's creation counter: build order)
            )
            plans = [graph_reading.kink_plan(op) for op in kink_ops]
            tensors = [fetch for fetch, _ in plans]
            names = {op.name: op for op in computed}
            subs = [s for s in self.side.substeps if s.train_op in ops]
            self.side.plans[key] = {
                "kink_ops": [(op, read) for op, (_, read) in zip(kink_ops, plans)],
                "kink_sizes": [len(t) for t in tensors],
                "kinks": [t for group in tensors for t in group],
                "draws": [
                    d
                    for d in self.side.draws
                    if d.output.op in computed and d.placeholder not in feed
                ],
                "constants": [
                    (names[name].outputs[0], value)
                    for name, value in self.side.case.constants.items()
                    if name in names
                ],
                "substep": subs[0] if subs else None,
            }
        return self.side.plans[key]


def _replace(fetches, op, replacement):
    """`fetches` with the operation `op` (or its name) replaced, in any nesting."""
    if isinstance(fetches, (list, tuple)):
        return type(fetches)(_replace(f, op, replacement) for f in fetches)
    if isinstance(fetches, dict):
        return {key: _replace(f, op, replacement) for key, f in fetches.items()}
    return replacement if fetches is op or fetches == op.name else fetches


def _chunks(values, sizes):
    start = 0
    for size in sizes:
        yield values[start : start + size]
        start += size


def _np(dtype):
    return np.float64 if dtype == "float64" else np.float32
