"""Lesson 11: the seed-002 DCGAN in TF2 through the shim: checkpoint by name, equal outputs.

Lesson 6 met `tf.compat.v1.keras.utils.track_tf1_style_variables` on xyang35's small netD.
Here it carries the archive's real seed-002 networks, `mnist_dcgan.generator` and
`mnist_dcgan.discriminator`, unchanged, into eager TF2: wrapped in one Keras layer, they make
their variables under the TF1 names, so lesson 8's TF1 checkpoint loads into them by name,
and they compute exactly what the TF1 graph computes. Then the pitfalls that come with
`tf.function`: the networks without the shim fail there, and with the shim, `reuse=True`
means something under `tf.function` that it does not mean eagerly.

Source: TF guide "Use TF1.x models in TF2 workflows" (tensorflow/docs
    site/en/guide/migrate/model_mapping.ipynb); API docstring of
    `tf.compat.v1.keras.utils.track_tf1_style_variables` (tf-keras
    legacy_tf_layers/variable_scope_shim.py); TF guide "Better performance with tf.function"
    (creating variables only on the first call); tf1_reference/mnist_dcgan.py (seed 002).

Run:
    python lessons/11_tf2_shim_in_depth.py    # ~20 s, mostly importing TensorFlow

Deviations: none: a lesson, not a reproduction. `tf1_reference.setup()` switches the
    process to TF1 behaviour, in which section 1 makes lesson 8's checkpoint in a graph of its
    own, as lesson 8 does; then `tf.compat.v1.enable_v2_behavior()` switches to TF2 for the
    rest. The checkpoint goes to a temporary folder, removed at the end.
"""

# %%
import os
import pathlib
import subprocess
import sys
import tempfile

# `python lessons/<file>.py` puts lessons/ on sys.path, not the repository root that holds
# tf1_reference; in a notebook there is no __file__ and the working folder is lessons/.
HERE = pathlib.Path(__file__).parent if "__file__" in globals() else pathlib.Path.cwd()
ROOT = str(HERE.resolve().parent)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import torch  # noqa: E402

from ports import mnist_dcgan as port  # noqa: E402
import tf1_reference  # noqa: E402, I001
from tf1_reference import mnist_dcgan  # noqa: E402

tf1_reference.setup()  # TF1 behaviour and Keras 2 for section 1 (see above).
tf1 = tf.compat.v1
ONE_THREAD = tf1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
FOLDER = tempfile.TemporaryDirectory()  # Removed in the last cell.
rng = np.random.default_rng(8)  # Lesson 8's generator, seed and draws.
REAL = rng.uniform(0.0, 1.0, size=(16, 28, 28, 1)).astype(np.float32)
NOISE = rng.uniform(-1.0, 1.0, size=(16, 100)).astype(np.float32)

# %% [markdown]
# ## 1. Lesson 8's checkpoint, made in TF1 graph mode
#
# Still in TF1 behaviour: the seed's graph, one D step and one G step, `Saver().save`, as
# lesson 8 section 1. The graph's own outputs on fixed inputs are kept: G(z), D(real) and
# D(G(z)) logits. Then the switch to TF2.

# %%
print("executing eagerly:", tf.executing_eagerly())
assert not tf.executing_eagerly()
with tf.Graph().as_default():
    tf1.set_random_seed(8)
    g = mnist_dcgan.build_graph()
    with tf1.Session(config=ONE_THREAD) as sess:
        sess.run(tf1.global_variables_initializer())
        mnist_dcgan.train_step(sess, g, REAL, NOISE)
        PREFIX = tf1.train.Saver().save(sess, f"{FOLDER.name}/gan.ckpt", write_meta_graph=False)
        feed = {g.real_images_placeholder: REAL, g.z_placeholder: NOISE}
        graph_outputs = sess.run([g.G, g.D_logit_real, g.D_logit_fake], feed)
tf1.enable_v2_behavior()  # TF2 from here on: eager execution, resource variables.
print("executing eagerly:", tf.executing_eagerly())
assert tf.executing_eagerly()

