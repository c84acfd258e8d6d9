"""Lesson 10: what a variable_scope hands down: initializer, regularizer, dtype, custom getter.

A `variable_scope` does more than prefix names. Its `initializer`, `regularizer`, `dtype`,
`custom_getter` and `partitioner` become the defaults of every `get_variable` call inside it,
nested scopes and `tf.layers` included, unless the call passes its own. That is how a
`tf.layers` kernel gets Glorot-uniform without asking, how a whole network gets an L2
penalty from one line, and how a regularization loss can be collected and then never reach
the loss being minimized. This lesson tries each default on the archive's networks, then
notes `make_template` and partitioned variables.

Source: API docstrings of `tf.compat.v1.variable_scope` and `tf.compat.v1.get_variable`
    (defaults; "If initializer is `None` ... `glorot_uniform_initializer`"; `custom_getter`),
    `tf.compat.v1.losses.get_regularization_loss`, `tf.compat.v1.make_template` and
    `tf.compat.v1.fixed_size_partitioner`; tf1_reference/mnist_dcgan.py (seed 002, tf.layers
    with `kernel_initializer=None`; originals.md section 3.4) and tf1_reference/gaussian_gan.py
    (seed 000 netD, whose `get_variable` calls take their dtype from the input).

Run:
    python lessons/10_scope_defaults_and_getters.py    # ~20 s, mostly importing TensorFlow

Deviations: none: a lesson, not a reproduction. The networks are only built and run once;
    the regularization strength 1e-3 is the lesson's.
"""

# %%
import pathlib
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

import tf1_reference  # noqa: E402
from tf1_reference import gaussian_gan  # noqa: E402
from tf1_reference import mnist_dcgan  # noqa: E402

tf1_reference.setup()  # Graph mode and TF1 behaviour, for the whole process.

tf1 = tf.compat.v1
KEYS = tf1.GraphKeys
ONE_THREAD = tf1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
REAL = np.random.default_rng(10).uniform(0.0, 1.0, size=(8, 28, 28, 1)).astype(np.float32)


def root_scope(**defaults):
    """Re-enter the root variable scope with new defaults: names stay as the network makes them."""
    return tf1.variable_scope(tf1.get_variable_scope(), **defaults)


def penalized_variables(tensor):
    """The variables whose penalty (ops under `<variable>/Regularizer/`) `tensor` depends on."""
    seen, stack, found = set(), [tensor.op], set()
    while stack:
        op = stack.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        if "/Regularizer/" in op.name:
            found.add(op.name.split("/Regularizer/")[0])
        stack.extend(t.op for t in op.inputs)
    return sorted(found)


# %% [markdown]
# ## 1. The initializer a scope hands down
#
# The seed's `tf.layers` calls pass no `kernel_initializer`, and `None` means "ask the
# scope". Re-entering the root scope with `initializer=constant_initializer(0.01)` around
# the seed's discriminator (names unchanged) changes every kernel, and nothing else: the
# layers pass explicit initializers for biases (zeros) and for batch norm (ones, zeros).

# %%
with tf.Graph().as_default():
    x = tf1.placeholder(tf.float32, shape=[None, 28, 28, 1], name="x")
    with root_scope(initializer=tf1.constant_initializer(0.01)):
        mnist_dcgan.discriminator(x, reuse=False)
    with tf1.Session(config=ONE_THREAD) as sess:
        sess.run(tf1.global_variables_initializer())
        values = {
            v.op.name: [round(float(d), 6) for d in np.unique(sess.run(v))]
            for v in tf1.global_variables()
        }
for name, distinct in values.items():
    print(f"    {name:50} distinct values: {distinct}")
assert all(values[n] == [0.01] for n in values if n.endswith("kernel"))
assert all(values[n] == [0.0] for n in values if n.endswith(("bias", "beta", "moving_mean")))
assert values["discriminator/batch_normalization/gamma"] == [1.0]

# %% [markdown]
# Without a scope initializer, `get_variable` falls back on Glorot-uniform for float
# variables: U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)). Two graphs that
# differ only in passing `glorot_uniform_initializer()` explicitly draw the same numbers
# from the same seed.

