"""Lesson 5: the root-scope reuse trap, and the variables `AdamOptimizer` creates.

A common TF1 slip (jonbruner/ezgan issue #2 and many GAN repositories of 2017): the
discriminator turns reuse on with `tf.get_variable_scope().reuse_variables()` but has no
`variable_scope` of its own, so it flips reuse on for the *root* scope, for good. Nothing
fails until `AdamOptimizer.minimize` tries to create its slot variables and gets
"Variable d_w/Adam/ does not exist". With the discriminator in its own scope the same code
works, and the lesson lists what Adam adds: `.../Adam`, `.../Adam_1` per variable and
`beta1_power`, `beta2_power` per optimizer.

Source: jonbruner/ezgan issue #2 (the pattern); TF1 `tf.compat.v1.train.AdamOptimizer`
    (slots `m`, `v` named `Adam`, `Adam_1`; non-slot `beta1_power`, `beta2_power`);
    docs/anchors.md section 4; the archive's seed-000 graph in
    tf1_reference/gaussian_gan.py (`build_graph`).

Run:
    python lessons/05_root_scope_reuse_trap.py    # ~20 s, mostly importing TensorFlow

Deviations: none: a lesson, not a reproduction. The one-layer discriminator is written for
    the lesson.
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

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import torch  # noqa: E402

import tf1_reference  # noqa: E402
from tf1_reference import gaussian_gan  # noqa: E402

tf1_reference.setup()  # Graph mode and TF1 behaviour, for the whole process.

tf1 = tf.compat.v1


def message(error):
    """The error's sentence, without the traceback TensorFlow appends ("Originally defined at")."""
    return str(error).split(" Originally defined at:")[0]


def losses(D_logit_real, D_logit_fake):
    """The non-saturating GAN losses on logits, as in wiseodd's and xyang35's graphs."""
    sce = tf.nn.sigmoid_cross_entropy_with_logits
    loss_D = tf.reduce_mean(sce(logits=D_logit_real, labels=tf.ones_like(D_logit_real)))
    loss_D += tf.reduce_mean(sce(logits=D_logit_fake, labels=tf.zeros_like(D_logit_fake)))
    return loss_D


# %% [markdown]
# ## 1. The trap: `reuse_variables()` on the root scope
#
# This discriminator has no scope of its own. On its second call it asks for "the current
# scope" and switches reuse on there, and the current scope is the graph's root scope.

# %%


def discriminator(x, reuse=False):
    """The slip: reuse_variables() on whatever scope is current, here the root scope."""
    if reuse:
        tf1.get_variable_scope().reuse_variables()
    d_w = tf1.get_variable("d_w", shape=[2, 1])
    d_b = tf1.get_variable("d_b", shape=[1], initializer=tf1.zeros_initializer())
    return tf.matmul(x, d_w) + d_b


tf1.reset_default_graph()
x = tf1.placeholder(tf.float32, shape=[None, 2], name="x")
G_sample = tf1.placeholder(tf.float32, shape=[None, 2], name="G_sample")
print("root scope reuse before:", tf1.get_variable_scope().reuse)
D_logit_real = discriminator(x)
D_logit_fake = discriminator(G_sample, reuse=True)
print("root scope reuse after: ", tf1.get_variable_scope().reuse)
loss_D = losses(D_logit_real, D_logit_fake)
d_vars = tf1.trainable_variables()
print("d_vars:", [v.name for v in d_vars])
try:
    tf1.train.AdamOptimizer(learning_rate=1e-3).minimize(loss_D, var_list=d_vars)
except ValueError as error:
    adam_error = message(error)
    print(f"{type(error).__name__}: {adam_error}")
assert tf1.get_variable_scope().reuse is True
assert adam_error == (
    "Variable d_w/Adam/ does not exist, or was not created with tf.get_variable()."
    " Did you mean to set reuse=tf.AUTO_REUSE in VarScope?"
)

# %% [markdown]
# The forward graph was fine, so the bug surfaces far from its cause. Adam creates its
# moment estimates `m` and `v` as new variables named after each trained variable
# (`d_w/Adam`, `d_w/Adam_1`); with reuse stuck on, creating means looking up, and the lookup
# fails. Reuse is inherited, and `reuse=False` below cannot switch it off again; only
# `AUTO_REUSE` can, because it overrides an inherited `reuse=True`:

# %%
with tf1.variable_scope("fresh", reuse=False):
    try:
        tf1.get_variable("w", shape=[1])
    except ValueError as error:
        print(f"{type(error).__name__}: {message(error)}")
        fresh_error = message(error)
with tf1.variable_scope("fresh", reuse=tf1.AUTO_REUSE):
    fresh_w = tf1.get_variable("w", shape=[1])
    auto_reuse = tf1.get_variable_scope().reuse
