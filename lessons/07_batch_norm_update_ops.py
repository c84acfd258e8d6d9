"""Lesson 7: batch norm's moving statistics, the UPDATE_OPS collection, and the seed-002 DCGAN.

The seed-002 DCGAN normalises its discriminator with `tf.layers.batch_normalization`. Batch
norm keeps two kinds of variables: `gamma` and `beta`, trained by the optimizer, and the
moving mean and variance, which no optimizer touches. TF1 updates those with assign ops that
it puts in the `UPDATE_OPS` collection and never runs by itself: the seed never runs them, so
its moving statistics stay at 0 and 1 for good. The fix is a control dependency of the train
op on those ops, and its filter needs care: the update ops of D's second call live under
`discriminator_1/`, where the var_list filter of lesson 4 does not look.

Source: tf1_reference/mnist_dcgan.py (seed 002, `build_graph`; originals.md section 3.3, bug
    10: "UPDATE_OPS not run"); API docstring of `tf.compat.v1.layers.batch_normalization`
    (the `control_dependencies(get_collection(UPDATE_OPS))` note);
    ports/mnist_dcgan_networks.py for the PyTorch side; torch.nn.BatchNorm2d documentation
    (buffers, train and eval).

Run:
    python lessons/07_batch_norm_update_ops.py    # ~20 s, mostly importing TensorFlow

Deviations: none: a lesson, not a reproduction. The DCGAN takes three steps on seeded random
    "real" images in [0, 1] (no MNIST needed), on one thread so that the printed numbers
    repeat exactly.
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
from ports import mnist_dcgan as port  # noqa: E402
from tf1_reference import mnist_dcgan  # noqa: E402

tf1_reference.setup()  # Graph mode and TF1 behaviour, for the whole process.

tf1 = tf.compat.v1
KEYS = tf1.GraphKeys
# One thread: the same sums in the same order on every run, so the printed numbers repeat.
ONE_THREAD = tf1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)


def names(items):
    """Names without the `:0` output suffix, for short lines."""
    return [item.name.split(":")[0] for item in items]


# %% [markdown]
# ## 1. Global and trainable variables
#
# `tf.compat.v1.global_variables()` is every variable of the graph: what the initializer
# sets and what a `Saver` writes. `trainable_variables()` is the subset an optimizer may
# take by default. On the seed's graph the difference is Adam's state (lesson 5) and batch
# norm's two moving statistics.

# %%
tf1.reset_default_graph()
tf1.set_random_seed(7)
hp = mnist_dcgan.HParams()
g = mnist_dcgan.build_graph(hp)
global_vars, trainable = tf1.global_variables(), tf1.trainable_variables()
not_trainable = [v for v in global_vars if v not in trainable]
adam_state = [v for v in not_trainable if "/Adam" in v.name or "_power" in v.name]
batch_norm_state = [v for v in not_trainable if v not in adam_state]
print(f"{len(global_vars)} global variables, {len(trainable)} trainable")
print(f"not trainable: {len(adam_state)} of Adam's, and", names(batch_norm_state))
print("batch norm's trainable pair:", [n for n in names(trainable) if "batch_norm" in n])
assert (len(global_vars), len(trainable), len(adam_state)) == (54, 16, 2 * 16 + 4)
assert names(batch_norm_state) == [
    "discriminator/batch_normalization/moving_mean",
    "discriminator/batch_normalization/moving_variance",
]
assert [n for n in names(trainable) if "batch_norm" in n] == [
    "discriminator/batch_normalization/gamma",
    "discriminator/batch_normalization/beta",
]

# %% [markdown]
# ## 2. Who updates the moving statistics: `UPDATE_OPS`, if anyone runs it
#
# In training mode batch norm normalises with the batch's own mean and variance, and it
# also builds two assign ops that move the moving statistics towards them:
# `moving = 0.99 * moving + 0.01 * batch` (momentum 0.99). Nothing depends on those ops;
# TF1 files them in the `UPDATE_OPS` collection and leaves running them to the user.
# D is called twice, so there are four.

# %%
update_ops = tf1.get_collection(KEYS.UPDATE_OPS)
print("UPDATE_OPS:")
for name in names(update_ops):
    print("   ", name)
assert names(update_ops) == [
    f"discriminator{call}/batch_normalization/AssignMovingAvg{which}"
    for call in ("", "_1")
    for which in ("", "_1")
]

# %% [markdown]
# The seed's step runs `optimizer_D` and `optimizer_G` and nothing else. After three steps
# the moving statistics are still what the initializer made: zeros and ones.

# %%
rng = np.random.default_rng(7)
batch = 16
real_batches = rng.uniform(0.0, 1.0, size=(3, batch, 28, 28, 1)).astype(np.float32)
noise_batches = rng.uniform(-1.0, 1.0, size=(3, batch, hp.noise_dim)).astype(np.float32)
moving_mean, moving_variance = batch_norm_state
init = tf1.global_variables_initializer()

with tf1.Session(config=ONE_THREAD) as sess:
    sess.run(init)
    for real, noise in zip(real_batches, noise_batches):
        mnist_dcgan.train_step(sess, g, real, noise)
    mean_after, variance_after = sess.run([moving_mean, moving_variance])
print(
    "after three seed steps: moving_mean all 0:",
    not mean_after.any(),
    "| moving_variance all 1:",
    bool(np.all(variance_after == 1.0)),
)
assert not mean_after.any() and np.all(variance_after == 1.0)

# %% [markdown]
# Harmless in the seed, which always calls batch norm with `training=True` and so never
# reads them. But anyone who evaluates that D with `training=False`, or exports it, gets a
# normalisation by mean 0 and variance 1, and that is not the identity: the layer still
# divides by sqrt(1 + epsilon) and applies the trained `gamma` and `beta`, so the output is
# `gamma * x / sqrt(1.001) + beta`. Here on four values, with `gamma` 2 and `beta` 0.5 as
# training might have left them:

# %%
with tf.Graph().as_default():
    values = tf1.placeholder(tf.float32, shape=[4, 1])
    inference = tf1.layers.batch_normalization(
        values,
        training=False,
        gamma_initializer=tf1.constant_initializer(2.0),
        beta_initializer=tf1.constant_initializer(0.5),
    )
    four = np.array([0.0, 10.0, 20.0, 30.0], np.float32).reshape(4, 1)
    with tf1.Session(config=ONE_THREAD) as sess:
        sess.run(tf1.global_variables_initializer())
        inferred = sess.run(inference, {values: four})
expected = 2.0 * four / np.sqrt(1.0 + 1e-3) + 0.5
print("training=False on 0, 10, 20, 30:", ", ".join(f"{v:.4f}" for v in inferred.ravel()))
print(
    "equal to the input:",
    np.array_equal(inferred, four),
    "| to gamma x / sqrt(1.001) + beta:",
    np.allclose(inferred, expected, rtol=1e-6),
)
assert not np.array_equal(inferred, four) and np.allclose(inferred, expected, rtol=1e-6)

# %% [markdown]
# ## 3. The fix: make D's train op depend on the update ops
#
# The `batch_normalization` docstring gives the recipe: build the train op inside
# `tf.control_dependencies(update_ops)`, so that every D step first runs the updates. Here
# it is added to the seed's graph as a second D train op, with the filter that lesson 4
# recommends for var_lists, `scope="discriminator/"`.

# %%
d_updates = tf1.get_collection(KEYS.UPDATE_OPS, scope="discriminator/")
with tf.control_dependencies(d_updates):
    optimizer_D_fixed = tf1.train.AdamOptimizer(hp.learning_rate).minimize(
        g.loss_D, var_list=g.d_vars
    )
init = tf1.global_variables_initializer()
real, noise = real_batches[0], noise_batches[0]
feed = {g.real_images_placeholder: real, g.z_placeholder: noise}
with tf1.Session(config=ONE_THREAD) as sess:
    sess.run(init)
    conv2_real = sess.run(g.layers["D_real"]["conv2"], feed)  # What D(real)'s batch norm sees.
    sess.run(optimizer_D_fixed, feed)
    mean_after, variance_after = sess.run([moving_mean, moving_variance])
batch_mean = conv2_real.mean(axis=(0, 1, 2))
count = conv2_real.size // conv2_real.shape[-1]  # Values per channel: 16 images x 7 x 7.
batch_variance = conv2_real.var(axis=(0, 1, 2)) * count / (count - 1)  # See the next cell.
print("update ops the filter found:", names(d_updates))
print(f"after one fixed D step: max |moving_mean| = {np.abs(mean_after).max():.2e}")
print(
    "moving_mean     == 0.01 * batch mean of D(real):",
    np.allclose(mean_after, 0.01 * batch_mean, rtol=1e-5, atol=1e-9),
)
print(
    "moving_variance == 0.99 + 0.01 * batch variance of D(real):",
    np.allclose(variance_after, 0.99 + 0.01 * batch_variance, rtol=1e-6, atol=0),
)
assert names(d_updates) == names(update_ops)[:2]
assert np.abs(mean_after).max() > 1e-4
assert np.allclose(mean_after, 0.01 * batch_mean, rtol=1e-5, atol=1e-9)
assert np.allclose(variance_after, 0.99 + 0.01 * batch_variance, rtol=1e-6, atol=0)

# %% [markdown]
# Which batch variance: the sum of squares divided by n, or by n - 1 (Bessel's correction,
# used above)? With 784 values per channel the two are too close to tell apart in the check
# above. Four values, 0, 10, 20 and 30, tell: their variance is 125 divided by n and 166.67
# divided by n - 1, so one update gives 2.24 or 2.6567. And the answer depends on the path
# the layer takes. A 4-D input normally takes the fused kernel (`FusedBatchNormV3`, the
# seed's case), which applies the correction; `fused=False` and a 2-D input (after a dense
# layer, where no fused kernel exists) take the plain path, which divides by n.

# %%


def moving_variance_after_one_update(shape, fused=None):
    """moving_variance after one update on 0, 10, 20, 30 in `shape`, and the fused op's use."""
    with tf.Graph().as_default() as graph:
        values = tf1.placeholder(tf.float32, shape=shape)
        tf1.layers.batch_normalization(values, training=True, fused=fused)
        four_values = np.array([0.0, 10.0, 20.0, 30.0], np.float32).reshape(shape)
        with tf1.Session(config=ONE_THREAD) as sess:
            sess.run(tf1.global_variables_initializer())
            sess.run(tf1.get_collection(KEYS.UPDATE_OPS), {values: four_values})
            variance = float(sess.run(tf1.global_variables()[-1])[0])
        fused_op = any(op.type.startswith("FusedBatchNorm") for op in graph.get_operations())
    return variance, fused_op


