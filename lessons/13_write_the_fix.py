"""Lesson 13: write the fix: a var_list, an UPDATE_OPS dependency and a layout in a name map.

The earlier lessons showed three bugs and their cures; here you write the cures yourself.
Each exercise shows broken code on the archive's seed-002 DCGAN running and doing the wrong
thing, states the task as a function to write, and gives a check that runs any candidate:
your function or the worked solution, which the lesson itself runs and checks. The bugs
are the ones a TF1 maintainer meets most: a var_list by name substring (lesson 4), a D train
op without batch norm's update ops (lesson 7) and a TF-to-PyTorch name map with one wrong
layout (lesson 9).

Source: tf1_reference/mnist_dcgan.py (seed 002, `build_graph`); ports/mnist_dcgan.py
    (`NAME_MAP`) and ports/layouts.py; lessons 4, 7 and 9 of this course.

Run:
    python lessons/13_write_the_fix.py    # ~20 s, mostly importing TensorFlow

Deviations: none: a lesson, not a reproduction. The graph is built once from a seed and fed
    seeded random "real" images in [0, 1] (no MNIST), on one thread.
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
from ports import layouts  # noqa: E402
from ports import mnist_dcgan as port  # noqa: E402
from tf1_reference import mnist_dcgan  # noqa: E402

tf1_reference.setup()  # Graph mode and TF1 behaviour, for the whole process.

tf1 = tf.compat.v1
KEYS = tf1.GraphKeys
ONE_THREAD = tf1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
rng = np.random.default_rng(13)
REAL = rng.uniform(0.0, 1.0, size=(8, 28, 28, 1)).astype(np.float32)
NOISE = rng.uniform(-1.0, 1.0, size=(8, 100)).astype(np.float32)

tf1.reset_default_graph()
tf1.set_random_seed(13)
g = mnist_dcgan.build_graph()
FEED = {g.real_images_placeholder: REAL, g.z_placeholder: NOISE}
# One session for the whole lesson: every check starts from a fresh initialization in it and
# compares numbers of that one initialization (each run of a random initializer in a session
# draws new numbers, so two initializations differ).
SESSION = tf1.Session(config=ONE_THREAD)


def fresh_start():
    """Initialize every variable of the graph as it stands now, in SESSION; return SESSION."""
    SESSION.run(tf1.global_variables_initializer())
    return SESSION


def names(variables):
    """Names without the `:0` output suffix."""
    return [v.name.split(":")[0] for v in variables]


# %% [markdown]
# ## 1. A var_list by substring
#
# The carpedm20 convention of lesson 4, on the seed's `tf.layers` names. It builds, it runs,
# and every D step also moves the generator's transposed convolutions.

# %%
broken_d_vars = [v for v in tf1.trainable_variables() if "d_" in v.name]
print("broken D list:", names(broken_d_vars))


D_TRAIN_OPS = {}  # var_list names -> its D train op, built once.


def generator_moved_by_d_steps(var_list, steps=1):
    """Train D alone `steps` times with Adam on `var_list`; did G(z) on fixed noise change?"""
    key = tuple(names(var_list))
    if key not in D_TRAIN_OPS:
        D_TRAIN_OPS[key] = tf1.train.AdamOptimizer(2e-4).minimize(g.loss_D, var_list=var_list)
    sess = fresh_start()
    before = sess.run(g.G, FEED)
    for _ in range(steps):
        sess.run(D_TRAIN_OPS[key], FEED)
    return not np.array_equal(before, sess.run(g.G, FEED))


moved = generator_moved_by_d_steps(broken_d_vars)
print("G(z) moved by one D step with the broken list:", moved)
assert moved

# %% [markdown]
# ### Exercise 13.1: write a fix
#
# Write `discriminator_var_list()`, returning exactly the discriminator's trainable variables
# of the default graph, in creation order, whatever their layer names. `check_var_list` runs
# any candidate: the list must be D's eight variables, and a D step on it must leave
# G(z) unchanged.

# %%


def check_var_list(candidate):
    """The checks of Exercise 13.1, on `candidate()`; returns the list's names."""
    var_list = candidate()
    expected = [v for v in tf1.trainable_variables() if v.op.name.startswith("discriminator/")]
    assert var_list == expected, names(var_list)
    assert not generator_moved_by_d_steps(var_list)
    return names(var_list)


def fails(check, candidate):
    """Whether `check` rejects `candidate` (an AssertionError), as it must reject the bug."""
    try:
        check(candidate)
    except AssertionError:
        return True
    return False


