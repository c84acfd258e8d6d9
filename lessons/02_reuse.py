"""Lesson 2: `reuse` in four spellings, and the four ValueErrors a lookup by name can raise.

`get_variable` inside a `variable_scope` either creates a variable or finds an existing one,
and the scope's `reuse` flag decides which. This lesson provokes all four of TensorFlow's
refusals about a name of a plain (unpartitioned) variable: "already exists, disallowed"
(reuse off), "does not exist, or was not created with tf.get_variable()" (reuse on), and,
for a variable that is found, a different shape or a different dtype. It shows the four ways
TF1 code turns reuse on: `reuse=True`, `scope.reuse_variables()` (xyang35's `netD`),
re-entering through the captured scope object, and `tf.AUTO_REUSE`, and what `AUTO_REUSE`
costs.

Source: TF1 guide "Variables", section "Sharing variables" (tensorflow/docs
    site/en/r1/guide/variables.md); API docstring of `tf.compat.v1.variable_scope`;
    xyang35/Introduction-to-GAN@59ab552 GAN-tensorflow.ipynb (netD), in
    tf1_reference/gaussian_gan.py; tensorflow/gan train.py `gan_model` (captured scope).

Run:
    python lessons/02_reuse.py    # ~20 s, mostly importing TensorFlow

Deviations: none: a lesson, not a reproduction. The one-weight discriminator is written for
    the lesson; its scope and variable names are xyang35's.
"""

# %%
import pathlib
import sys

# `python lessons/<file>.py` puts lessons/ on sys.path, not the repository root that holds
# tf1_reference; in a notebook there is no __file__ and the working folder is lessons/.
HERE = pathlib.Path(__file__).parent if "__file__" in globals() else pathlib.Path.cwd()
ROOT = str(HERE.resolve().parent)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import tensorflow as tf  # noqa: E402
import torch  # noqa: E402

import tf1_reference  # noqa: E402

tf1_reference.setup()  # Graph mode and TF1 behaviour, for the whole process.

tf1 = tf.compat.v1


def message(error):
    """The error's sentence, without the traceback TensorFlow appends ("Originally defined at")."""
    return str(error).split(" Originally defined at:")[0]


def netD(x, reuse=None):
    """A one-weight discriminator in xyang35's scope: x (B, 2) -> x d_W (B, 1)."""
    with tf1.variable_scope("discriminator", reuse=reuse):
        d_W = tf1.get_variable("d_W", shape=[2, 1])
        return tf.matmul(x, d_W)


# %% [markdown]
# ## 1. Calling the network twice without reuse
#
# The first call creates `discriminator/d_W`. The second asks `get_variable` for the same
# name with reuse off, and TensorFlow refuses instead of guessing whether we meant to share.

# %%
tf1.reset_default_graph()
x = tf1.placeholder(tf.float32, shape=[None, 2], name="x")
real_logits = netD(x)
try:
    fake_logits = netD(x)
except ValueError as error:
    already_exists = message(error)
    print(f"{type(error).__name__}: {already_exists}")
refusals = {"already exists": already_exists}  # Each kind of ValueError this lesson provokes.
assert already_exists.startswith("Variable discriminator/d_W already exists, disallowed.")
assert "Did you mean to set reuse=True or reuse=tf.AUTO_REUSE in VarScope?" in already_exists

# %% [markdown]
# ## 2. Four ways to say "reuse"
#
# Each block below gets the discriminator's weight a second time and checks that it is the
# very same Python object as the first one, `discriminator/d_W:0`.

# %%
tf1.reset_default_graph()
x = tf1.placeholder(tf.float32, shape=[None, 2], name="x")
with tf1.variable_scope("discriminator") as d_scope:
    d_W = tf1.get_variable("d_W", shape=[2, 1])
print("created:", d_W.name)

# (a) reuse=True when opening the scope by name.
with tf1.variable_scope("discriminator", reuse=True):
    by_flag = tf1.get_variable("d_W", shape=[2, 1])

# (b) xyang35's netD: open the scope, then flip it with scope.reuse_variables().
with tf1.variable_scope("discriminator") as scope:
    scope.reuse_variables()
    by_method = tf1.get_variable("d_W", shape=[2, 1])

# (c) Re-enter through the captured scope object rather than its name (TF-GAN's gan_model).
with tf1.variable_scope(d_scope, reuse=True):
    by_object = tf1.get_variable("d_W", shape=[2, 1])

# (d) AUTO_REUSE: create on the first call, reuse on every later one.
with tf1.variable_scope("discriminator", reuse=tf1.AUTO_REUSE):
    by_auto = tf1.get_variable("d_W", shape=[2, 1])

for label, variable in [
    ("reuse=True", by_flag),
    ("scope.reuse_variables()", by_method),
    ("variable_scope(d_scope, reuse=True)", by_object),
    ("reuse=tf.AUTO_REUSE", by_auto),
]:
    print(f"{label:37s} -> {variable.name}, same object: {variable is d_W}")
