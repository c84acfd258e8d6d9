"""Lesson 8: TF1 checkpoints are dictionaries by variable name: save, list, restore, rename.

A `tf.compat.v1.train.Saver` writes each variable's value under its name, and restores by
looking each variable's name up in the file. Everything the earlier lessons said about names
therefore decides what a checkpoint holds and whether it loads: the Adam slots and beta
powers of lesson 5, the moving statistics of lesson 7, the scopes of lessons 2 and 3. This
lesson saves the seed-002 DCGAN after one step, lists the file, restores the discriminator
alone, restores it into a renamed scope in two ways, and watches lesson 5's shifted slot
names break a restore, loudly for one name and silently for another.

Source: tf1_reference/mnist_dcgan.py (seed 002: `saver = tf.train.Saver()`,
    `saver.save(sess, "./models/gan.ckpt")`); API docstrings of `tf.compat.v1.train.Saver`
    (`var_list` as a list or a {name: variable} dict), `tf.train.list_variables` and
    `tf.compat.v1.train.init_from_checkpoint` (assignment_map); TF guide "Migrate
    checkpoints" (tensorflow/docs site/en/guide/migrate/migrating_checkpoints.ipynb);
    `torch.nn.Module.load_state_dict` (strict, missing and unexpected keys).

Run:
    python lessons/08_checkpoints_by_name.py    # ~20 s, mostly importing TensorFlow

Deviations: none: a lesson, not a reproduction. Checkpoints go to a temporary folder that is
    removed at the end; the DCGAN takes one step on seeded random "real" images (no MNIST),
    on one thread.
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
from ports import mnist_dcgan as port  # noqa: E402
from tf1_reference import mnist_dcgan  # noqa: E402

tf1_reference.setup()  # Graph mode and TF1 behaviour, for the whole process.

tf1 = tf.compat.v1
KEYS = tf1.GraphKeys
ONE_THREAD = tf1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
FOLDER = tempfile.TemporaryDirectory()  # Removed in the last cell.
rng = np.random.default_rng(8)
REAL = rng.uniform(0.0, 1.0, size=(16, 28, 28, 1)).astype(np.float32)
NOISE = rng.uniform(-1.0, 1.0, size=(16, 100)).astype(np.float32)


def not_found(error):
    """The one line of a failed restore that names the missing key."""
    return next(line for line in str(error).splitlines() if "not found in checkpoint" in line)


# %% [markdown]
# ## 1. What a Saver writes
#
# The seed builds `tf.train.Saver()` with no arguments, which means every global variable
# (lesson 7), and saves after training. Here: one D step and one G step, then `save`
# twice, with `write_meta_graph=False` and as the seed calls it, into another folder.
# `tf.train.list_variables` reads the index back: names (no `:0`) and shapes, sorted.

# %%
with tf.Graph().as_default():
    tf1.set_random_seed(8)
    g = mnist_dcgan.build_graph()
    saver = tf1.train.Saver()
    with tf1.Session(config=ONE_THREAD) as sess:
        sess.run(tf1.global_variables_initializer())
        mnist_dcgan.train_step(sess, g, REAL, NOISE)
        PREFIX = saver.save(sess, f"{FOLDER.name}/gan.ckpt", write_meta_graph=False)
        saver.save(sess, f"{FOLDER.name}/as_the_seed/gan.ckpt")  # The seed's call: the default.
        # What the saved model computes, to compare every restore below against.
        saved_logits = sess.run(g.D_logit_real, {g.real_images_placeholder: REAL})
        saved_images = sess.run(g.G, {g.z_placeholder: NOISE})
entries = dict(tf.train.list_variables(PREFIX))
kinds = {
    "weights": [n for n in entries if "/Adam" not in n and "_power" not in n and "moving" not in n],
    "Adam slots": [n for n in entries if "/Adam" in n],
    "beta powers": [n for n in entries if "_power" in n],
    "moving statistics": [n for n in entries if "moving" in n],
}
print(
    "files, write_meta_graph=False:",
    sorted(p.name for p in pathlib.Path(PREFIX).parent.glob("*") if p.is_file()),
)
print(
    "files, the default save:      ",
    sorted(p.name for p in (pathlib.Path(FOLDER.name) / "as_the_seed").iterdir()),
)
print(f"{len(entries)} entries:", {kind: len(found) for kind, found in kinds.items()})
for name in (
    "discriminator/conv2d/kernel",
    "discriminator/conv2d/kernel/Adam",
    "discriminator/conv2d/kernel/Adam_1",
    "beta1_power",
    "beta1_power_1",
):
    print(f"    {name:36} {entries[name]}")
assert sorted(p.name for p in pathlib.Path(FOLDER.name).iterdir() if p.is_file()) == [
    "checkpoint",
    "gan.ckpt.data-00000-of-00001",
    "gan.ckpt.index",
]
assert sorted(p.name for p in (pathlib.Path(FOLDER.name) / "as_the_seed").iterdir()) == [
    "checkpoint",
    "gan.ckpt.data-00000-of-00001",
    "gan.ckpt.index",
    "gan.ckpt.meta",
]
assert len(entries) == 54 and [len(v) for v in kinds.values()] == [16, 32, 4, 2]
assert entries["discriminator/conv2d/kernel/Adam_1"] == [5, 5, 1, 64]

# %% [markdown]
# The seed's own call, `saver.save(sess, path)`, writes four files: the `.index` (names,
# shapes, offsets), the `.data-00000-of-00001` (the numbers), `checkpoint`, a text file
# naming the latest prefix, and the `.meta`, the whole graph as a MetaGraphDef (ops,
# collections, the Saver's own settings), which `tf.compat.v1.train.import_meta_graph` can
# rebuild without the Python code. Only `write_meta_graph=False`, as in this lesson's other
# saves, leaves the three. A restore by name reads only the first two: the variables are
# stored by name, not by position in the graph, and that is all a restore has to go by.
#
# ## 2. Restoring the discriminator alone
#
# A `Saver` restores exactly the variables in its `var_list`. Built over everything under
# `discriminator/` (the slash of lesson 4), it restores D's weights, moving statistics and
# Adam slots into a fresh graph whose other variables keep their own initial values. (Run
# the initializer first: a restore overwrites, it does not initialize what it skips.)

# %%
with tf.Graph().as_default():
    tf1.set_random_seed(80)  # Another seed: a G and a D unlike the saved ones.
    g = mnist_dcgan.build_graph()
    d_state = tf1.get_collection(KEYS.GLOBAL_VARIABLES, scope="discriminator/")
    left_out = [
        v.op.name
        for v in tf1.global_variables()
        if v not in d_state and not v.op.name.startswith("generator/")
    ]
    with tf1.Session(config=ONE_THREAD) as sess:
        sess.run(tf1.global_variables_initializer())
        tf1.train.Saver(var_list=d_state).restore(sess, PREFIX)
        logits = sess.run(g.D_logit_real, {g.real_images_placeholder: REAL})
        images = sess.run(g.G, {g.z_placeholder: NOISE})
print(
    f"restored {len(d_state)} variables of D's; D(real) as saved:",
    np.array_equal(logits, saved_logits),
    "| G(z) as saved:",
    np.array_equal(images, saved_images),
)
print("under neither discriminator/ nor generator/, so not restored:", left_out)
assert len(d_state) == 8 + 2 + 16
assert np.array_equal(logits, saved_logits) and not np.array_equal(images, saved_images)
assert left_out == ["beta1_power", "beta2_power", "beta1_power_1", "beta2_power_1"]

# %% [markdown]
# D's weights come back exactly. Its optimizer does not, quite: the beta powers sit at the
# root here (lesson 5), so a scope-based list leaves them out and D's Adam restarts its
# bias correction. Restore them by name if training goes on.
#
# ## 3. Restoring into a renamed scope
#
# Suppose the seed's D now lives inside a bigger model, under `variable_scope("critic")`:
# its variables are `critic/discriminator/...`, and a plain `Saver()` looks for those names
# in a file that has `discriminator/...`.

# %%


def critic_graph():
    """The seed's discriminator built inside variable_scope("critic"); (input, logits)."""
    x = tf1.placeholder(tf.float32, shape=[None, 28, 28, 1], name="x")
    with tf1.variable_scope("critic"):
        _, logits = mnist_dcgan.discriminator(x, reuse=False)
    return x, logits