print("check_var_list rejects the broken list:", fails(check_var_list, lambda: broken_d_vars))
assert fails(check_var_list, lambda: broken_d_vars)


# %% [markdown]
# <details><summary>Worked solution</summary>

# %%


def discriminator_var_list():
    """D's trainable variables: the collection under the scope, slash included (lesson 4)."""
    return tf1.get_collection(KEYS.TRAINABLE_VARIABLES, scope="discriminator/")


fixed = check_var_list(discriminator_var_list)
print(f"Exercise 13.1: {len(fixed)} variables, all under discriminator/, G(z) unchanged")

# %% [markdown]
# Filter by scope, not by substring, and end the scope with a slash: `scope=` is a regular
# expression matched at the start of the name, so `"discriminator"` alone would also take a
# `discriminator2/` network's variables.
#
# </details>
#
# ## 2. A D train op without batch norm's update ops
#
# The seed's `optimizer_D`, rebuilt as the seed builds it. Batch norm's moving statistics
# stay at 0 and 1 however many steps it takes (lesson 7).

# %%
moving_mean, moving_variance = (
    v for v in tf1.global_variables() if "moving_" in v.name and v.name.startswith("disc")
)


def moving_statistics_after_one_step(train_op, fetches=()):
    """(moving_mean, moving_variance) after one run of `train_op` from a fresh start, and the
    values of `fetches` in that run."""
    sess = fresh_start()
    _, values = sess.run([train_op, list(fetches)], FEED)
    return sess.run([moving_mean, moving_variance]) + [values]


def seed_d_train_op(loss, var_list):
    """The seed's D train op: no dependency on any update op."""
    return tf1.train.AdamOptimizer(2e-4).minimize(loss, var_list=var_list)


broken_train_D = seed_d_train_op(g.loss_D, g.d_vars)
mean, variance, _ = moving_statistics_after_one_step(broken_train_D)
assert not mean.any() and np.all(variance == 1)
print(
    "after one broken D step: mean all 0:",
    not mean.any(),
    "| variance all 1:",
    bool(np.all(variance == 1)),
)

# %% [markdown]
# ### Exercise 13.2: write a fix
#
# Write `d_train_op_with_updates(loss, var_list)`, returning a train op (Adam, learning rate
# 2e-4) that minimizes `loss` over `var_list` and also moves D's moving statistics with the
# batches of both D calls, D(real) and D(G(z)), on every run. `check_update_ops` runs a
# candidate once and compares the moving mean with batch norm's own update rule.

# %%


def check_update_ops(candidate):
    """The checks of Exercise 13.2; returns True when they pass. (Which of the two update ops
    reads the moving mean first varies from run to run, so only the bound is checked.)"""
    train_op = candidate(g.loss_D, g.d_vars)
    conv2_of_both_calls = [g.layers[call]["conv2"] for call in ("D_real", "D_fake")]
    mean, variance, conv2 = moving_statistics_after_one_step(train_op, conv2_of_both_calls)
    # Two updates of 0.01 * (batch - moving) from 0, one per D call: whichever runs first,
    # the result is 0.01 (real + fake) up to a term of 1e-4 times a batch mean.
    real, fake = (c.mean(axis=(0, 1, 2)) for c in conv2)
    slack = 1e-4 * np.maximum(np.abs(real), np.abs(fake)) + 1e-7
    assert np.all(np.abs(mean - 0.01 * (real + fake)) <= slack), "not both calls' updates"
    assert not np.all(variance == 1)
    return True


def real_batch_only(loss, var_list):
    """Lesson 7's first fix: the dependency, but only on D(real)'s update ops."""
    with tf.control_dependencies(tf1.get_collection(KEYS.UPDATE_OPS, scope="discriminator/")):
        return tf1.train.AdamOptimizer(2e-4).minimize(loss, var_list=var_list)


rejected = [
    fails(check_update_ops, candidate)
    for candidate in (lambda loss, var_list: broken_train_D, real_batch_only)
]
print("check_update_ops rejects the seed's op and the D(real)-only fix:", rejected)
assert rejected == [True, True]


# %% [markdown]
# <details><summary>Worked solution</summary>

# %%


def d_train_op_with_updates(loss, var_list):
    """D's Adam step, run after the update ops of both D calls (`discriminator/` and
    `discriminator_1/`, lesson 7's regular expression)."""
    d_updates = tf1.get_collection(KEYS.UPDATE_OPS, scope=r"discriminator(_\d+)?/")
    with tf.control_dependencies(d_updates):
        return tf1.train.AdamOptimizer(2e-4).minimize(loss, var_list=var_list)