# %%
draws = []
for initializer in (None, tf1.glorot_uniform_initializer()):
    with tf.Graph().as_default():
        tf1.set_random_seed(10)
        w = tf1.get_variable("w", shape=[3, 4], initializer=initializer)
        with tf1.Session(config=ONE_THREAD) as sess:
            sess.run(tf1.global_variables_initializer())
            draws.append(sess.run(w))
limit = np.sqrt(6.0 / (3 + 4))
print(
    "default == glorot_uniform_initializer():",
    np.array_equal(*draws),
    f"| max |w| = {np.abs(draws[0]).max():.3f} <= limit {limit:.3f}",
)
assert np.array_equal(*draws) and np.abs(draws[0]).max() <= limit

# %% [markdown]
# `dtype` is handed down the same way: every `get_variable` below a
# `variable_scope(..., dtype=tf.float16)` that does not name its own dtype makes float16.

# %%
with tf.Graph().as_default():
    with tf1.variable_scope("half", dtype=tf.float16):
        with tf1.variable_scope("inner"):
            inherited = tf1.get_variable("w", shape=[2])
        explicit = tf1.get_variable("v", shape=[2], dtype=tf.float32)
print(
    "inherited:",
    inherited.name,
    inherited.dtype.name,
    "| explicit:",
    explicit.name,
    explicit.dtype.name,
)
assert (inherited.dtype.name, explicit.dtype.name) == ("float16_ref", "float32_ref")

# %% [markdown]
# ## 2. A regularizer is collected, not added
#
# `regularizer=` on a scope makes every `get_variable` below it compute a penalty and put it
# in the `REGULARIZATION_LOSSES` collection. That is all it does: nothing adds the
# collection to a loss. Around the seed's D, a weight decay of `1e-3 * l2_loss(w)` yields
# ten penalties, one for every variable the layers make, even the moving statistics that no
# optimizer trains. The seed's D loss (here its real-image half) depends on none of them:
# minimizing it trains exactly as without the regularizer.

# %%
with tf.Graph().as_default():
    tf1.set_random_seed(10)
    x = tf1.placeholder(tf.float32, shape=[None, 28, 28, 1], name="x")
    with root_scope(regularizer=lambda w: 1e-3 * tf.nn.l2_loss(w)):
        _, logits = mnist_dcgan.discriminator(x, reuse=False)
    penalties = tf1.get_collection(KEYS.REGULARIZATION_LOSSES)
    loss_D = tf.reduce_mean(tf.nn.softplus(-logits))  # mean softplus(-D(x)), as the seed.
    loss_D_regularized = loss_D + tf1.losses.get_regularization_loss()
    reaches = penalized_variables(loss_D)
    reaches_regularized = penalized_variables(loss_D_regularized)
    kernel = tf1.get_collection(KEYS.TRAINABLE_VARIABLES, scope="discriminator/dense/kernel")[0]
    with tf1.Session(config=ONE_THREAD) as sess:
        sess.run(tf1.global_variables_initializer())
        data_gradient, regularized_gradient, kernel_value = sess.run(
            [tf.gradients(loss_D, kernel)[0], tf.gradients(loss_D_regularized, kernel)[0], kernel],
            {x: REAL},
        )
print(
    f"{len(penalties)} penalties, among them those of",
    [name for name in reaches_regularized if "moving" in name],
)
print(
    "penalties that reach loss_D:",
    len(reaches),
    "| that reach loss_D +",
    "get_regularization_loss():",
    len(reaches_regularized),
)
print(
    "the regularized gradient = data gradient + 1e-3 * w:",
    np.allclose(regularized_gradient, data_gradient + 1e-3 * kernel_value, rtol=1e-5, atol=1e-9),
)
assert len(penalties) == 10 and reaches == [] and len(reaches_regularized) == 10
assert "discriminator/batch_normalization/moving_mean" in reaches_regularized
assert np.allclose(regularized_gradient, data_gradient + 1e-3 * kernel_value, rtol=1e-5, atol=1e-9)
assert not np.allclose(regularized_gradient, data_gradient, rtol=1e-5, atol=1e-9)