print("under AUTO_REUSE:", fresh_w.name, "created; the scope's reuse is", auto_reuse)
assert fresh_error.startswith("Variable fresh/w does not exist")
assert auto_reuse is tf1.AUTO_REUSE and tf1.get_variable_scope().reuse is True

# %% [markdown]
# Where does the odd name `d_w/Adam/` come from? Adam asks TF1's slot creator for each
# slot, and the slot creator opens `variable_scope(None, default_name="d_w/Adam")` and
# asks it for a variable with an *empty* name: the full name is the scope plus a slash plus
# nothing, `d_w/Adam/`, which is what reuse looked up. (A name that ends in a slash is used
# as it is for the variable's op, `d_w/Adam`.) A scope opened with a `default_name` is made
# unique by a counter kept per graph: the first gets the name, later ones `_1`, `_2`. Adam
# creates `m` and `v` both as "Adam", so `v` is the second use: `Adam_1` is that counter.

# %%
with tf.Graph().as_default():
    slot_scopes = []
    for _ in range(3):
        with tf1.variable_scope(None, default_name="d_w/Adam") as slot_scope:
            slot_scopes.append(slot_scope.name)
print("variable_scope(None, default_name='d_w/Adam') three times:", slot_scopes)
trap_graph = tf1.get_default_graph()  # The graph of the failed minimize above.
print(
    "next op name for 'd_w/Adam':",
    trap_graph.unique_name("d_w/Adam", mark_as_used=False),
    "| for 'd_b/Adam':",
    trap_graph.unique_name("d_b/Adam", mark_as_used=False),
)
assert slot_scopes == ["d_w/Adam", "d_w/Adam_1", "d_w/Adam_2"]
assert trap_graph.unique_name("d_w/Adam", mark_as_used=False) == "d_w/Adam_1"
assert trap_graph.unique_name("d_b/Adam", mark_as_used=False) == "d_b/Adam"

# %% [markdown]
# The failed `minimize` stopped at the first variable, `d_w`: it used up `d_w/Adam` (the
# scope's counter, and the op name of its name scope), while `d_b/Adam` is still free. It
# had also made Adam's `beta1_power` and `beta2_power` before the slot lookup failed. A
# workaround seen in old code, re-entering the root scope with `AUTO_REUSE` around
# `minimize`, does run, but `d_w`'s slots come out as `d_w/Adam_1` and `d_w/Adam_2` (the
# counter had passed `d_w/Adam`), while `d_b`'s are the usual `d_b/Adam` and `d_b/Adam_1`;
# beside them sit two orphan accumulators. A checkpoint of this graph no longer has the
# names a clean graph would have (lesson 8 restores one).

# %%
with tf1.variable_scope(tf1.get_variable_scope(), reuse=tf1.AUTO_REUSE):
    tf1.train.AdamOptimizer(learning_rate=1e-3).minimize(loss_D, var_list=d_vars)
debris = [v.name for v in tf1.global_variables()]
print("global variables:", debris)
assert debris == [
    "d_w:0",
    "d_b:0",
    "beta1_power:0",
    "beta2_power:0",
    "fresh/w:0",
    "beta1_power_1:0",
    "beta2_power_1:0",
    "d_w/Adam_1:0",
    "d_w/Adam_2:0",
    "d_b/Adam:0",
    "d_b/Adam_1:0",
]

# %% [markdown]
# ## 2. The fix: give the discriminator its own scope
#
# `variable_scope("discriminator", reuse=reuse)` confines the flag to the discriminator's
# scope; the root scope keeps `reuse=False` and Adam can create its slots.

# %%


def discriminator(x, reuse=False):
    """The same network inside its own variable scope."""
    with tf1.variable_scope("discriminator", reuse=reuse):
        d_w = tf1.get_variable("d_w", shape=[2, 1])
        d_b = tf1.get_variable("d_b", shape=[1], initializer=tf1.zeros_initializer())
        return tf.matmul(x, d_w) + d_b


tf1.reset_default_graph()
tf1.set_random_seed(5)
x = tf1.placeholder(tf.float32, shape=[None, 2], name="x")
G_sample = tf1.placeholder(tf.float32, shape=[None, 2], name="G_sample")
loss_D = losses(discriminator(x), discriminator(G_sample, reuse=True))
print("root scope reuse after both calls:", tf1.get_variable_scope().reuse)
d_vars = tf1.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES, scope="discriminator")
d_optim = tf1.train.AdamOptimizer(learning_rate=1e-3).minimize(loss_D, var_list=d_vars)
clean = [v.name for v in tf1.global_variables()]
print("global variables:")
for name in clean:
    print("   ", name)
