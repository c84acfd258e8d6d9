"""The tables of tf1run: every name it replaces, with what and why, and every name it refuses.

docs/tf1run.md prints these tables; the substitution block a run prints and the sentence a
refusal ends in are made from them, so the page, the block and the code say the same thing.
Names are written as a script writes them after `import tensorflow as tf`.
"""


class Refused(Exception):
    """What tf1run cannot run; the message is one sentence naming the API and, where one
    exists, where its job went. The run ends with it, the script's file and line, exit 2."""


class RefusedName(Refused, AttributeError):
    """A refused attribute (`tf.contrib.rnn`): an AttributeError, as `hasattr` expects."""


class RefusedImport(Refused, ImportError):
    """A refused import (`import tensorflow.contrib.slim`): an ImportError, as `try` expects."""


# Renamed at TF 1.0 (or 0.12) with the same meaning: the old name is the new function.
RENAMED = {
    "tf.mul": "tf.multiply",
    "tf.sub": "tf.subtract",
    "tf.neg": "tf.negative",
    "tf.inv": "tf.math.reciprocal",
    "tf.pack": "tf.stack",
    "tf.unpack": "tf.unstack",
    "tf.select": "tf.where",
    "tf.batch_matmul": "tf.matmul",
    "tf.complex_abs": "tf.abs",
    "tf.listdiff": "tf.setdiff1d",
    "tf.initialize_all_variables": "tf.global_variables_initializer",
    "tf.initialize_local_variables": "tf.local_variables_initializer",
    "tf.initialize_variables": "tf.variables_initializer",
    "tf.initialize_all_tables": "tf.tables_initializer",
    "tf.all_variables": "tf.global_variables",
    "tf.scalar_summary": "tf.summary.scalar",
    "tf.histogram_summary": "tf.summary.histogram",
    "tf.audio_summary": "tf.summary.audio",
    "tf.merge_summary": "tf.summary.merge",
    "tf.merge_all_summaries": "tf.summary.merge_all",
    "tf.train.SummaryWriter": "tf.summary.FileWriter",
}

# Changed at TF 1.0 in argument order or names: the call's arguments tell which API it meant.
ARGUMENTS = {
    "tf.concat": "tf.concat(values, dim): an int first argument is the 0.x order, swapped",
    "tf.split": "tf.split(value, num, dim): an int first argument (or split_dim=, "
    "num_split=) is the 0.x order, swapped",
    "tf.nn.softmax_cross_entropy_with_logits": "(logits=, labels=): positional arguments are "
    "the 0.x order, passed by name (TF 2.21 reads them as labels, logits)",
    "tf.nn.sparse_softmax_cross_entropy_with_logits": "(logits=, labels=): positional arguments "
    "are the 0.x order, passed by name",
    "tf.nn.sigmoid_cross_entropy_with_logits": "(logits=, labels=): positional arguments are "
    "the 0.x order (logits, targets), passed by name; targets= is labels=",
    "tf.reverse": "tf.reverse(tensor, axes): a list of booleans is the 0.x dims mask",
    "tf.image_summary": "tf.summary.image, max_images= as max_outputs= (renamed at 1.0)",
    "tf.variable_op_scope": "tf.variable_scope(name, default_name, values), reordered",
    "tf.op_scope": "tf.name_scope(name, default_name, values), reordered",
}

# tf.contrib.layers as tf1run provides it (tf1run/contrib.py, whose docstring and
# docs/tf1run.md give each one's deviations from TF 1.15's).
CONTRIB_LAYERS = {
    "xavier_initializer": "contrib's formula and random op",
    "xavier_initializer_conv2d": "contrib's formula and random op",
    "variance_scaling_initializer": "contrib's formula and random op",
    "l1_regularizer": "scale * sum(|w|), as contrib",
    "l2_regularizer": "scale * tf.nn.l2_loss(w), as contrib",
    "fully_connected": "variables <scope>/weights, <scope>/biases, as contrib",
    "linear": "fully_connected without activation, as contrib",
    "conv2d": "variables <scope>/weights, <scope>/biases, as contrib; NHWC only",
    "conv2d_transpose": "variables <scope>/weights, <scope>/biases, as contrib; NHWC only",
    "flatten": "reshape to [batch, -1], as contrib",
    "batch_norm": "contrib's defaults (decay 0.999, scale=False, UPDATE_OPS) and names; "
    "the fused kernel, rank 2 or 4",
}
CONTRIB_ALIASES = {"convolution2d": "conv2d", "convolution2d_transpose": "conv2d_transpose"}

# Where a refused tf.contrib module's job went, for the sentence that refuses it.
CONTRIB_HINTS = {
    "rnn": "tf.nn.rnn_cell (tf.compat.v1.nn.rnn_cell) holds its cells",
    "slim": "TF-Slim became the separate tf-slim package, which this archive does not install",
    "learn": "for MNIST use `from tensorflow.examples.tutorials.mnist import input_data`",
    "losses": "tf.losses (tf.compat.v1.losses) holds its losses",
    "metrics": "tf.metrics (tf.compat.v1.metrics) holds its metrics",
    "keras": "use tf.keras",
    "distributions": "TensorFlow Probability took it over",
}

# The names tf1run replaces with a version of its own for every script.
INFRASTRUCTURE = {
    "tensorflow": "tf.compat.v1 of TensorFlow {version}: graph mode, Keras 2 behind tf.layers",
    "tf.Session": "tf1run's Session: --device config, --max-steps, --save",
    "tf.InteractiveSession": "tf1run's InteractiveSession: --device config, --max-steps, --save",
    "tf.Graph": "tf1run's Graph: the --seed graph-level seed",
    "tf.reset_default_graph": "tf1run's: the --seed graph-level seed in the new graph",
    "tf.app.flags": "absl flags, parsed from the script's argv on first use (as TF 1.x)",
    "tf.flags": "absl flags, parsed from the script's argv on first use (as TF 1.x)",
    "input_data": "the archive's MNIST reader (inputs/mnist.py): never downloads",
    "matplotlib": "Agg backend: plt.show() does nothing, savefig writes",
}


def contrib_layers_name(name):
    """The tf1run/contrib.py name of tf.contrib.layers.`name`, or None outside the subset."""
    name = CONTRIB_ALIASES.get(name, name)
    return name if name in CONTRIB_LAYERS else None


def refusal(dotted):
    """The reason tf1run refuses `dotted` (a name as the script writes it), or None."""
    parts = dotted.split(".")
    if parts[:2] != ["tf", "contrib"] or len(parts) < 3:
        return None
    if parts[2] != "layers":
        hint = CONTRIB_HINTS.get(parts[2], "port the code that uses it to tf.compat.v1")
        return f"TensorFlow 2 removed tf.contrib, tf1run provides tf.contrib.layers only; {hint}"
    if len(parts) > 3 and contrib_layers_name(parts[3]) is None:
        return "tf1run's tf.contrib.layers has " + ", ".join(sorted(CONTRIB_LAYERS)) + " only"
    return None


def substitution(dotted):
    """What tf1run puts in place of `dotted`, as the block says it, or None for no change."""
    if dotted in RENAMED:
        return f"{RENAMED[dotted]} (renamed at 1.0)"
    if dotted in INFRASTRUCTURE:
        return INFRASTRUCTURE[dotted]
    parts = dotted.split(".")
    if parts[:3] == ["tf", "contrib", "layers"] and len(parts) == 4:
        name = contrib_layers_name(parts[3])
        if name is not None:
            return f"tf1run's {name}: {CONTRIB_LAYERS[name]}"
    return None