with tf.Graph().as_default():
    x, logits = critic_graph()
    with tf1.Session(config=ONE_THREAD) as sess:
        try:
            tf1.train.Saver().restore(sess, PREFIX)
        except tf.errors.NotFoundError as error:
            renamed_error = not_found(error)
print(f"Saver().restore: NotFoundError: {renamed_error}")
assert renamed_error == "Key critic/discriminator/batch_normalization/beta not found in checkpoint"

# %% [markdown]
# Two ways to say which name in the file goes with which variable. A `Saver` takes a
# dictionary `{name in the checkpoint: variable}` as its `var_list`; and
# `init_from_checkpoint` takes an assignment map from a scope in the file to a scope in the
# graph, and makes the initializers of the matching variables read from the file.

# %%
with tf.Graph().as_default():
    x, logits = critic_graph()
    by_old_name = {v.op.name[len("critic/") :]: v for v in tf1.global_variables()}
    with tf1.Session(config=ONE_THREAD) as sess:
        tf1.train.Saver(var_list=by_old_name).restore(sess, PREFIX)
        from_dict = sess.run(logits, {x: REAL})
with tf.Graph().as_default():
    x, logits = critic_graph()
    tf1.train.init_from_checkpoint(PREFIX, {"discriminator/": "critic/discriminator/"})
    with tf1.Session(config=ONE_THREAD) as sess:
        sess.run(tf1.global_variables_initializer())  # The initializers now read the file.
        from_map = sess.run(logits, {x: REAL})