assert tf1.get_variable_scope().reuse is False
assert clean == [
    "discriminator/d_w:0",
    "discriminator/d_b:0",
    "beta1_power:0",
    "beta2_power:0",
    "discriminator/d_w/Adam:0",
    "discriminator/d_w/Adam_1:0",
    "discriminator/d_b/Adam:0",
    "discriminator/d_b/Adam_1:0",
]

# %% [markdown]
# `Adam` holds the first moment m and `Adam_1` the second moment v; both are
# non-trainable, and their names sit under the variable's, whatever scope is open when
# `minimize` runs. The store key keeps the trailing slash of the empty slot name: a lookup
# of `discriminator/d_w/Adam/` finds m, one of `discriminator/d_w/Adam` finds nothing.

# %%
with tf1.variable_scope(tf1.get_variable_scope(), reuse=True):
    m_by_key = tf1.get_variable("discriminator/d_w/Adam/")
    try:
        tf1.get_variable("discriminator/d_w/Adam")
    except ValueError as error:
        no_slash_error = message(error)
print("get_variable('discriminator/d_w/Adam/') ->", m_by_key.name)
print(f"get_variable('discriminator/d_w/Adam')  -> ValueError: {no_slash_error[:55]}...")
assert m_by_key.name == "discriminator/d_w/Adam:0"
assert no_slash_error.startswith("Variable discriminator/d_w/Adam does not exist")

# %% [markdown]
# `beta1_power` and `beta2_power` hold beta1^t and beta2^t for the bias correction, one
# pair per optimizer, updated once per step. They are not slots: Adam makes them with
# `tf.Variable`, so they take the *name scope* that is current when `minimize` runs. Here
# that was the root; under `name_scope("d_train")` they are `d_train/beta1_power`, while
# the slots keep their variable-scope names.

# %%
with tf.Graph().as_default():
    with tf1.variable_scope("discriminator"):
        w = tf1.get_variable("d_w", shape=[2, 1])
    with tf1.name_scope("d_train"):
        tf1.train.AdamOptimizer(learning_rate=1e-3).minimize(tf.reduce_sum(w), var_list=[w])
    scoped = [v.name for v in tf1.global_variables()]
print("minimize under name_scope('d_train'):", scoped)
assert scoped == [
    "discriminator/d_w:0",
    "d_train/beta1_power:0",
    "d_train/beta2_power:0",
    "discriminator/d_w/Adam:0",
    "discriminator/d_w/Adam_1:0",
]

# %%
points = np.random.default_rng(5).normal(size=(4, 2)).astype(np.float32)
beta1_power = [v for v in tf1.global_variables() if v.name == "beta1_power:0"][0]
trainable = [v.name for v in tf1.trainable_variables()]
with tf1.Session() as sess:
    sess.run(tf1.global_variables_initializer())
    powers = [sess.run(beta1_power)]
    for _ in range(2):
        sess.run(d_optim, {x: points, G_sample: -points})
        powers.append(sess.run(beta1_power))
print("trainable variables:", trainable)
print("beta1_power before and after two steps:", [round(float(p), 6) for p in powers])
assert trainable == ["discriminator/d_w:0", "discriminator/d_b:0"]
assert np.allclose(powers, [0.9, 0.81, 0.729])

# %% [markdown]
# ## 3. The archive's GAN: two optimizers, two pairs of accumulators
#
# `tf1_reference.gaussian_gan.build_graph` gives D and G an Adam optimizer each; below they
# are built the same way, keeping the optimizer objects. The second optimizer's
# accumulators become `beta1_power_1` and `beta2_power_1`: names are uniquified, so the
# name does not say whose they are. The optimizer does: `opt.variables()` lists the
# variables that one optimizer made, its slots and its pair of powers.

# %%
tf1.reset_default_graph()
hp = gaussian_gan.HParams()
gan = gaussian_gan.GAN()
d_opt = tf1.train.AdamOptimizer(learning_rate=hp.lr_D)
d_optim = d_opt.minimize(gan.loss_D, var_list=gan.d_vars)
g_opt = tf1.train.AdamOptimizer(learning_rate=hp.lr_G)
g_optim = g_opt.minimize(gan.loss_G, var_list=gan.g_vars)
added = [v.name for v in tf1.global_variables() if v not in tf1.trainable_variables()]
print(f"{len(tf1.trainable_variables())} trainable variables; Adam added {len(added)}:")
for name in added:
    print("   ", name)
powers = {
    label: [v.name for v in opt.variables() if "power" in v.name]
    for label, opt in (("D's Adam", d_opt), ("G's Adam", g_opt))
}
print("opt.variables(), the powers:", powers)
assert len(added) == 2 * 8 + 4
assert [n for n in added if "power" in n] == [
    "beta1_power:0",
    "beta2_power:0",
    "beta1_power_1:0",
    "beta2_power_1:0",
]
assert powers == {
    "D's Adam": ["beta1_power:0", "beta2_power:0"],
    "G's Adam": ["beta1_power_1:0", "beta2_power_1:0"],
}
assert len(d_opt.variables()) == 2 + 2 * len(gan.d_vars)

