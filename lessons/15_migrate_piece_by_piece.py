"""Lesson 15: migrate the seed-002 discriminator to TF2 one layer at a time, checked at every step.

Lessons 11 and 14 ran TF1 code in TF2 as it was. This lesson replaces it, the way the
TensorFlow migration guide does: keep the TF1 graph as the reference, wrap the unchanged
code in the `track_tf1_style_variables` shim, swap one `tf.compat.v1.layers` call at a time
for a Keras layer (`get_or_create_layer` keeps it inside the shim), end with a plain Keras
layer, and after every step check the logits and the gradients against the reference, bit
for bit. The checks need the same initial weights on both sides. The guide's tool for that,
`DeterministicRandomTestTool`, reaches TF's own random ops, but in TF 2.21 with tf-keras the
layers draw their initial weights elsewhere: the lesson shows which seed does reach them.

Source: TF guides "Validating correctness & numerical equivalence"
    (tensorflow/docs site/en/guide/migrate/validate_correctness.ipynb) and "Use TF1.x models
    in TF2 workflows" (model_mapping.ipynb: `get_or_create_layer`); API docstrings of
    `tf.compat.v1.keras.utils.DeterministicRandomTestTool`, `get_or_create_layer` and
    `tf.keras.utils.set_random_seed`; tf-keras `backend.RandomGenerator` (stateless
    initializers, seeded from Python's generator); tf1_reference/mnist_dcgan.py and
    tf1_reference/gaussian_gan.py.

Run:
    python lessons/15_migrate_piece_by_piece.py    # ~20 s, mostly importing TensorFlow

Deviations: none: a lesson, not a reproduction. It runs in TF2 behaviour; the TF1 reference
    graphs are built inside `tf.Graph().as_default()`, fed seeded random images (no MNIST).
"""

# %%
import os
import pathlib
import sys
import warnings

# `python lessons/<file>.py` puts lessons/ on sys.path, not the repository root that holds
# tf1_reference; in a notebook there is no __file__ and the working folder is lessons/.
HERE = pathlib.Path(__file__).parent if "__file__" in globals() else pathlib.Path.cwd()
ROOT = str(HERE.resolve().parent)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
os.environ["TF_USE_LEGACY_KERAS"] = "1"  # tf.compat.v1.layers need Keras 2 (tf-keras).

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import torch  # noqa: E402

from ports import layouts  # noqa: E402
from ports import mnist_dcgan as port  # noqa: E402
from tf1_reference import gaussian_gan, mnist_dcgan  # noqa: E402

tf1 = tf.compat.v1
tf1.logging.set_verbosity(tf1.logging.ERROR)
warnings.filterwarnings("ignore", message=r"`tf\.layers\.\w+` is deprecated")
warnings.filterwarnings("ignore", message=r"`layer\.updates` will be removed")
SEED = 15
# The reference session without Grappler's graph rewrites: they fuse ops (a MatMul with the
# Add and Tanh after it, say) into kernels that round differently from the eager ops, and a
# check bit for bit needs both sides to run the same kernels.
PLAIN_GRAPH = tf1.ConfigProto()
PLAIN_GRAPH.graph_options.rewrite_options.disable_meta_optimizer = True
REAL = np.random.default_rng(SEED).uniform(0.0, 1.0, size=(8, 28, 28, 1)).astype(np.float32)


def loss_of(logits):
    """The seed's real half of loss_D: mean softplus(-logits)."""
    return tf.reduce_mean(tf.nn.softplus(-logits))


def tf1_reference(network, inputs, seeding):
    """`network(x)` built in a TF1 graph inside `seeding` (a context), run once on `inputs`:
    (logits, gradients of loss_of(logits) for the trainable variables in creation order)."""
    with seeding():
        graph = tf.Graph()
        with graph.as_default(), tf1.Session(graph=graph, config=PLAIN_GRAPH) as sess:
            x = tf1.placeholder(tf.float32, shape=(None,) + inputs.shape[1:])
            logits = network(x)
            gradients = tf.gradients(loss_of(logits), tf1.trainable_variables())
            sess.run(tf1.global_variables_initializer())
            return sess.run([logits, gradients], {x: inputs})