paths = {
    "4-D, fused (the seed's)": moving_variance_after_one_update([1, 2, 2, 1]),
    "4-D, fused=False": moving_variance_after_one_update([1, 2, 2, 1], fused=False),
    "2-D, after a dense layer": moving_variance_after_one_update([4, 1]),
}
for path, (variance, fused_op) in paths.items():
    print(
        f"moving_variance after one update on 0, 10, 20, 30, {path:25} {variance:.4f}"
        f" | FusedBatchNorm op: {fused_op}"
    )
tiny_variance = paths["4-D, fused (the seed's)"][0]
assert abs(tiny_variance - (0.99 + 0.01 * 500.0 / 3.0)) < 1e-5  # n - 1: Bessel's correction.
assert abs(paths["4-D, fused=False"][0] - (0.99 + 0.01 * 125.0)) < 1e-5  # n.
assert abs(paths["2-D, after a dense layer"][0] - (0.99 + 0.01 * 125.0)) < 1e-5  # n.
assert [fused_op for _, fused_op in paths.values()] == [True, False, False]

# %% [markdown]
# PyTorch's `running_var` always uses n - 1, for `BatchNorm1d` as for `BatchNorm2d`: a port
# of a TF1 model that normalises after a dense layer, or builds its batch norm with
# `fused=False`, has a running variance n / (n - 1) times TF's. (The seed's D is the fused
# case, so the archive's port agrees with it.)