# %% [markdown]
# ## The PyTorch way
#
# `torch.optim.Adam` keeps its state in a dictionary keyed by the parameter objects, filled
# lazily on the first `step()`: `exp_avg` (m), `exp_avg_sq` (v) and a per-parameter `step`
# count instead of shared beta powers. No names, no scopes, nothing to collide with.

# %%
torch.manual_seed(5)
D = torch.nn.Linear(2, 1)
optimizer = torch.optim.Adam(D.parameters(), lr=1e-3)
print("state before the first step:", len(optimizer.state), "entries")
loss = torch.nn.functional.softplus(-D(torch.from_numpy(points))).mean()
loss.backward()
optimizer.step()
for name, parameter in D.named_parameters():
    print(f"state of {name}:", sorted(optimizer.state[parameter]))
assert sorted(optimizer.state[D.weight]) == ["exp_avg", "exp_avg_sq", "step"]

# %% [markdown]
# ## Exercises
#
# ### Exercise 5.1: predict, then run
#
# In a clean graph, a second `AdamOptimizer` minimizes the same loss over the same
# discriminator variable. What are the names of its slots and its beta powers?
#
# <details><summary>Worked solution</summary>

# %%
with tf.Graph().as_default():
    with tf1.variable_scope("discriminator"):
        d_w = tf1.get_variable("d_w", shape=[2, 1])
    loss = tf.reduce_sum(d_w)
    tf1.train.AdamOptimizer(learning_rate=1e-3).minimize(loss, var_list=[d_w])
    second = tf1.train.AdamOptimizer(learning_rate=1e-3)
    second.minimize(loss, var_list=[d_w])
    second_names = sorted(v.name for v in second.variables())
print("Exercise 5.1:", second_names)
assert second_names == [
    "beta1_power_1:0",
    "beta2_power_1:0",
    "discriminator/d_w/Adam_2:0",
    "discriminator/d_w/Adam_3:0",
]

# %% [markdown]
# `discriminator/d_w/Adam_2` and `Adam_3`, `beta1_power_1` and `beta2_power_1`. Each slot
# opens `variable_scope(None, default_name="discriminator/d_w/Adam")`, whose counter the
# first optimizer had taken to 2; the powers are uniquified like any `tf.Variable`.
#
# </details>
#
# ### Exercise 5.2: predict, then run
#
# `AdamOptimizer(learning_rate=1e-3, name="D_Adam")`: which names change?
#
# <details><summary>Worked solution</summary>

# %%
with tf.Graph().as_default():
    with tf1.variable_scope("discriminator"):
        d_w = tf1.get_variable("d_w", shape=[2, 1])
    tf1.train.AdamOptimizer(learning_rate=1e-3, name="D_Adam").minimize(
        tf.reduce_sum(d_w), var_list=[d_w]
    )
    named = [v.name for v in tf1.global_variables()][1:]
print("Exercise 5.2:", named)
assert named == [
    "beta1_power:0",
    "beta2_power:0",
    "discriminator/d_w/D_Adam:0",
    "discriminator/d_w/D_Adam_1:0",
]

# %% [markdown]
# The slots, `d_w/D_Adam` and `d_w/D_Adam_1`: the optimizer's name is the slot name. The
# beta powers keep theirs, so two optimizers still tell their pairs apart only by `_1`
# (or by `opt.variables()`).
#
# </details>

# %% [markdown]
# ## Takeaways
#
# - `tf.get_variable_scope().reuse_variables()` outside a scope of your own turns reuse on
#   for the root scope, for the rest of the graph; inner `reuse=False` cannot undo it.
# - The failure appears later, in `AdamOptimizer.minimize`: "Variable d_w/Adam/ does not
#   exist, or was not created with tf.get_variable()".
# - Only `AUTO_REUSE` overrides the inherited flag. Patching around the trap with it runs,
#   but leaves orphan `beta1_power`/`beta2_power` and shifted slot names for the first
#   variable (`d_w/Adam_1`, `d_w/Adam_2`): the failed attempt advanced the counter of
#   `variable_scope(None, default_name="d_w/Adam")`. Fix the cause: one `variable_scope` per
#   network.
# - Adam adds two slots per trained variable (`.../Adam` = m, `.../Adam_1` = v, the same
#   default name counted twice) and one pair `beta1_power`, `beta2_power` per optimizer
#   (`_1` for the second), under the name scope current at `minimize`; `opt.variables()`
#   says which pair is whose.
# - PyTorch's Adam keeps `exp_avg`, `exp_avg_sq` and `step` per parameter object.