def tf2_run(make_layer, inputs, seeding):
    """The same for a TF2 layer made inside `seeding`, called eagerly."""
    with seeding():
        layer = make_layer()
        with tf.GradientTape() as tape:
            logits = layer(inputs)
            loss = loss_of(logits)
    gradients = tape.gradient(loss, layer.trainable_variables)
    return layer, logits.numpy(), [g.numpy() for g in gradients]


def identical(reference, candidate):
    """Logits equal bit for bit, and the gradients the same arrays, bit for bit (the two
    sides list their variables in different orders, so each list is sorted first)."""
    (ref_logits, ref_grads), (_, logits, grads) = reference, candidate

    def canonical(arrays):
        return sorted(arrays, key=lambda a: (a.shape, a.tobytes()))

    return (
        np.array_equal(ref_logits, logits)
        and len(ref_grads) == len(grads)
        and all(
            a.shape == b.shape and np.array_equal(a, b)
            for a, b in zip(canonical(ref_grads), canonical(grads))
        )
    )


def the_tool():
    """The guide's tool, in its stricter mode: op seeds counted from 0 in each scope."""
    return tf1.keras.utils.DeterministicRandomTestTool(mode="num_random_ops").scope()


class keras_seed:
    """`tf.keras.utils.set_random_seed(SEED)` on entry: Python's, NumPy's, TF's and Keras's
    seed generators."""

    def __enter__(self):
        tf.keras.utils.set_random_seed(SEED)

    def __exit__(self, *exc):
        return False


# %% [markdown]
# ## 1. Same initial weights on both sides: which seed reaches them
#
# The guide's `DeterministicRandomTestTool` patches TF's `get_seed`, so that every random op
# gets a seed counted from zero, in a graph as in eager code. xyang35's netD makes its weights
# with `get_variable` and TF's Glorot initializer, which asks `get_seed`: under the tool, the
# TF1 graph and the same code in a shim layer start from the same weights. The seed-002 D uses
# `tf.compat.v1.layers`, whose default initializers in tf-keras 2.21 draw from stateless ops
# seeded by Keras's own generator (Python's `random`, unless `tf.keras.utils.set_random_seed`
# seeded it): the tool does not reach them, `set_random_seed` does.

# %%


class SmallD(tf.keras.layers.Layer):
    """xyang35's netD, unchanged, in a shim layer."""

    @tf1.keras.utils.track_tf1_style_variables
    def call(self, x):
        return gaussian_gan.GAN.netD(None, x, reuse=tf1.AUTO_REUSE)


class ShimD(tf.keras.layers.Layer):
    """Step 1: the seed's D, unchanged, in a shim layer."""

    @tf1.keras.utils.track_tf1_style_variables
    def call(self, images):
        return mnist_dcgan.discriminator(images, reuse=tf1.AUTO_REUSE)[1]


points = np.random.default_rng(SEED).normal(size=(8, 2)).astype(np.float32)
small_graph = tf1_reference(lambda x: gaussian_gan.GAN.netD(None, x), points, the_tool)
small_shim = tf2_run(SmallD, points, the_tool)
seed_D = lambda x: mnist_dcgan.discriminator(x, reuse=False)[1]  # noqa: E731
tool_graph, tool_shim = tf1_reference(seed_D, REAL, the_tool), tf2_run(ShimD, REAL, the_tool)
REFERENCE = tf1_reference(seed_D, REAL, keras_seed)
print(
    "xyang35's netD (get_variable), under the tool:    identical:",
    identical(small_graph, small_shim),
)
print(
    "seed-002 D (tf.layers), under the tool:            identical:",
    identical(tool_graph, tool_shim),
)
print(
    "seed-002 D, after tf.keras.utils.set_random_seed:  identical:",
    identical(REFERENCE, tf2_run(ShimD, REAL, keras_seed)),
)
assert identical(small_graph, small_shim) and not identical(tool_graph, tool_shim)
assert identical(REFERENCE, tf2_run(ShimD, REAL, keras_seed))

