"""Lesson 3: `name_scope` versus `variable_scope`, and how TensorFlow makes op names unique.

A TF1 graph holds two kinds of names: variable names, which `get_variable` looks up and which
must stay stable so that reuse and checkpoints work, and op names, which only have to be
unique. `variable_scope` prefixes both; `name_scope` prefixes ops and `tf.Variable` but is
ignored by `get_variable`. Op names are made unique with `_1`, `_2` suffixes, so the second
call of xyang35's `netD` puts its ops under `discriminator_1/` while reading the variables
of `discriminator/`, and even a failed call uses up a suffix.

Source: TF1 guides "Variables" (sharing variables) and "Graphs and Sessions" (naming
    operations), tensorflow/docs site/en/r1/guide/variables.md and graphs.md;
    Stack Overflow q 35919020 "What's the difference of name scope and a variable scope in
    tensorflow?"; xyang35/Introduction-to-GAN@59ab552 netD, in tf1_reference/gaussian_gan.py.

Run:
    python lessons/03_name_scope_vs_variable_scope.py    # ~20 s, mostly importing TensorFlow

Deviations: none: a lesson, not a reproduction.
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
from tf1_reference import gaussian_gan  # noqa: E402

tf1_reference.setup()  # Graph mode and TF1 behaviour, for the whole process.

tf1 = tf.compat.v1

# %% [markdown]
# ## 1. Op names are made unique
#
# The "Graphs and Sessions" guide: asking twice for the op name `c` gives `c` and `c_1`;
# a name scope prefixes the name, and a name scope opened twice becomes `inner` and `inner_1`.

# %%
tf1.reset_default_graph()
c = tf.constant(1.0, name="c")
c_again = tf.constant(1.0, name="c")
with tf1.name_scope("outer"):
    with tf1.name_scope("inner"):
        inner_c = tf.constant(1.0, name="c")
    with tf1.name_scope("inner"):
        inner_c_again = tf.constant(1.0, name="c")
op_names = [t.name for t in (c, c_again, inner_c, inner_c_again)]
print(op_names)
assert op_names == ["c:0", "c_1:0", "outer/inner/c:0", "outer/inner_1/c:0"]

# %% [markdown]
# ## 2. What each scope prefixes
#
# Inside `name_scope("ns")`, `get_variable` ignores the scope; `tf.Variable` and ops take it.
# Inside `variable_scope("vs")`, all three are prefixed.

# %%
tf1.reset_default_graph()
with tf1.name_scope("ns"):
    v3 = tf1.get_variable("v3", shape=[])
    v4 = tf.Variable(1.0, name="v4")
    addop = tf.add(v3, v4, name="addop")
with tf1.variable_scope("vs"):
    v5 = tf1.get_variable("v5", shape=[])
    v6 = tf.Variable(1.0, name="v6")
    addop_vs = tf.add(v5, v6, name="addop")
print(
    "name_scope('ns'):     get_variable ->",
    v3.name,
    "| tf.Variable ->",
    v4.name,
    "| op ->",
    addop.name,
)
print(
    "variable_scope('vs'): get_variable ->",
    v5.name,
    "| tf.Variable ->",
    v6.name,
    "| op ->",
    addop_vs.name,
)
assert (v3.name, v4.name, addop.name) == ("v3:0", "ns/v4:0", "ns/addop:0")
assert (v5.name, v6.name, addop_vs.name) == ("vs/v5:0", "vs/v6:0", "vs/addop:0")

# %% [markdown]
# Only `get_variable` names are looked up rather than made unique. A `tf.Variable` is named
# like an op: a second one of the same name gets `_1` (lesson 1's `D_W_1`), and one made in
# a re-entered variable scope lands in that scope's new name scope, `net_1/`.

# %%
with tf1.variable_scope("net"):
    w = tf1.get_variable("w", shape=[])
    v = tf.Variable(1.0, name="v")
    v_again = tf.Variable(1.0, name="v")
with tf1.variable_scope("net", reuse=True):
    w_reentered = tf1.get_variable("w", shape=[])
    v_reentered = tf.Variable(1.0, name="v")
print("tf.Variable('v') three times:", [x.name for x in (v, v_again, v_reentered)])
print(
    "get_variable('w') twice:", [x.name for x in (w, w_reentered)], "same object:", w_reentered is w
)
assert [x.name for x in (v, v_again, v_reentered)] == ["net/v:0", "net/v_1:0", "net_1/v:0"]
assert w_reentered is w and w.name == "net/w:0"

# %% [markdown]
# This is why the TF1 guide builds networks with `variable_scope`: a `name_scope` alone
# would give every layer's `get_variable("weights")` the same bare name `weights`, and the
# second layer would collide with the first.

# %%
tf1.reset_default_graph()
try:
    for layer in ("layer1", "layer2"):
        with tf1.name_scope(layer):
            tf1.get_variable("weights", shape=[2, 2])
except ValueError as error:
    collision = str(error).split(" Originally defined at:")[0]
    print(f"{type(error).__name__}: {collision}")
assert collision.startswith("Variable weights already exists, disallowed.")

# %% [markdown]
# ## 3. The second `netD` call: shared variables, new op names
#
# xyang35's `GAN` calls `netD` twice, re-entering `variable_scope("discriminator")` by name.
# The variable scope is the same, so `get_variable` finds `discriminator/d_W1`; but the
# variable scope opens a name scope too, and that one is made unique like any op name.

# %%
tf1.reset_default_graph()
gan = gaussian_gan.GAN()
graph = tf1.get_default_graph()
matmuls = [op.name for op in graph.get_operations() if op.type == "MatMul"]
print("MatMul ops:", matmuls)
print("variables read by the first MatMul of each netD call:")
for name in ("discriminator/MatMul", "discriminator_1/MatMul"):
    print("   ", name, "<-", graph.get_operation_by_name(name).inputs[1].op.inputs[0].name)
assert matmuls == ["generator/MatMul"] + [
    f"discriminator{suffix}/MatMul{op}" for suffix in ("", "_1") for op in ("", "_1", "_2")
]

# %% [markdown]
# The second input of each MatMul is a read of the variable (`.../read`, TF1's reference
# variables); both calls read `discriminator/d_W1`.
#
# ## 4. A failed attempt still uses up a suffix
#
# The name scope is opened *before* `get_variable` runs. So a call that fails with "already
# exists" has already taken `discriminator_1`, and the next, successful call lands in
# `discriminator_2/`. Looking for `discriminator_1/` ops in TensorBoard finds nothing.

# %%


def netD(x, reuse=None):
    """A one-weight discriminator in xyang35's scope: x (B, 2) -> x d_W (B, 1)."""
    with tf1.variable_scope("discriminator", reuse=reuse):
        d_W = tf1.get_variable("d_W", shape=[2, 1])
        return tf.matmul(x, d_W, name="logits")