# %% [markdown]
# A scope default reaches every variable made while the scope is open, not only the
# network's. Had the same `with` also enclosed the optimizers, as around the seed's whole
# `build_graph`, Adam's 32 slots would carry penalties as well; their names show lesson 5's
# empty slot name as a double slash.

# %%
with tf.Graph().as_default():
    with root_scope(regularizer=lambda w: 1e-3 * tf.nn.l2_loss(w)):
        mnist_dcgan.build_graph()
    everything = [p.name for p in tf1.get_collection(KEYS.REGULARIZATION_LOSSES)]
slots = [name for name in everything if "/Adam" in name]
print(f"{len(everything)} penalties, {len(slots)} of them on Adam slots, e.g.", slots[0])
assert (len(everything), len(slots)) == (50, 32)
assert slots[0] == "discriminator/conv2d/kernel/Adam//Regularizer/mul:0"

# %% [markdown]
# ## 3. A custom getter: float16 compute, float32 storage
#
# `custom_getter` wraps `get_variable` itself: it receives the real getter and the
# arguments, and returns whatever the network should see. One use is mixed precision:
# store every variable in float32, so that small updates are not rounded away, and hand the
# network a float16 copy. xyang35's netD asks for variables of
# its input's dtype, so fed float16 it computes in float16 over float32 variables.

# %%


def float32_storage(getter, name, shape=None, dtype=None, *args, **kwargs):
    """Create (or find) the variable in float32; give float16 callers a float16 cast."""
    variable = getter(name, shape, tf.float32, *args, **kwargs)
    return tf.cast(variable, tf.float16) if dtype == tf.float16 else variable


with tf.Graph().as_default():
    tf1.set_random_seed(10)
    x16 = tf1.placeholder(tf.float16, shape=[None, 2], name="x")
    with root_scope(custom_getter=float32_storage):
        logits16 = gaussian_gan.GAN.netD(None, x16)
    graph = tf1.get_default_graph()
    matmul_types = sorted(
        {op.get_attr("T").name for op in graph.get_operations() if op.type == "MatMul"}
    )
    stored = sorted({v.dtype.name for v in tf1.trainable_variables()})
    loss = tf.reduce_mean(tf.nn.softplus(-tf.cast(logits16, tf.float32)))
    gradient_types = sorted(
        {g.dtype.name for g, _ in tf1.train.GradientDescentOptimizer(0.1).compute_gradients(loss)}
    )
print(
    "logits:",
    logits16.dtype.name,
    "| MatMuls in:",
    matmul_types,
    "| variables stored as:",
    stored,
    "| gradients:",
    gradient_types,
)
assert (logits16.dtype.name, matmul_types) == ("float16", ["float16"])
assert stored == ["float32_ref"] and gradient_types == ["float32"]

# %% [markdown]
# Unlike the other defaults, a nested scope's `custom_getter` does not replace its parent's:
# the two compose. The inner getter runs first, and the `getter` it receives is the outer
# getter (bound to the real one), so a variable made in the inner scope passes through both.
# Two getters that only log their names show the order:

# %%
getter_calls = []


def logging_getter(tag):
    """A custom getter that notes `tag`, then hands on to whatever getter it was given."""

    def custom_getter(getter, name, *args, **kwargs):
        getter_calls.append((tag, name))
        return getter(name, *args, **kwargs)  # `getter`: the next one in line (TF's keyword).

    return custom_getter


with tf.Graph().as_default():
    with tf1.variable_scope("outer", custom_getter=logging_getter("outer getter")):
        with tf1.variable_scope("inner", custom_getter=logging_getter("inner getter")):
            tf1.get_variable("w", shape=[1])
        tf1.get_variable("u", shape=[1])
for tag, name in getter_calls:
    print(f"    {tag:13} <- get_variable({name!r})")
assert getter_calls == [
    ("inner getter", "outer/inner/w"),
    ("outer getter", "outer/inner/w"),
    ("outer getter", "outer/u"),
]

# %% [markdown]
# ## 4. Two more things a scope can hand down, in brief
#
# `tf.compat.v1.make_template(name, function)` wraps a function so that its first call
# creates variables and every later call reuses them, with no `reuse` argument: the
# function captures its variable scope, as TF-GAN's `gan_model` does by hand (lesson 2).
# Each call still gets its own name scope.