print("trainable variables:", [v.name for v in tf1.trainable_variables()])
assert all(v is d_W for v in (by_flag, by_method, by_object, by_auto))
assert [v.name for v in tf1.trainable_variables()] == ["discriminator/d_W:0"]

# %% [markdown]
# `AUTO_REUSE` also creates, which makes it the most forgiving spelling: the same `netD`
# works for the first and every later call, so it needs no `reuse` argument at all.

# %%
tf1.reset_default_graph()
x = tf1.placeholder(tf.float32, shape=[None, 2], name="x")
first = netD(x, reuse=tf1.AUTO_REUSE)
second = netD(x, reuse=tf1.AUTO_REUSE)
names = [v.name for v in tf1.trainable_variables()]
print("two AUTO_REUSE calls, trainable variables:", names)
assert names == ["discriminator/d_W:0"]

# %% [markdown]
# Forgiving has a cost: `AUTO_REUSE` never says which of the two it did. A typo in the scope
# name no longer fails, it quietly creates a second weight, so the "fake" call below stops
# sharing the real call's discriminator. And when it reuses, the arguments
# that only matter for creation are dropped without a word: the `initializer` and
# `trainable=False` below change nothing, the variable is the old, trainable one.

# %%
with tf.Graph().as_default():  # A graph of its own, so that section 3 finds no typo there.
    tf1.set_random_seed(2)
    x = tf1.placeholder(tf.float32, shape=[None, 2], name="x")
    real_logits = netD(x, reuse=tf1.AUTO_REUSE)
    with tf1.variable_scope("discriminater", reuse=tf1.AUTO_REUSE):  # The typo.
        fake_logits = tf.matmul(x, tf1.get_variable("d_W", shape=[2, 1]))
    with tf1.variable_scope("discriminator", reuse=tf1.AUTO_REUSE):
        zero_W = tf1.get_variable(
            "d_W", shape=[2, 1], initializer=tf1.zeros_initializer(), trainable=False
        )
    names = [v.name for v in tf1.trainable_variables()]
    zero_W_trainable = zero_W in tf1.trainable_variables()
    with tf1.Session() as sess:
        sess.run(tf1.global_variables_initializer())
        value = sess.run(zero_W)
print("after the misspelt scope, trainable variables:", names)
print(
    "asked for zeros and trainable=False, got:",
    zero_W.name,
    "| trainable:",
    zero_W_trainable,
    "| all zeros:",
    not value.any(),
)
assert names == ["discriminator/d_W:0", "discriminater/d_W:0"]
assert zero_W_trainable and value.any(), "initializer and trainable were ignored on reuse"

# %% [markdown]
# ## 3. Reuse of a variable that is not there
#
# With reuse on, `get_variable` only looks up. A name that was never created fails with the
# second error. A typo in the scope name is enough to cause it.

# %%
try:
    with tf1.variable_scope("discriminater", reuse=True):
        tf1.get_variable("d_W", shape=[2, 1])
except ValueError as error:
    does_not_exist = message(error)
    print(f"{type(error).__name__}: {does_not_exist}")
assert does_not_exist == (
    "Variable discriminater/d_W does not exist, or was not created with tf.get_variable()."
    " Did you mean to set reuse=tf.AUTO_REUSE in VarScope?"
)
refusals["does not exist"] = does_not_exist

# %% [markdown]
# The error's second half is meant literally: a variable made with `tf.Variable` inside the
# scope has the right name, but `get_variable` keeps its own store and cannot find it.

# %%
with tf1.variable_scope("wiseodd_style"):
    made_by_hand = tf.Variable(tf.zeros([2, 1]), name="D_W1")
print("made by hand:", made_by_hand.name)
try:
    with tf1.variable_scope("wiseodd_style", reuse=True):
        tf1.get_variable("D_W1", shape=[2, 1])
except ValueError as error:
    not_created_by_get_variable = message(error)
    print(f"{type(error).__name__}: {not_created_by_get_variable}")
assert made_by_hand.name == "wiseodd_style/D_W1:0"
assert not_created_by_get_variable.startswith("Variable wiseodd_style/D_W1 does not exist")

# %% [markdown]
# A variable that is found must also match: reuse checks the shape and the dtype (the
# `float32_ref` is TF1's reference variable). Reuse is also inherited: `reuse=False` inside
# a reusing scope does not switch it off again (the TF1 docstring: reuse "is inherited").

# %%
try:
    with tf1.variable_scope("discriminator", reuse=True):
        tf1.get_variable("d_W", shape=[3, 1])
except ValueError as error:
    wrong_shape = message(error)
    print(f"{type(error).__name__}: {wrong_shape}")
try:
    with tf1.variable_scope("discriminator", reuse=True):
        tf1.get_variable("d_W", shape=[2, 1], dtype=tf.float64)
except ValueError as error:
    wrong_dtype = message(error)
    print(f"{type(error).__name__}: {wrong_dtype}")
with tf1.variable_scope("discriminator", reuse=True):
    with tf1.variable_scope("inner", reuse=False):
        inherited = tf1.get_variable_scope().reuse