tf1.reset_default_graph()
x = tf1.placeholder(tf.float32, shape=[None, 2], name="x")
real_logits = netD(x)
try:
    netD(x)
except ValueError as error:
    print("second call without reuse:", type(error).__name__)
fake_logits = netD(x, reuse=True)
graph = tf1.get_default_graph()
print("real_logits:", real_logits.name)
print("fake_logits:", fake_logits.name)
print(
    "ops under discriminator_1/:",
    [op.name for op in graph.get_operations() if op.name.startswith("discriminator_1/")],
)
print("next free name:", graph.unique_name("discriminator", mark_as_used=False))
assert real_logits.name == "discriminator/logits:0"
assert fake_logits.name == "discriminator_2/logits:0"
assert not [op for op in graph.get_operations() if op.name.startswith("discriminator_1/")]

# %% [markdown]
# ## 5. Getting the original name scope back
#
# Re-entering a variable scope opens a fresh name scope *by default*. When the ops of a later
# call should sit beside the first call's (one block in TensorBoard), the
# `tf.compat.v1.variable_scope` docstring gives the way: re-enter the captured scope with
# `auxiliary_name_scope=False`, so that no new name scope is opened, and open its
# `original_name_scope` (the string `"discriminator/"`, whose trailing slash makes
# `name_scope` take it as it is instead of making it unique).

# %%
tf1.reset_default_graph()
x = tf1.placeholder(tf.float32, shape=[None, 2], name="x")
with tf1.variable_scope("discriminator") as d_scope:
    real_logits = tf.matmul(x, tf1.get_variable("d_W", shape=[2, 1]), name="logits")