# %%
with tf.Graph().as_default():

    def body(x):
        """A one-weight discriminator with no scope and no reuse logic of its own."""
        return tf.matmul(x, tf1.get_variable("d_W", shape=[2, 1]), name="logits")

    discriminator = tf1.make_template("discriminator", body)
    x = tf1.placeholder(tf.float32, shape=[None, 2], name="x")
    first, second = discriminator(x), discriminator(x)
    template_variables = [v.name for v in tf1.global_variables()]
print("two calls:", first.name, second.name, "| variables:", template_variables)
assert (first.name, second.name) == ("discriminator/logits:0", "discriminator_1/logits:0")
assert template_variables == ["discriminator/d_W:0"]

# %% [markdown]
# A `partitioner` splits a large variable (an embedding table, say) into parts along one
# axis: `get_variable` then returns a `PartitionedVariable` whose parts are variables named
# `.../part_0`, `.../part_1`. Collections and var_lists hold the parts. The axis is the
# first by default; `fixed_size_partitioner(num_shards, axis=...)` takes another, and a
# partitioner written by hand returns how many parts each axis gets.

# %%
with tf.Graph().as_default():
    with tf1.variable_scope("embedding", partitioner=tf1.fixed_size_partitioner(2)):
        table = tf1.get_variable("w", shape=[4, 3])
    with tf1.variable_scope("by_column", partitioner=tf1.fixed_size_partitioner(2, axis=1)):
        tf1.get_variable("w", shape=[4, 3])
    parts = [(v.name, v.shape.as_list()) for v in tf1.global_variables()]
print(type(table).__name__)
for name, shape in parts:
    print(f"    {name:24} {shape}")
assert type(table).__name__ == "PartitionedVariable"
assert parts == [
    ("embedding/w/part_0:0", [2, 3]),
    ("embedding/w/part_1:0", [2, 3]),
    ("by_column/w/part_0:0", [4, 2]),
    ("by_column/w/part_1:0", [4, 1]),
]

# %% [markdown]
# ## The PyTorch way
#
# No defaults travel down a module tree. Each layer initializes itself in its
# `reset_parameters` (for `nn.Linear`, weights and bias both uniform within 1/sqrt(fan_in),
# not Glorot; the archive's ports re-initialize explicitly to match TF), weight decay is an
# optimizer argument or a term you add to the loss yourself, and mixed precision is
# `torch.autocast`, which keeps parameters in float32 and computes in a lower precision.

# %%
torch.manual_seed(10)
linear = torch.nn.Linear(4, 3)
bound = 1 / np.sqrt(4)
print(
    f"nn.Linear(4, 3): max |weight| = {linear.weight.abs().max():.3f},",
    f"max |bias| = {linear.bias.abs().max():.3f}, bound 1/sqrt(fan_in) = {bound}",
)
with torch.autocast("cpu", dtype=torch.bfloat16):
    out = linear(torch.ones(2, 4))
print("under autocast: output", out.dtype, "| weight stored as", linear.weight.dtype)
assert linear.weight.abs().max() <= bound and linear.bias.abs().max() <= bound
assert out.dtype == torch.bfloat16 and linear.weight.dtype == torch.float32

# %% [markdown]
# ## Exercises
#
# ### Exercise 10.1: predict, then run
#
# `tf1.get_variable("b", shape=[1])`, with no initializer and no scope default: what is its
# value, zero?
#
# <details><summary>Worked solution</summary>

# %%
with tf.Graph().as_default():
    tf1.set_random_seed(10)
    b = tf1.get_variable("b", shape=[1])
    with tf1.Session(config=ONE_THREAD) as sess:
        sess.run(tf1.global_variables_initializer())
        b_value = float(sess.run(b)[0])
print(
    "Exercise 10.1: zero:",
    b_value == 0.0,
    f"| within +-sqrt(3) = +-{np.sqrt(3):.3f}:",
    abs(b_value) <= np.sqrt(3),
)
assert b_value != 0.0 and abs(b_value) <= np.sqrt(3)