# %%
bn1d = torch.nn.BatchNorm1d(1, momentum=0.01)  # TF's momentum 0.99, as in the port.
bn1d.train()(torch.tensor([[0.0], [10.0], [20.0], [30.0]]))
print(f"PyTorch BatchNorm1d running_var after the same update: {bn1d.running_var.item():.4f}")
assert abs(bn1d.running_var.item() - (0.99 + 0.01 * 500.0 / 3.0)) < 1e-5

# %% [markdown]
# ## 4. The twist: D's second call files its update ops under `discriminator_1/`
#
# The fix above moved the statistics with D(real)'s batch only. The filter found two of the
# four update ops: like every op of the second call, D(fake)'s are named after that call's
# name scope, `discriminator_1/` (lesson 3), although the variables they assign are
# `discriminator/...`. So the filter that is right for var_lists misses them. The un-slashed
# `scope="discriminator"` would find them, but also any `discriminator2/` (lesson 4); a
# regular expression says what is meant.

# %%
for scope in ("discriminator/", "discriminator", r"discriminator(_\d+)?/"):
    found = tf1.get_collection(KEYS.UPDATE_OPS, scope=scope)
    print(f'scope="{scope}"'.ljust(30), f"-> {len(found)} update ops")
every_d_update = tf1.get_collection(KEYS.UPDATE_OPS, scope=r"discriminator(_\d+)?/")
assert len(d_updates) == 2 and len(every_d_update) == 4
assert len(tf1.get_collection(KEYS.UPDATE_OPS, scope="discriminator")) == 4
assert {op.inputs[0].op.name for op in every_d_update} == set(names(batch_norm_state))