# %% [markdown]
# So the steps below seed with `set_random_seed` before each side. It only works while both
# sides create their initializers in the same order, which is what a layer-by-layer
# migration keeps. (Where a model mixes both kinds, enter both: the tool inside
# `set_random_seed`.)
#
# ## 2. Step 1, the shim: checked above
#
# The unchanged code in a shim layer is the first migrated version: the same variables
# under the same names, the same logits and gradients. Its variables are TF1's, so lesson
# 14's name-based restore still loads old checkpoints.
#
# ## 3. Step 2: one layer becomes a Keras layer
#
# Inside the shim, `tf.compat.v1.keras.utils.get_or_create_layer(name, create)` makes a Keras
# layer on the first call and returns the same one on later calls, and the shim tracks its
# weights. Here D's first convolution becomes a `tf.keras.layers.Conv2D`; the rest is the
# seed's code. The new layer's variables take Keras's names, so from this step on a TF1
# checkpoint needs a name map for them.

# %%


class PartlyKerasD(tf.keras.layers.Layer):
    """Step 2: conv1 is a Keras Conv2D made by get_or_create_layer; the rest is the seed's."""

    @tf1.keras.utils.track_tf1_style_variables
    def call(self, images):
        with tf1.variable_scope("discriminator", reuse=tf1.AUTO_REUSE):
            conv = tf1.keras.utils.get_or_create_layer(
                "conv1",
                lambda: tf.keras.layers.Conv2D(64, 5, strides=2, padding="same", name="conv1"),
            )
            conv1 = conv(images)
            lrelu1 = tf.maximum(conv1 * 0.2, conv1)
            conv2 = tf1.layers.conv2d(lrelu1, filters=128, kernel_size=5, strides=2, padding="same")
            norm2 = tf1.layers.batch_normalization(conv2, training=True)
            lrelu2 = tf.maximum(norm2 * 0.2, norm2)
            return tf1.layers.dense(tf1.layers.flatten(lrelu2), units=1)


step2 = tf2_run(PartlyKerasD, REAL, keras_seed)
print("step 2 identical:", identical(REFERENCE, step2))
print(
    "the Keras layer's variables:",
    [v.name for v in step2[0].trainable_variables if "conv1" in v.name],
)
print(
    "the seed's, still:",
    sorted(v.name for v in step2[0].trainable_variables if "conv1" not in v.name)[:2],
    "...",
)
assert identical(REFERENCE, step2)

# %% [markdown]
# ## 4. Step 3: no shim left
#
# The other three layers go the same way, and then the shim has nothing left to track: the
# discriminator is a plain Keras layer. Two things need care, each caught by the check if
# missed: batch norm keeps TF1's constants (`momentum=0.99, epsilon=1e-3`; Keras's defaults
# are 0.99 and 1e-3 as well, but say them) and runs with `training=True` as the seed does;
# and the flatten keeps NHWC order.

# %%


class KerasD(tf.keras.layers.Layer):
    """Step 3: the seed's D as a plain Keras layer."""

    def __init__(self):
        super().__init__()
        self.conv1 = tf.keras.layers.Conv2D(64, 5, strides=2, padding="same", name="conv1")
        self.conv2 = tf.keras.layers.Conv2D(128, 5, strides=2, padding="same", name="conv2")
        self.norm2 = tf.keras.layers.BatchNormalization(momentum=0.99, epsilon=1e-3, name="norm2")
        self.dense = tf.keras.layers.Dense(1, name="dense")

    def call(self, images):
        conv1 = self.conv1(images)
        lrelu1 = tf.maximum(conv1 * 0.2, conv1)
        norm2 = self.norm2(self.conv2(lrelu1), training=True)
        lrelu2 = tf.maximum(norm2 * 0.2, norm2)
        return self.dense(tf.reshape(lrelu2, [-1, 7 * 7 * 128]))  # NHWC flatten: h, w, c.


step3 = tf2_run(KerasD, REAL, keras_seed)
print("step 3 identical:", identical(REFERENCE, step3))
print("its variables:", [v.name for v in step3[0].trainable_variables][:3], "...")
assert identical(REFERENCE, step3)

# %% [markdown]
# Each step was checked bit for bit, on the logits and on every gradient, so a mistake
# shows at the step that made it. The gradients matter: a layer that computes the right
# output with a weight the optimizer cannot reach (a variable the shim does not track, say)
# passes a forward check and fails this one.
#
# ## The PyTorch way
#
# The archive's port of the same D went through the same kind of check, against the same
# TF1 graph: weights carried across by a name map (lessons 9 and 13), outputs compared. The
# migrated Keras D can be held to the port the same way; its variables are in D's creation
# order, which is the order of the TF1 names in the port's `NAME_MAP`.