print("two entries of the dict:", [(k, v.name) for k, v in list(by_old_name.items())[:2]])
print("Saver({old name: variable}): D(real) as saved:", np.array_equal(from_dict, saved_logits))
print(
    "init_from_checkpoint({'discriminator/': 'critic/discriminator/'}): D(real) as saved:",
    np.array_equal(from_map, saved_logits),
)
assert list(by_old_name)[0] == "discriminator/conv2d/kernel"
assert np.array_equal(from_dict, saved_logits) and np.array_equal(from_map, saved_logits)

# %% [markdown]
# The critic graph has no optimizer, so the file's Adam slots and powers are simply not
# asked for: a restore may read a subset of a checkpoint, never a name it lacks.
#
# ## 4. Lesson 5's shifted slot names, restored
#
# Lesson 5's root-scope trap, patched with `AUTO_REUSE`, named its slots `d_w/Adam_1`,
# `d_w/Adam_2`, `d_b/Adam`, `d_b/Adam_1` and its powers `beta1_power_1`, `beta2_power_1`.
# Save the same network without the trap (one call, names as Adam makes them), then restore
# that checkpoint into the trapped graph.

# %%


def discriminator(x, reuse=False):
    """Lesson 5's one-layer D, with reuse_variables() on whatever scope is current."""
    if reuse:
        tf1.get_variable_scope().reuse_variables()
    d_w = tf1.get_variable("d_w", shape=[2, 1])
    d_b = tf1.get_variable("d_b", shape=[1], initializer=tf1.zeros_initializer())
    return tf.matmul(x, d_w) + d_b


def loss_of(x):
    """A loss through D, enough for Adam to make its slots."""
    return tf.reduce_mean(tf.nn.softplus(-x))