# %% [markdown]
# Not zero. The default is Glorot-uniform for every float variable, biases included; for a
# one-dimensional shape `[n]` both fans are n, so a `[1]` bias is drawn from U(-sqrt(3),
# sqrt(3)), a large offset. This is why the originals pass `zeros_initializer()` for each
# bias (xyang35's `d_b1`, lesson 5's `d_b`), and why `tf.layers` does it for you.
#
# </details>
#
# ### Exercise 10.2: predict, then run
#
# What are the three values?
#
# ```python
# with tf1.variable_scope("outer", initializer=tf1.constant_initializer(0.5)):
#     with tf1.variable_scope("inner"):
#         a = tf1.get_variable("a", shape=[])
#     with tf1.variable_scope("other", initializer=tf1.constant_initializer(2.0)):
#         b = tf1.get_variable("b", shape=[])
#         c = tf1.get_variable("c", shape=[], initializer=tf1.ones_initializer())
# ```
#
# <details><summary>Worked solution</summary>

# %%
with tf.Graph().as_default():
    with tf1.variable_scope("outer", initializer=tf1.constant_initializer(0.5)):
        with tf1.variable_scope("inner"):
            a = tf1.get_variable("a", shape=[])
        with tf1.variable_scope("other", initializer=tf1.constant_initializer(2.0)):
            b = tf1.get_variable("b", shape=[])
            c = tf1.get_variable("c", shape=[], initializer=tf1.ones_initializer())
    with tf1.Session(config=ONE_THREAD) as sess:
        sess.run(tf1.global_variables_initializer())
        abc = [float(v) for v in sess.run([a, b, c])]
print("Exercise 10.2: a, b, c =", abc)
assert abc == [0.5, 2.0, 1.0]

# %% [markdown]
# 0.5, 2.0 and 1.0. A nested scope inherits what it does not set (`inner`), a scope that
# sets its own overrides its parent's (`other`), and an argument of the call beats every
# scope.
#
# </details>
#
# ### Exercise 10.3: predict, then run
#
# Save the partitioned `embedding/w` of section 4 with a `Saver`. What does
# `tf.train.list_variables` show, two parts or one table?
#
# <details><summary>Worked solution</summary>

# %%
with tempfile.TemporaryDirectory() as folder, tf.Graph().as_default():
    with tf1.variable_scope("embedding", partitioner=tf1.fixed_size_partitioner(2)):
        tf1.get_variable("w", shape=[4, 3])
    with tf1.Session(config=ONE_THREAD) as sess:
        sess.run(tf1.global_variables_initializer())
        prefix = tf1.train.Saver().save(sess, f"{folder}/table.ckpt", write_meta_graph=False)
    listed = tf.train.list_variables(prefix)
print("Exercise 10.3:", listed)
assert listed == [("embedding/w", [4, 3])]

# %% [markdown]
# One table: the Saver writes the parts as slices of one tensor under the full name, so the
# checkpoint does not depend on how many parts the graph uses, and another partitioning
# (or none) restores it.
#
# </details>

# %% [markdown]
# ## Takeaways
#
# - `initializer`, `regularizer`, `dtype`, `custom_getter` and `partitioner` set on a
#   `variable_scope` are defaults for every `get_variable` below it, `tf.layers` included;
#   a nested scope may override them and an argument of the call overrides all. Custom
#   getters are the exception: nested ones compose, the inner running first and calling
#   the outer.
# - With no initializer anywhere, float variables are Glorot-uniform, biases too: pass
#   `zeros_initializer()` for biases.
# - A scope regularizer only fills `REGULARIZATION_LOSSES`; add
#   `tf.compat.v1.losses.get_regularization_loss()` to the loss, or it changes nothing. It
#   also reaches every variable made under the scope, moving statistics and Adam slots too.
# - `custom_getter` can store in float32 and compute in float16; `make_template` shares
#   without `reuse`; a `partitioner` splits a variable along one axis (the first unless
#   told otherwise) into `part_N` variables that the checkpoint joins again.
# - PyTorch: each module initializes itself, weight decay lives in the optimizer or the
#   loss, and `torch.autocast` does mixed precision with float32 parameters.