print("reuse inside variable_scope('inner', reuse=False) under reuse=True:", inherited)
assert wrong_shape == (
    "Trying to share variable discriminator/d_W, but specified shape (3, 1) and found shape (2, 1)."
)
assert wrong_dtype == (
    "Trying to share variable discriminator/d_W, but specified dtype float64 and found dtype "
    "float32_ref."
)
assert inherited is True
refusals.update({"shape": wrong_shape, "dtype": wrong_dtype})

# %% [markdown]
# That makes four kinds of ValueError, the four checks on a name in TF 2.21's
# `_get_single_variable`, the code behind `get_variable` for a plain variable. Its other
# ValueErrors are about arguments (a new variable without a shape, say), and partitioned
# variables have checks of their own.

# %%
print(f"{len(refusals)} kinds of ValueError provoked:", list(refusals))
assert len(refusals) == 4 and len(set(refusals.values())) == 4

# %% [markdown]
# ## The PyTorch way
#
# Nothing to reuse: a module's parameters exist from its constructor on, so a second call
# cannot create anything, and there is no lookup by name that could miss.

# %%
torch.manual_seed(2)
D = torch.nn.Linear(2, 1, bias=False)
x = torch.randn(4, 2)
real_logits, fake_logits = D(x), D(x)
print("parameters after two calls:", [name for name, _ in D.named_parameters()])
print("same logits:", torch.equal(real_logits, fake_logits))
assert [name for name, _ in D.named_parameters()] == ["weight"]

# %% [markdown]
# ## Exercises
#
# ### Exercise 2.1: predict, then run
#
# `netD` has been called with `reuse=tf.AUTO_REUSE` on 2-D points, creating
# `discriminator/d_W` of shape (2, 1). A colleague calls the same scope with
# `reuse=tf.AUTO_REUSE` for 3-D points, asking for shape (3, 1). A new variable, or an
# error?
#
# <details><summary>Worked solution</summary>

# %%
with tf.Graph().as_default():
    netD(tf1.placeholder(tf.float32, shape=[None, 2]), reuse=tf1.AUTO_REUSE)
    try:
        with tf1.variable_scope("discriminator", reuse=tf1.AUTO_REUSE):
            tf1.get_variable("d_W", shape=[3, 1])
        outcome = "a new variable"
    except ValueError as error:
        outcome = f"{type(error).__name__}: {message(error)}"
print("Exercise 2.1:", outcome)
assert outcome.startswith("ValueError: Trying to share variable discriminator/d_W, but specified")

# %% [markdown]
# An error. `AUTO_REUSE` decides only between creating and looking up; a name that exists
# is looked up, and the lookup still checks shape and dtype.
#
# </details>
#
# ### Exercise 2.2: predict, then run
#
# Inside `variable_scope("outer")`, open `variable_scope("inner")` and call
# `scope.reuse_variables()` there, as xyang35's `netD` does. After the inner block closes,
# is reuse on in `outer`?
#
# <details><summary>Worked solution</summary>

# %%
with tf.Graph().as_default():
    with tf1.variable_scope("outer"):
        with tf1.variable_scope("inner") as scope:
            scope.reuse_variables()
            inner_reuse = tf1.get_variable_scope().reuse
        outer_reuse = tf1.get_variable_scope().reuse
print("Exercise 2.2: reuse in inner:", inner_reuse, "| in outer afterwards:", outer_reuse)
assert inner_reuse is True and outer_reuse is False

# %% [markdown]
# No. `reuse_variables()` flips the scope it is called on, and the flag lives as long as
# that `with` block. This is why `netD` is safe, and why the same call on the root scope,
# which never closes, is the trap of lesson 5.
#
# </details>
#
# ### Exercise 2.3: predict, then run
#
# With reuse on, does `get_variable("d_W")` need its shape again?
#
# <details><summary>Worked solution</summary>

# %%
with tf.Graph().as_default():
    netD(tf1.placeholder(tf.float32, shape=[None, 2]))
    with tf1.variable_scope("discriminator", reuse=True):
        found = tf1.get_variable("d_W")
print("Exercise 2.3: get_variable('d_W') without a shape ->", found.name, found.shape)
assert found.name == "discriminator/d_W:0" and found.shape == (2, 1)

# %% [markdown]
# No: a lookup returns the stored variable, and a shape, if given, is only checked against
# it. Creating is what needs a shape (or an initializer that implies one).
#
# </details>

# %% [markdown]
# ## Takeaways
#
# - With reuse off, `get_variable` only creates: a second call fails with "Variable
#   discriminator/d_W already exists, disallowed."
# - With reuse on, it only looks up: a missing name, a typo in the scope, or a variable made
#   with `tf.Variable` fails with "... does not exist, or was not created with
#   tf.get_variable()"; a found variable of another shape or dtype fails too. Four kinds.
# - `reuse=True`, `scope.reuse_variables()`, the captured scope object and `tf.AUTO_REUSE`
#   all return the same variable object; reuse is inherited by inner scopes.
# - `AUTO_REUSE` never fails on existence, so a misspelt scope silently makes a second
#   network, and on reuse it ignores `initializer` and `trainable`.
# - PyTorch needs none of it: calling the same module twice is the reuse.