# %% [markdown]
# ## 2. The real networks in one shim layer
#
# The layer's `call` is `build_graph`'s middle: G(z), then D on real images with
# `reuse=False`, then D on G(z) with `reuse=True`. The decorator gives the `get_variable`
# calls inside (the `tf.layers` make them) a store owned by the layer: the first call
# creates, later calls share. The variables keep their TF1 names; the trainable ones are
# the layer's `trainable_variables`, and D's var_list is found by scope as in lesson 4.

# %%


class SeedDCGAN(tf.keras.layers.Layer):
    """The seed-002 generator and discriminator, called as build_graph calls them."""

    @tf1.keras.utils.track_tf1_style_variables
    def call(self, noise, real_images):
        fake_images = mnist_dcgan.generator(noise, reuse=False)
        _, logits_real = mnist_dcgan.discriminator(real_images, reuse=False)
        _, logits_fake = mnist_dcgan.discriminator(fake_images, reuse=True)
        return fake_images, logits_real, logits_fake


gan = SeedDCGAN()
gan(NOISE, REAL)
created = len(gan.variables)
gan(NOISE, REAL)
d_vars = [v for v in gan.trainable_variables if v.name.startswith("discriminator/")]
print(
    f"variables after one call: {created}, after two: {len(gan.variables)}",
    f"({len(gan.trainable_variables)} trainable; D's var_list: {len(d_vars)})",
)
print("non-trainable:", [v.name for v in gan.non_trainable_variables])
assert created == len(gan.variables) == 18
assert len(gan.trainable_variables) == 16 and len(d_vars) == 8
assert [v.name for v in gan.non_trainable_variables] == [
    "discriminator/batch_normalization/moving_mean:0",
    "discriminator/batch_normalization/moving_variance:0",
]

# %% [markdown]
# ## 3. Lesson 8's checkpoint, loaded by name
#
# Every variable of the layer is named as in the TF1 graph, so the checkpoint's reader
# finds each by its name (without `:0`). The file holds 36 entries more, Adam's slots and
# beta powers: optimizer state that belongs to no layer.

# %%
reader = tf.train.load_checkpoint(PREFIX)
in_file = reader.get_variable_to_shape_map()
missing = [v.name for v in gan.variables if v.name[: -len(":0")] not in in_file]
for variable in gan.variables:
    variable.assign(reader.get_tensor(variable.name[: -len(":0")]))
print(
    "layer variables not in the checkpoint:",
    missing,
    "| entries left unused:",
    len(in_file) - len(gan.variables),
)
assert missing == [] and len(in_file) - len(gan.variables) == 36

# %% [markdown]
# ## 4. The same numbers as the graph
#
# Called eagerly on the same inputs, the shim layer gives the TF1 graph's G(z) and both
# logits, to the last bit: the same kernels run on the same weights.

# %%
eager_outputs = gan(NOISE, REAL)
for label, eager, graph in zip(
    ("G(z)", "D(real) logits", "D(G(z)) logits"), eager_outputs, graph_outputs
):
    print(f"{label:15} equal to the TF1 graph's: {np.array_equal(eager.numpy(), graph)}")
assert all(np.array_equal(e.numpy(), g) for e, g in zip(eager_outputs, graph_outputs))

# %% [markdown]
# One thing did change: the moving statistics. In eager TF2 the batch-norm layer applies its
# moving-average update as part of the call, so the statistics that the seed's graph never
# updated (lesson 7) move with every training-mode forward. The outputs do not depend on
# them, which is why they still agree.

# %%
moving_mean = next(v for v in gan.variables if "moving_mean" in v.name)
before = moving_mean.numpy().copy()
gan(NOISE, REAL)
moved = not np.array_equal(before, moving_mean.numpy())
print("one eager call moved discriminator/batch_normalization/moving_mean:", moved)
assert moved

# %% [markdown]
# ## 5. `tf.function`, and its pitfalls
#
# The shim layer can be traced with `tf.function` as it is: the first trace finds the
# layer's variables, and the compiled call gives the same numbers.

# %%
traced_gan = tf.function(gan)
traced_outputs = traced_gan(NOISE, REAL)
print(
    "tf.function(gan): outputs equal to the graph's:",
    all(np.array_equal(t.numpy(), g) for t, g in zip(traced_outputs, graph_outputs)),
    "| variables:",
    len(gan.variables),
)
assert all(np.array_equal(t.numpy(), g) for t, g in zip(traced_outputs, graph_outputs))
assert len(gan.variables) == 18