# %% [markdown]
# With all four, each D step moves the statistics twice, once towards the real batch and
# once towards the generated one, so they blend both. Which of the two a GAN should keep is
# a modelling choice; the point is to make it on purpose rather than have a filter make it.

# %%
with tf.control_dependencies(every_d_update):
    optimizer_D_both = tf1.train.AdamOptimizer(hp.learning_rate).minimize(
        g.loss_D, var_list=g.d_vars
    )
init = tf1.global_variables_initializer()
with tf1.Session(config=ONE_THREAD) as sess:
    sess.run(init)
    sess.run(optimizer_D_both, feed)
    mean_both = sess.run(moving_mean)
real_only = np.allclose(mean_both, 0.01 * batch_mean, rtol=1e-3, atol=1e-9)
print("four update ops: moving_mean is still the real-only update:", real_only)
assert not real_only

# %% [markdown]
# ## The PyTorch way
#
# A module's state is its parameters (what the optimizer trains) plus its *buffers*
# (`named_buffers()`): `nn.BatchNorm2d` keeps `running_mean`, `running_var` and a
# `num_batches_tracked` count there. Both go into `state_dict()`, as a Saver writes global
# variables. No collection is needed: in `train()` mode every forward updates the buffers,
# and in `eval()` mode a forward uses them and leaves them alone. The archive's port sets
# `momentum=0.01` for TF's 0.99 (PyTorch weighs the new batch, TF the old value).

# %%
torch.manual_seed(7)
D = port.Discriminator()
print(
    "parameters:",
    len(list(D.parameters())),
    "| buffers:",
    [(name, tuple(b.shape)) for name, b in D.named_buffers()],
)
bn = torch.nn.BatchNorm2d(128, momentum=0.01, eps=1e-3)  # The port's layer, used on its own.
activations = torch.randn(16, 128, 7, 7) * 3.0 + 1.0
train_out = bn.train()(activations)
after_train = (bn.running_mean.clone(), int(bn.num_batches_tracked))
eval_out = bn.eval()(activations)
unchanged = torch.equal(after_train[0], bn.running_mean)
print(
    "after one train() forward: num_batches_tracked =",
    after_train[1],
    "| running_mean moved:",
    bool(after_train[0].abs().max() > 0),
)
print(
    "an eval() forward leaves the buffers alone:",
    unchanged,
    "| and normalises differently:",
    not torch.allclose(train_out, eval_out),
)
assert len(list(D.parameters())) == 8
assert [name for name, _ in D.named_buffers()] == [
    "batch_normalization.running_mean",
    "batch_normalization.running_var",
    "batch_normalization.num_batches_tracked",
]
assert after_train[1] == 1 and unchanged and not torch.allclose(train_out, eval_out)