with tf1.variable_scope(d_scope, reuse=True, auxiliary_name_scope=False) as scope:
    with tf1.name_scope(scope.original_name_scope):
        fake_logits = tf.matmul(x, tf1.get_variable("d_W", shape=[2, 1]), name="logits")
print("original_name_scope:", repr(d_scope.original_name_scope))
print("real_logits:", real_logits.name, "| fake_logits:", fake_logits.name)
assert d_scope.original_name_scope == "discriminator/"
assert real_logits.name == "discriminator/logits:0"
assert fake_logits.name == "discriminator/logits_1:0"

# %% [markdown]
# ## The PyTorch way
#
# PyTorch has no graph-wide names. A parameter's name is its attribute path in the module
# tree (`named_parameters()`), fixed when the module is built, and it is the same however
# often the module is called. What `name_scope` did for TensorBoard, labels in a profiler
# trace (`torch.profiler.record_function`) do for timing; they never touch parameters.

# %%
D = torch.nn.Sequential()
D.add_module("discriminator", torch.nn.Linear(2, 1, bias=False))
x = torch.zeros(4, 2)
for _ in range(3):
    D(x)
names = [name for name, _ in D.named_parameters()]
print("parameters after three calls:", names)
assert names == ["discriminator.weight"]

# %% [markdown]
# ## Exercises
#
# ### Exercise 3.1: predict, then run
#
# What are the names of the variable and of the op?
#
# ```python
# with tf1.name_scope("ns"):
#     with tf1.variable_scope("vs"):
#         w = tf1.get_variable("w", shape=[])
#         total = tf.add(w, 1.0, name="add")
# ```
#
# <details><summary>Worked solution</summary>

# %%
with tf.Graph().as_default():
    with tf1.name_scope("ns"):
        with tf1.variable_scope("vs"):
            w = tf1.get_variable("w", shape=[])
            total = tf.add(w, 1.0, name="add")
print("Exercise 3.1:", w.name, total.name)
assert (w.name, total.name) == ("vs/w:0", "ns/vs/add:0")

# %% [markdown]
# `vs/w:0` and `ns/vs/add:0`. The variable scope opens a name scope inside the current one,
# so ops get both prefixes; `get_variable` ignores name scopes and takes only `vs/`.
#
# </details>
#
# ### Exercise 3.2: predict, then run
#
# Section 5 re-entered the *captured* scope with `auxiliary_name_scope=False`. What if the
# scope is re-entered by its *name*, with `auxiliary_name_scope=False` and nothing else:
# where does an op made inside land?
#
# <details><summary>Worked solution</summary>

# %%
with tf.Graph().as_default():
    with tf1.variable_scope("discriminator"):
        tf1.get_variable("d_W", shape=[2, 1])
    with tf1.variable_scope("discriminator", reuse=True, auxiliary_name_scope=False) as scope:
        d_W = tf1.get_variable("d_W", shape=[2, 1])
        doubled = tf.multiply(d_W, 2.0, name="doubled")
print("Exercise 3.2:", doubled.name, "| original_name_scope:", repr(scope.original_name_scope))
assert doubled.name == "doubled:0" and d_W.name == "discriminator/d_W:0"

# %% [markdown]
# At the root, `doubled:0`. `auxiliary_name_scope=False` opens no name scope at all, so ops
# take whatever name scope is current, here none; the variable scope still finds
# `discriminator/d_W`. Opened by name, the scope does not know its first name scope either
# (`original_name_scope` is empty), which is why the idiom re-enters the captured object.
#
# </details>

# %% [markdown]
# ## Takeaways
#
# - `variable_scope` prefixes variables made by `get_variable` and ops; `name_scope` prefixes
#   ops and `tf.Variable` only: `get_variable("v3")` inside `name_scope("ns")` is `v3`.
# - Op names are uniquified (`c`, `c_1`; `discriminator/`, `discriminator_1/`), and so are
#   `tf.Variable` names (`net/v_1`, `net_1/v`). Names made by `get_variable` are not, they
#   are looked up, which is what makes sharing work.
# - Re-entering a variable scope reuses its variables but, by default, opens a new name
#   scope, and a failed call uses up a suffix: after one error the next `netD` ops sit in
#   `discriminator_2/`. `auxiliary_name_scope=False` plus
#   `name_scope(scope.original_name_scope)` puts a later call's ops back in the first one's.
# - In PyTorch names are attribute paths of the module tree, fixed at construction.