# %% [markdown]
# Pitfall 1: the networks *without* the shim. A `tf.function` around the seed's functions
# fails on its very first call, and the counter shows that its body ran twice: a function
# that creates variables is traced a second time, and the TF1-style variable creation fails
# in that second trace. The error says nothing of the cause, and even its type is not fixed:
# here it is one, and the same lines in a fresh Python process raise another.

# %%
traces = []


@tf.function
def seed_networks_without_shim(noise, real_images):
    traces.append(len(traces) + 1)
    mnist_dcgan.generator(noise, reuse=False)
    return mnist_dcgan.discriminator(real_images, reuse=False)[1]


def error_line(error):
    """`Type: first sentence of the message`, from the line that states the error itself."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    named = [line for line in lines if line.startswith(type(error).__name__ + ":")]
    line = named[-1] if named else f"{type(error).__name__}: {lines[0]}"
    return line.split(". ")[0].rstrip(".") + "."


try:
    seed_networks_without_shim(NOISE, REAL)
    without_shim = "ran"
except Exception as error:  # noqa: BLE001  (which error comes up is part of the lesson)
    without_shim = error_line(error)
print("without the shim, in this process:", without_shim, "| body ran", len(traces), "times")
assert without_shim.startswith("TypeError:") and "is out of scope" in without_shim
assert len(traces) == 2

# The same function in a process that has done nothing else first.
FRESH = """
import numpy as np
import tensorflow as tf
from tf1_reference import mnist_dcgan
@tf.function
def seed_networks_without_shim(noise, real_images):
    mnist_dcgan.generator(noise, reuse=False)
    return mnist_dcgan.discriminator(real_images, reuse=False)[1]
try:
    seed_networks_without_shim(np.zeros((2, 100), "f4"), np.zeros((2, 28, 28, 1), "f4"))
except Exception as error:
    print(type(error).__name__ + ":", str(error).strip().splitlines()[-1].split(": ", 1)[-1])
"""
fresh = subprocess.run(
    [sys.executable, "-c", FRESH],
    cwd=ROOT,
    env={**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"},
    capture_output=True,
    text=True,
    timeout=300,
).stdout.strip()
print("without the shim, in a fresh process:", fresh)
assert fresh == "AttributeError: Tensor.op is undefined when eager execution is enabled."

# %% [markdown]
# Why two errors: `get_variable`, and the `tf.layers` that call it, keep their variables in
# TF1's variable store, which belongs to the process (the default graph's collections), not
# to the function, and every trace shares it. The first trace fills it; the second meets
# those variables, plus whatever earlier code left, and the layer code, written for one
# graph, fails at the first check that this state breaks. In a fresh process that is a read
# of `.op` from an eager tensor, made by the first trace (AttributeError). This process
# built the seed's TF1 graph (section 1) and traced the shim layer (above), and its second
# trace gets a tensor of another function's graph instead (TypeError). So do not catch one
# error type in a test of such code: the cure is the shim, not a handler.

# %% [markdown]
# Pitfall 2: with the shim, `reuse` depends on how the layer is called. Eagerly, TF1's
# `get_variable` hands the store `reuse=False` whatever the scope says, and the store reads
# that as `AUTO_REUSE` (lesson 6). Inside `tf.function` the scope's flag is passed on, and
# `reuse=True` on a variable that does not exist yet is lesson 2's "does not exist". A
# layer that starts with D's `reuse=True` call works eagerly and fails traced:

# %%


class DiscriminatorReusedFirst(tf.keras.layers.Layer):
    """The seed's D called with reuse=True before it was ever created."""

    @tf1.keras.utils.track_tf1_style_variables
    def call(self, images):
        return mnist_dcgan.discriminator(images, reuse=True)[1]


eager_layer = DiscriminatorReusedFirst()
eager_layer(REAL)
traced_layer = DiscriminatorReusedFirst()
try:
    tf.function(traced_layer)(REAL)
except ValueError as error:
    traced_error = next(line.strip() for line in str(error).splitlines() if "exist" in line)
print("eagerly:", len(eager_layer.variables), "variables created")
print("under tf.function:", traced_error)
assert len(eager_layer.variables) == 10
assert traced_error.startswith("Variable discriminator/conv2d/kernel does not exist")