# %% [markdown]
# ## Exercises
#
# ### Exercise 7.1: predict, then run
#
# Keep `optimizer_D_fixed` from section 3 (its update ops are D(real)'s). Starting from a
# fresh initialisation, run *only* the seed's `optimizer_G` three times. Do the moving
# statistics move? Decide, then unfold the solution.
#
# <details><summary>Worked solution</summary>

# %%
with tf1.Session(config=ONE_THREAD) as sess:
    sess.run(tf1.global_variables_initializer())
    for noise in noise_batches:
        sess.run(g.optimizer_G, {g.z_placeholder: noise})
    mean_g_only = sess.run(moving_mean)
print("Exercise 7.1: after three G steps, moving_mean all 0:", not mean_g_only.any())
assert not mean_g_only.any()

# %% [markdown]
# They do not. The control dependency belongs to `optimizer_D_fixed` alone: `optimizer_G`
# runs D(G(z)) forward, batch norm and all, but nothing it runs depends on an update op.
# An update op runs only when something that is run depends on it.
#
# </details>
#
# ### Exercise 7.2: predict, then run
#
# The port's discriminator always normalises with the batch's statistics, as the seed's
# `training=True` does, through `nn.functional.batch_norm(..., training=True)` on its
# layer's buffers. Put a port `Discriminator` in `eval()` mode and run one forward. Does
# `running_mean` change? And `num_batches_tracked`?
#
# <details><summary>Worked solution</summary>

# %%
torch.manual_seed(7)
D = port.Discriminator().eval()
before = D.batch_normalization.running_mean.clone()
D(torch.rand(4, 1, 28, 28))
moved = not torch.equal(before, D.batch_normalization.running_mean)
tracked = int(D.batch_normalization.num_batches_tracked)
print("Exercise 7.2: eval() forward moved running_mean:", moved, "| num_batches_tracked:", tracked)
assert moved and tracked == 0

# %% [markdown]
# `running_mean` moves and the count stays 0. `eval()` only sets the module's `training`
# flag, which the `nn.BatchNorm2d.forward` reads; the port never calls that forward, it calls
# the functional form with `training=True`, which updates the running buffers it is given,
# and only the module's forward counts batches. Neither matters to the port's numbers, which
# never read the buffers, but a converted checkpoint carries whatever they hold (lesson 9).
#
# </details>

# %% [markdown]
# ## Takeaways
#
# - Batch norm's `moving_mean` and `moving_variance` are global, not trainable: the Saver
#   writes them, no optimizer changes them. They change only when their assign ops run.
# - TF1 files those ops in `UPDATE_OPS` and runs them only when a fetched op depends on
#   them. The seed never does, so after any number of steps its statistics are 0 and 1.
# - Fix: build D's train op inside `tf.control_dependencies(update_ops)`. Each step then
#   moves them by `0.01 * (batch - moving)`. The variance gets Bessel's correction only on
#   the fused 4-D path (the seed's); `fused=False` and 2-D inputs divide by n, where
#   PyTorch's `running_var` always divides by n - 1.
# - `training=False` is not the identity even with the untouched 0 and 1: it divides by
#   sqrt(1 + epsilon) and applies `gamma` and `beta`.
# - D's second call names its update ops `discriminator_1/...`: `scope="discriminator/"`
#   (right for var_lists) finds only D(real)'s two; `r"discriminator(_\d+)?/"` finds all
#   four. Choose on purpose which batches the statistics should follow.
# - PyTorch keeps them as buffers that `train()` forwards update and `eval()` forwards use;
#   the port's functional batch norm updates them even in `eval()`.