points = rng.normal(size=(4, 2)).astype(np.float32)
with tf.Graph().as_default():
    tf1.set_random_seed(8)
    x = tf1.placeholder(tf.float32, shape=[None, 2], name="x")
    train = tf1.train.AdamOptimizer(learning_rate=1e-3).minimize(loss_of(discriminator(x)))
    with tf1.Session(config=ONE_THREAD) as sess:
        sess.run(tf1.global_variables_initializer())
        sess.run(train, {x: points})
        clean_prefix = tf1.train.Saver().save(
            sess, f"{FOLDER.name}/clean.ckpt", write_meta_graph=False
        )
clean = dict(tf.train.list_variables(clean_prefix))
print("the clean checkpoint:", sorted(clean))
assert sorted(clean) == [
    "beta1_power",
    "beta2_power",
    "d_b",
    "d_b/Adam",
    "d_b/Adam_1",
    "d_w",
    "d_w/Adam",
    "d_w/Adam_1",
]

with tf.Graph().as_default():
    x = tf1.placeholder(tf.float32, shape=[None, 2], name="x")
    loss = loss_of(discriminator(x)) + loss_of(discriminator(-x, reuse=True))
    try:
        tf1.train.AdamOptimizer(learning_rate=1e-3).minimize(loss)
    except ValueError:
        pass  # "Variable d_w/Adam/ does not exist": lesson 5.
    with tf1.variable_scope(tf1.get_variable_scope(), reuse=tf1.AUTO_REUSE):
        tf1.train.AdamOptimizer(learning_rate=1e-3).minimize(loss)
    trapped = {v.op.name: v for v in tf1.global_variables()}
    with tf1.Session(config=ONE_THREAD) as sess:
        try:
            tf1.train.Saver().restore(sess, clean_prefix)
        except tf.errors.NotFoundError as error:
            shifted_error = not_found(error)
        # The usual patch: restore only the names the file has.
        common = {name: v for name, v in trapped.items() if name in clean}
        tf1.train.Saver(var_list=common).restore(sess, clean_prefix)
        m_of_d_w = sess.run(trapped["d_w/Adam_1"])  # This graph's m slot of d_w.
reader = tf.train.load_checkpoint(clean_prefix)
print("Saver().restore: NotFoundError:", shifted_error)
print("names the file lacks:", sorted(set(trapped) - set(clean)))
print(
    "restoring the common names loads the file's v into this graph's m:",
    np.array_equal(m_of_d_w, reader.get_tensor("d_w/Adam_1")),
)
assert shifted_error == "Key beta1_power_1 not found in checkpoint"
assert sorted(set(trapped) - set(clean)) == ["beta1_power_1", "beta2_power_1", "d_w/Adam_2"]
assert np.array_equal(m_of_d_w, reader.get_tensor("d_w/Adam_1"))
assert not np.array_equal(m_of_d_w, reader.get_tensor("d_w/Adam"))

# %% [markdown]
# Three names are missing, and the restore fails naming one of them. The usual
# patch, restoring the names both sides have, runs and is worse: `d_w/Adam_1` is the second
# moment v in the file and the first moment m in the trapped graph, and nothing checks
# meanings, only names and shapes. Fix the names (lesson 5), not the restore.
#
# ## The PyTorch way
#
# A `state_dict` is also a dictionary by name, the attribute paths of lesson 3.
# `load_state_dict` is strict by default: any key missing from the file or unexpected in
# it is an error. `strict=False` loads the keys that match and returns the others as
# `missing_keys` and `unexpected_keys`, for you to check. Here the port's D is loaded from
# a state_dict whose last layer was called `logits` instead of `dense`.

# %%
torch.manual_seed(8)
saved = port.Discriminator().state_dict()
renamed = {key.replace("dense.", "logits."): value for key, value in saved.items()}
D = port.Discriminator()
try:
    D.load_state_dict(renamed)
except RuntimeError as error:
    strict_error = str(error).splitlines()