passed = check_update_ops(d_train_op_with_updates)
print("Exercise 13.2: one step moves the moving mean with both D calls' batches:", passed)

# %% [markdown]
# The train op must be *built* inside `tf.control_dependencies(update_ops)`: a dependency is
# part of the op, so adding the collection to the fetches of one `sess.run` is not the same
# fix (any other caller of the op would miss it). And the scope filter must reach the second
# call's `discriminator_1/` ops, or only D(real)'s batch counts.
#
# </details>
#
# ## The PyTorch way
#
# The third bug is in a name map. Moving D's weights into the PyTorch port goes through one
# (lesson 9): each TF variable, its port parameter and its layout. In this copy of the
# port's map one layout is wrong. The shapes still fit, so the weights load without a
# complaint, and the port's logits are not TensorFlow's.

# %%
broken_map = {**port.NAME_MAP}
broken_map["discriminator/dense/kernel"] = ("discriminator.dense.weight", "dense")
sess = fresh_start()
TF_VALUES = dict(zip(names(g.d_vars), sess.run(g.d_vars)))
TF_LOGITS = sess.run(g.D_logit_real, FEED)


def port_logits(name_map):
    """The port's D(real) logits with D's TF weights loaded through `name_map`."""
    torch.manual_seed(13)
    D = port.Discriminator()
    with torch.no_grad():
        for name, value in TF_VALUES.items():
            path, layout = name_map[name]
            layouts.parameter({"discriminator": D}, path).copy_(
                torch.from_numpy(layouts.to_torch(layout, value))
            )
        images = torch.from_numpy(REAL).permute(0, 3, 1, 2)  # NHWC -> NCHW.
        return D(images)[1].numpy()


broken_gap = np.abs(port_logits(broken_map) - TF_LOGITS).max()
print(f"loaded with the broken map: max |logits - TF logits| = {broken_gap:.3f}")
assert broken_gap > 0.1

# %% [markdown]
# ### Exercise 13.3: write a fix
#
# Write `fixed_name_map(name_map)`, returning a corrected copy of a map like `broken_map`.
# Which entry is wrong, and what is its right layout? (Look at what the dense layer's input
# is, and ports/layouts.py.) `check_name_map` loads D through a candidate's map and holds
# the port's logits to TensorFlow's within 1e-5.

# %%


def check_name_map(candidate):
    """The checks of Exercise 13.3; returns the entries the fix changed."""
    fixed_map = candidate(dict(broken_map))
    gap = np.abs(port_logits(fixed_map) - TF_LOGITS).max()
    assert gap < 1e-5, gap
    return sorted(name for name in fixed_map if fixed_map[name] != broken_map[name])


print("check_name_map rejects the broken map:", fails(check_name_map, lambda name_map: name_map))
assert fails(check_name_map, lambda name_map: name_map)


# %% [markdown]
# <details><summary>Worked solution</summary>

# %%


def fixed_name_map(name_map):
    """D's dense kernel reads TF's flatten of a (7, 7, 128) map, in h, w, c order, where the
    port's flatten runs c, h, w: its rows must be permuted as well as transposed."""
    name_map = dict(name_map)
    name_map["discriminator/dense/kernel"] = ("discriminator.dense.weight", "dense_nhwc_in:7,7,128")
    return name_map


changed = check_name_map(fixed_name_map)
print("Exercise 13.3: fixed", changed, "-> dense_nhwc_in:7,7,128")

# %% [markdown]
# A transpose alone fits the shape ([6272, 1] -> [1, 6272]) and silently pairs each weight
# with another feature. A shape check cannot catch it; a comparison of outputs on the same
# input does, which is what `check_name_map` does and the archive's cross-check does for
# every layer.
#
# </details>

# %%
SESSION.close()

# %% [markdown]
# ## Takeaways
#
# - A var_list comes from a scope, `get_collection(TRAINABLE_VARIABLES,
#   scope="discriminator/")`, never from a substring of names.
# - Batch norm's update ops run only as control dependencies of a train op built inside
#   `tf.control_dependencies(...)`, and the filter must reach every call's name scope
#   (`r"discriminator(_\d+)?/"`).
# - A name map's layout can be wrong with every shape right: test a converted model by its
#   outputs against the original's, not by whether the weights load.
# - Each fix comes with a check that runs it: write the check first, watch it fail on the
#   broken code, then make it pass.