# %%
keras_D = step3[0]
tf1_names = [n for n in port.NAME_MAP if n.startswith("discriminator/")]
torch.manual_seed(SEED)
torch_D = port.Discriminator()
with torch.no_grad():
    for name, variable in zip(tf1_names, keras_D.trainable_variables):
        path, layout = port.NAME_MAP[name]
        parameter = layouts.parameter({"discriminator": torch_D}, path)
        parameter.copy_(torch.from_numpy(layouts.to_torch(layout, variable.numpy())))
    torch_logits = torch_D(torch.from_numpy(REAL).permute(0, 3, 1, 2))[1].numpy()
gap = np.abs(torch_logits - step3[1]).max()
print(
    "the port's logits against the Keras D's, within 1e-5 (float32 kernels of two libraries):",
    gap < 1e-5,
)
assert gap < 1e-5

# %% [markdown]
# ## Exercises
#
# ### Exercise 15.1: predict, then run
#
# Step 2 once more, but seeded by the guide's tool alone, on both sides. Identical?
#
# <details><summary>Worked solution</summary>

# %%
tool_only = tf2_run(PartlyKerasD, REAL, the_tool)
print("Exercise 15.1: step 2 under the tool alone, identical:", identical(tool_graph, tool_only))
assert not identical(tool_graph, tool_only)

# %% [markdown]
# No: neither the Keras `Conv2D` nor the remaining `tf.compat.v1.layers` ask TF's `get_seed`
# for their initial weights, so both sides draw unrelated numbers. A failed check that says
# "everything differs" from the first step usually means the seeding, not the model.
#
# </details>
#
# ### Exercise 15.2: predict, then run
#
# The migrated D will train with a Keras optimizer. Is `tf.keras.optimizers.Adam()`, with its
# default arguments, TF1's `AdamOptimizer()` (lesson 12)? Compare one step on a gradient of
# 1e-8.
#
# <details><summary>Worked solution</summary>

# %%


def first_step(optimizer, gradient=1e-8):
    """One step from 0 of `optimizer` on a constant gradient, in units of its lr (1e-3)."""
    weight = tf.Variable([0.0])
    optimizer.apply_gradients([(tf.constant([gradient]), weight)])
    return -float(weight.numpy()[0]) / 1e-3


keras_default = first_step(tf.keras.optimizers.Adam(1e-3))
keras_tf1_epsilon = first_step(tf.keras.optimizers.Adam(1e-3, epsilon=1e-8))
tf1_adam = first_step(tf1.train.AdamOptimizer(1e-3))
print(
    f"Exercise 15.2: Keras Adam() {keras_default:.4f} lr, TF1 AdamOptimizer() {tf1_adam:.4f} lr,"
    f" Keras Adam(epsilon=1e-8) {keras_tf1_epsilon:.4f} lr"
)
assert abs(keras_default / tf1_adam - 0.1) < 0.01
assert abs(keras_tf1_epsilon / tf1_adam - 1) < 1e-5

# %% [markdown]
# Not with its defaults. Keras's Adam uses TF1's rule (epsilon added to sqrt(v), the bias
# correction in the step size), but its default epsilon is 1e-7, ten times TF1's 1e-8; on
# gradients near epsilon the first steps are then ten times smaller. Pass `epsilon=1e-8` and
# the two agree to float32 rounding. Every default that a migration replaces is worth a
# check like this one.
#
# </details>

# %% [markdown]
# ## Takeaways
#
# - Migrate in steps that can each be checked: the TF1 graph as reference, the shim around
#   unchanged code, one layer at a time through `get_or_create_layer`, then plain Keras.
# - Check logits and gradients, bit for bit, after every step; a failure then names the step.
# - Equal initial weights need the right seed: `DeterministicRandomTestTool` reaches TF's own
#   random ops (`get_variable` with TF initializers); in TF 2.21 with tf-keras, `tf.layers`
#   and Keras initializers follow `tf.keras.utils.set_random_seed`, in creation order.
# - Each Keras layer renames its variables: from the first one on, old checkpoints need a map
#   (lesson 14), and the optimizer's defaults need a check (Keras Adam: epsilon 1e-7).
# - What this lesson checked is one forward and backward pass. A migration is done when the
#   new training loop, optimizer and checkpoints reproduce the old run's numbers too.