result = D.load_state_dict(renamed, strict=False)
print("strict=True:", strict_error[0])
print("strict=False: missing_keys =", result.missing_keys)
print("              unexpected_keys =", result.unexpected_keys)
loaded = torch.equal(D.conv2d.weight, saved["conv2d.weight"])
print("the matching keys were loaded:", loaded)
assert strict_error[0] == "Error(s) in loading state_dict for Discriminator:"
assert result.missing_keys == ["dense.weight", "dense.bias"]
assert result.unexpected_keys == ["logits.weight", "logits.bias"]
assert loaded

# %% [markdown]
# ## Exercises
#
# ### Exercise 8.1: predict, then run
#
# The seed-002 graph again, saved with `tf1.train.Saver(var_list=g.d_vars)`. How many
# entries does `tf.train.list_variables` list?
#
# <details><summary>Worked solution</summary>

# %%
with tf.Graph().as_default():
    tf1.set_random_seed(8)
    g = mnist_dcgan.build_graph()
    with tf1.Session(config=ONE_THREAD) as sess:
        sess.run(tf1.global_variables_initializer())
        d_prefix = tf1.train.Saver(var_list=g.d_vars).save(
            sess, f"{FOLDER.name}/d_only.ckpt", write_meta_graph=False
        )
d_entries = [name for name, _ in tf.train.list_variables(d_prefix)]
print(
    f"Exercise 8.1: {len(d_entries)} entries, moving statistics among them:",
    any("moving" in name for name in d_entries),
)
assert len(d_entries) == 8 and not any("moving" in name for name in d_entries)

# %% [markdown]
# Eight, D's trainable variables and nothing else: no Adam state and no moving statistics,
# which are not trainable (lesson 7). A graph restored from this file keeps whatever its
# initializer gives those, 0 and 1.
#
# </details>
#
# ### Exercise 8.2: predict, then run
#
# Back in PyTorch: `load_state_dict(..., strict=False)` with a `dense.weight` of shape
# (1, 10) instead of (1, 6272). Loaded, skipped, or an error?
#
# <details><summary>Worked solution</summary>

# %%
wrong_shape = dict(saved, **{"dense.weight": torch.zeros(1, 10)})
try:
    port.Discriminator().load_state_dict(wrong_shape, strict=False)
    shape_outcome = "loaded"
except RuntimeError as error:
    shape_outcome = str(error).splitlines()[1].strip()
print("Exercise 8.2:", shape_outcome)
assert shape_outcome.startswith("size mismatch for dense.weight")

# %% [markdown]
# An error, `strict=False` or not: strictness is about which keys are present, and a key
# that matches must still fit. TF1's Saver is the same: a name found with another shape
# fails the restore.
#
# </details>

# %%
FOLDER.cleanup()

# %% [markdown]
# ## Takeaways
#
# - A TF1 checkpoint maps variable names to values. `Saver()` writes every global variable:
#   for the seed-002 DCGAN 54 entries, 16 weights, 32 Adam slots, 4 beta powers and the 2
#   moving statistics. `tf.train.list_variables` shows them.
# - `saver.save` writes `.index`, `.data-*` and `checkpoint`, and by default the graph as
#   `.meta` too; `write_meta_graph=False` leaves the three that a restore by name reads.
# - A `Saver(var_list=...)` restores exactly its list: `get_collection(GLOBAL_VARIABLES,
#   scope="discriminator/")` restores D with its slots, but not its beta powers.
# - Renamed scopes restore with `Saver({old_name: variable})` or with
#   `init_from_checkpoint(prefix, {"old_scope/": "new_scope/"})`; a plain `Saver()` fails
#   with "Key ... not found in checkpoint".
# - Shifted names (lesson 5) fail loudly where a name is missing and load the wrong tensor
#   silently where a shifted name happens to exist.
# - PyTorch: `load_state_dict(strict=False)` reports `missing_keys` and `unexpected_keys`
#   instead of failing; shapes are checked either way.