# %% [markdown]
# Test a shim layer the way it will run: if training uses `tf.function`, call it under
# `tf.function` in the tests too. The seed's own order (`reuse=False` first, `reuse=True`
# after) is right in both modes.
#
# ## The PyTorch way
#
# The port needs no shim: its modules own their parameters from construction, and its layers
# carry the TF1 layers' names (`conv2d`, `conv2d_1`, `batch_normalization`, `dense`), which
# keeps lesson 9's table easy to read.

# %%
torch.manual_seed(8)
D = port.Discriminator()
print("the port's D:", [name for name, _ in D.named_parameters()])
assert [name for name, _ in D.named_parameters()] == [
    "conv2d.weight",
    "conv2d.bias",
    "conv2d_1.weight",
    "conv2d_1.bias",
    "batch_normalization.weight",
    "batch_normalization.bias",
    "dense.weight",
    "dense.bias",
]

# %% [markdown]
# ## Exercises
#
# ### Exercise 11.1: predict, then run
#
# Two separate layer objects, each wrapping the seed's discriminator with the shim. Each
# makes `discriminator/conv2d/kernel:0`. Are they the same variable?
#
# <details><summary>Worked solution</summary>

# %%


class SeedDiscriminator(tf.keras.layers.Layer):
    """The seed's D alone in a shim layer."""

    @tf1.keras.utils.track_tf1_style_variables
    def call(self, images):
        return mnist_dcgan.discriminator(images, reuse=tf1.AUTO_REUSE)[1]


first_D, second_D = SeedDiscriminator(), SeedDiscriminator()
first_D(REAL)
second_D(REAL)
first_kernel, second_kernel = (
    next(v for v in layer.variables if "conv2d/kernel" in v.name) for layer in (first_D, second_D)
)
print(
    "Exercise 11.1:",
    first_kernel.name,
    "| same name:",
    first_kernel.name == second_kernel.name,
    "| same variable:",
    first_kernel is second_kernel,
)
assert first_kernel.name == second_kernel.name == "discriminator/conv2d/kernel:0"
assert first_kernel is not second_kernel

# %% [markdown]
# Two variables with one name. The shim's store belongs to the layer object, not to a
# graph: sharing in TF2 is calling the *same* layer, as in PyTorch, and the TF1 name only
# matters for checkpoints. (Both would load the same checkpoint entry.)
#
# </details>
#
# ### Exercise 11.2: predict, then run
#
# `traced_gan` has run once, on batches of 16. Call it on batches of 3. How many times has
# it been traced then, and how many variables does the layer hold?
#
# <details><summary>Worked solution</summary>

# %%
traced_gan(NOISE[:3], REAL[:3])
tracing_count = traced_gan.experimental_get_tracing_count()
print(f"Exercise 11.2: traced {tracing_count} times, {len(gan.variables)} variables")
assert tracing_count == 2 and len(gan.variables) == 18

# %% [markdown]
# Twice, and still 18 variables. A new input shape makes `tf.function` trace again; the
# second trace calls the same layer, whose store already holds every variable, so nothing
# is created. The raw functions of pitfall 1 already fail in the second trace of their
# first call.
#
# </details>

# %%
FOLDER.cleanup()

# %% [markdown]
# ## Takeaways
#
# - `track_tf1_style_variables` runs the seed-002 networks unchanged in eager TF2: one layer
#   owns their 18 variables under the TF1 names, 16 of them trainable.
# - A TF1 checkpoint loads into those variables by name (`tf.train.load_checkpoint` and
#   `assign`); the optimizer's 36 entries stay unused.
# - The layer then computes the TF1 graph's G(z) and logits bit for bit, eagerly and under
#   `tf.function`. Batch norm's moving statistics now update with every call.
# - Without the shim, the seed's functions fail in `tf.function` at the first call, after
#   two traces, with an error that does not name the cause and whose type depends on the
#   process's history: AttributeError in a fresh process, TypeError after this lesson's
#   earlier cells.
# - With the shim, `reuse=True` before creation works eagerly (`AUTO_REUSE`) and fails under
#   `tf.function` ("does not exist"): test the layer the way it will run.
# - The store belongs to the layer object: two layers never share, whatever the names.
