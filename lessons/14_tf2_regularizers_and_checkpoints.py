"""Lesson 14: in TF2, weight decay moves to `layer.losses` and TF1 checkpoints load by name.

Lesson 11 ran the seed-002 networks in eager TF2 through the shim. Two pieces of TF1 state
change their home on the way, and neither move raises an error. Regularization penalties,
which TF1 put in the `REGULARIZATION_LOSSES` collection, become the shim layer's `losses`;
TF1 code that reads the collection finds it empty, and its weight decay silently drops out
of the loss. And a TF1 `Saver` checkpoint can be read by TF2's object-based
`tf.train.Checkpoint`, which falls back to matching variables by name: it restores the
network where the names match and the variables already exist, and skips, without a word
unless asked, everything else: a renamed scope, variables created after the restore, and the
whole optimizer state.

Source: TF guides "Use TF1.x models in TF2 workflows" (model_mapping.ipynb: regularization
    losses under `track_tf1_style_variables`) and "Migrate checkpoints"
    (migrating_checkpoints.ipynb: name-based checkpoints and `tf.train.Checkpoint`); API
    docstrings of `tf.compat.v1.losses.get_regularization_loss`, `tf.train.Checkpoint.restore`
    and its status object (`assert_consumed`, `assert_existing_objects_matched`);
    tf1_reference/mnist_dcgan.py (seed 002); `torch.optim.Adam` (weight_decay).

Run:
    python lessons/14_tf2_regularizers_and_checkpoints.py    # ~20 s, mostly importing TF

Deviations: none: a lesson, not a reproduction. It runs in TF2 behaviour; the TF1 checkpoint
    is made by the seed's graph inside `tf.Graph().as_default()` (one D and one G step on
    seeded random images, as lesson 8), in a temporary folder removed at the end. The
    weight-decay strength 1e-3 is the lesson's.
"""

# %%
import os
import pathlib
import sys
import tempfile
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

from tf1_reference import mnist_dcgan  # noqa: E402

tf1 = tf.compat.v1
tf1.logging.set_verbosity(tf1.logging.ERROR)  # The name-based restore logs a notice each time.
warnings.filterwarnings("ignore", message=r"`tf\.layers\.\w+` is deprecated")
warnings.filterwarnings("ignore", message=r"`layer\.updates` will be removed")
KEYS = tf1.GraphKeys
ONE_THREAD = tf1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
FOLDER = tempfile.TemporaryDirectory()  # Removed in the last cell.
rng = np.random.default_rng(8)  # Lesson 8's generator, seed and draws.
REAL = rng.uniform(0.0, 1.0, size=(16, 28, 28, 1)).astype(np.float32)
NOISE = rng.uniform(-1.0, 1.0, size=(16, 100)).astype(np.float32)


def weight_decay(w):
    """The lesson's L2 penalty: 1e-3 * sum(w^2) / 2, whose gradient is 1e-3 * w."""
    return 1e-3 * tf.nn.l2_loss(w)


# %% [markdown]
# ## 1. A scope regularizer in TF1: the collection
#
# Lesson 10's recipe on the seed's D: a regularizer handed down by the scope, one penalty
# per variable in `REGULARIZATION_LOSSES`, and `get_regularization_loss()` adding them up.
# Here in a TF1 graph, built inside this TF2 process.

# %%
print("executing eagerly:", tf.executing_eagerly())
with tf.Graph().as_default():
    x = tf1.placeholder(tf.float32, shape=[None, 28, 28, 1])
    with tf1.variable_scope(tf1.get_variable_scope(), regularizer=weight_decay):
        mnist_dcgan.discriminator(x, reuse=False)
    in_graph = len(tf1.get_collection(KEYS.REGULARIZATION_LOSSES))
print("TF1 graph: penalties in REGULARIZATION_LOSSES:", in_graph)
assert tf.executing_eagerly() and in_graph == 10

# %% [markdown]
# ## 2. The same D under the shim: `layer.losses`
#
# Inside a `track_tf1_style_variables` layer the same `get_variable` calls make the same
# penalties, but the shim hands them to the layer, as Keras layers keep theirs: in
# `layer.losses`, recomputed at each call. The collection stays empty, so the TF1 helper
# returns 0, and a loss written the TF1 way trains without weight decay.

# %%


class RegularizedD(tf.keras.layers.Layer):
    """The seed's D under a scope regularizer, in a shim layer."""

    @tf1.keras.utils.track_tf1_style_variables
    def call(self, images):
        with tf1.variable_scope(tf1.get_variable_scope(), regularizer=weight_decay):
            return mnist_dcgan.discriminator(images, reuse=tf1.AUTO_REUSE)[1]


D = RegularizedD()
D(REAL)
kernel = next(v for v in D.trainable_variables if v.name == "discriminator/dense/kernel:0")
with tf.GradientTape(persistent=True) as tape:
    data_loss = tf.reduce_mean(tf.nn.softplus(-D(REAL)))  # The seed's real half of loss_D.
    tf1_style = data_loss + tf1.losses.get_regularization_loss()
    fixed = data_loss + tf.add_n(D.losses)
gradients = {
    name: tape.gradient(loss, kernel)
    for name, loss in (("data", data_loss), ("tf1_style", tf1_style), ("fixed", fixed))
}
print(
    "layer.losses:",
    len(D.losses),
    "| REGULARIZATION_LOSSES:",
    tf1.get_collection(KEYS.REGULARIZATION_LOSSES),
)
print(f"get_regularization_loss(): {float(tf1.losses.get_regularization_loss())}")
print("loss + get_regularization_loss() == loss:", float(tf1_style) == float(data_loss))
print(
    "its gradient == the data gradient:",
    np.array_equal(gradients["tf1_style"].numpy(), gradients["data"].numpy()),
)
try:
    tf.add_n(tf1.get_collection(KEYS.REGULARIZATION_LOSSES))
except ValueError as error:
    print(f"tf.add_n(the collection): ValueError: {error}")
assert len(D.losses) == 10 and tf1.get_collection(KEYS.REGULARIZATION_LOSSES) == []
assert float(tf1_style) == float(data_loss)
assert np.array_equal(gradients["tf1_style"].numpy(), gradients["data"].numpy())

# %% [markdown]
# Of the two TF1 spellings, `tf.add_n(get_collection(REGULARIZATION_LOSSES))` at least
# fails; `get_regularization_loss()` returns a zero and the run goes on without weight decay.
# The fix is to add the layer's own losses: `loss + tf.add_n(layer.losses)`, whose gradient
# is the data gradient plus `1e-3 * w`, as in TF1.

# %%
expected = gradients["data"] + 1e-3 * kernel
print(
    "loss + tf.add_n(layer.losses): gradient == data gradient + 1e-3 * w:",
    np.allclose(gradients["fixed"].numpy(), expected.numpy(), rtol=1e-5, atol=1e-9),
)
assert np.allclose(gradients["fixed"].numpy(), expected.numpy(), rtol=1e-5, atol=1e-9)
assert not np.allclose(gradients["fixed"].numpy(), gradients["data"].numpy(), rtol=1e-5, atol=1e-9)

# %% [markdown]
# ## 3. A TF1 `Saver` checkpoint, restored by `tf.train.Checkpoint`
#
# Lesson 8's checkpoint: the seed's graph after one D and one G step, saved by
# `Saver().save`. TF2's `tf.train.Checkpoint(...).restore(prefix)` recognises a name-based
# checkpoint and matches each variable of the objects it was given by its `name`; the
# shim layer's variables carry the TF1 names, so the seed's networks come back whole and
# compute what the graph computed.

# %%
with tf.Graph().as_default():
    tf1.set_random_seed(8)
    g = mnist_dcgan.build_graph()
    with tf1.Session(config=ONE_THREAD) as sess:
        sess.run(tf1.global_variables_initializer())
        mnist_dcgan.train_step(sess, g, REAL, NOISE)
        PREFIX = tf1.train.Saver().save(sess, f"{FOLDER.name}/gan.ckpt", write_meta_graph=False)
        feed = {g.real_images_placeholder: REAL, g.z_placeholder: NOISE}
        graph_outputs = sess.run([g.G, g.D_logit_real], feed)


class SeedNetworks(tf.keras.layers.Layer):
    """G, then D on real images, as build_graph calls them; optionally under another scope."""

    def __init__(self, scope=None):
        super().__init__()
        self.scope = scope

    @tf1.keras.utils.track_tf1_style_variables
    def call(self, noise, real_images):
        with tf1.variable_scope(self.scope or tf1.get_variable_scope()):
            fake_images = mnist_dcgan.generator(noise, reuse=False)
            return fake_images, mnist_dcgan.discriminator(real_images, reuse=False)[1]


def same_as_graph(layer):
    """Whether the layer's G(z) and D(real) logits equal the TF1 graph's, bit for bit."""
    return all(np.array_equal(o.numpy(), e) for o, e in zip(layer(NOISE, REAL), graph_outputs))


networks = SeedNetworks()
networks(NOISE, REAL)  # Create the variables first; section 4 shows why.
status = tf.train.Checkpoint(networks=networks).restore(PREFIX)
print(type(status).__name__, "| outputs equal to the TF1 graph's:", same_as_graph(networks))
status.assert_consumed()
print(
    "assert_consumed() passes, with",
    len(tf.train.list_variables(PREFIX)) - len(networks.variables),
    "of the file's entries unused",
)
assert same_as_graph(networks)

# %% [markdown]
# `assert_consumed` passes although 36 entries of the file, Adam's slots and beta powers,
# went nowhere: for a name-based checkpoint it checks that every variable it was given found
# its name, not that the file was used up.
#
# ## 4. Where it cannot
#
# Three cases where the restore leaves variables as they were, each without an error unless
# the status is asked. A layer whose variables do not exist yet at `restore`: an
# object-based checkpoint would restore them when they are created, a name-based one does
# not. A scope that changed its name since the checkpoint was written. And a TF2 optimizer,
# whose state has other names (`Adam/m/...`, `iteration`) than TF1's (`.../Adam`,
# `beta1_power`): it starts from zero.

# %%
late = SeedNetworks()
tf.train.Checkpoint(networks=late).restore(PREFIX)  # Before the first call.
print("restored before the first call: outputs equal:", same_as_graph(late))

renamed = SeedNetworks(scope="critic")
renamed(NOISE, REAL)
renamed_status = tf.train.Checkpoint(networks=renamed).restore(PREFIX)
renamed_kernel = next(v.name for v in renamed.variables if "dense/kernel" in v.name)
print("under a renamed scope:", renamed_kernel, "| outputs equal:", same_as_graph(renamed))
try:
    renamed_status.assert_existing_objects_matched()
except AssertionError as error:
    print("  assert_existing_objects_matched():", str(error).splitlines()[0].strip())

optimizer = tf.keras.optimizers.Adam(2e-4)
with tf.GradientTape() as tape:
    loss = tf.reduce_mean(tf.nn.softplus(-networks(NOISE, REAL)[1]))
optimizer.apply_gradients(
    zip(tape.gradient(loss, networks.trainable_variables), networks.trainable_variables)
)
state_before = [v.numpy().copy() for v in optimizer.variables()]
tf.train.Checkpoint(networks=networks, optimizer=optimizer).restore(PREFIX)
slots = [v.name for v in optimizer.variables() if "/m/" in v.name or "/v/" in v.name]
print("a Keras Adam's state:", optimizer.variables()[0].name, slots[0], "...")
optimizer_restored = not all(
    np.array_equal(before, v.numpy()) for before, v in zip(state_before, optimizer.variables())
)
print("  changed by the restore from the TF1 file:", optimizer_restored)
assert not same_as_graph(late) and not same_as_graph(renamed) and not optimizer_restored

# %% [markdown]
# Restore after the first call, keep the names (or rename with lesson 8's maps), and treat
# the optimizer as new: TF1's Adam slots map onto Keras's only by hand, and TF1's Adam is
# not Keras's Adam anyway (lesson 12). Once restored, `tf.train.Checkpoint.save` writes an
# object-based checkpoint, which later restores by object, not by name.
#
# ## The PyTorch way
#
# A port keeps weight decay where it can be seen: as a term of the loss, or as Adam's
# `weight_decay`, which adds `weight_decay * w` to each gradient, the gradient of TF1's
# `1e-3 * l2_loss(w)`. And `load_state_dict` checks keys: its default, `strict=True`, raises
# on any missing or unexpected key, where the name-based restore above skipped in silence.

# %%
torch.manual_seed(14)
layer = torch.nn.Linear(3, 1)
inputs = torch.randn(4, 3)
weights = [p.detach().clone() for p in layer.parameters()]
results = []
for decay_in_loss in (True, False):
    with torch.no_grad():
        for p, w in zip(layer.parameters(), weights):
            p.copy_(w)
    optimizer_pt = torch.optim.Adam(
        layer.parameters(), lr=0.1, weight_decay=0.0 if decay_in_loss else 1e-3
    )
    loss = layer(inputs).square().mean()
    if decay_in_loss:
        loss = loss + 1e-3 * sum(p.square().sum() / 2 for p in layer.parameters())
    optimizer_pt.zero_grad()
    loss.backward()
    optimizer_pt.step()
    results.append([p.detach().clone() for p in layer.parameters()])
same = all(torch.allclose(a, b, rtol=1e-6, atol=1e-9) for a, b in zip(*results))
print("Adam(weight_decay=1e-3) step == the step on loss + 1e-3 * l2_loss:", same)
try:
    torch.nn.Linear(3, 1).load_state_dict({"weight": torch.zeros(1, 3)})
except RuntimeError as error:
    print("load_state_dict:", str(error).splitlines()[1].strip())
assert same

# %% [markdown]
# ## Exercises
#
# ### Exercise 14.1: predict, then run
#
# `D` of section 2 has been called several times by now. How many tensors are in
# `D.losses` after two more calls?
#
# <details><summary>Worked solution</summary>

# %%
D(REAL)
D(REAL)
print("Exercise 14.1:", len(D.losses), "tensors in D.losses")
assert len(D.losses) == 10

# %% [markdown]
# Ten, one per variable, as after the first call: a layer's losses are cleared at the start
# of each top-level call and made again by it, so they always belong to the last call. Add
# them to the loss inside the same `GradientTape` as that call.
#
# </details>
#
# ### Exercise 14.2: predict, then run
#
# Section 4's `late` layer missed the restore because it had no variables yet. Call it once
# and restore again from the same file. Equal outputs now?
#
# <details><summary>Worked solution</summary>

# %%
late(NOISE, REAL)
tf.train.Checkpoint(networks=late).restore(PREFIX)
print("Exercise 14.2: restored after the first call: outputs equal:", same_as_graph(late))
assert same_as_graph(late)

# %% [markdown]
# Yes: the variables exist now and carry the file's names, so the name-based restore finds
# every one. The order is the whole fix: build (call), then restore.
#
# </details>

# %%
FOLDER.cleanup()

# %% [markdown]
# ## Takeaways
#
# - Under the shim, regularization penalties go to `layer.losses`, not to
#   `REGULARIZATION_LOSSES`: `get_regularization_loss()` returns 0 and weight decay silently
#   drops out. Add `tf.add_n(layer.losses)` to the loss.
# - `tf.train.Checkpoint(...).restore(tf1_prefix)` restores a TF1 `Saver` checkpoint by
#   variable name into the objects it is given; the shim's TF1 names make the seed's
#   networks come back bit for bit.
# - It cannot restore variables created after the restore, a renamed scope, or TF1's Adam
#   state into a Keras optimizer, and it says so only through the status:
#   `assert_existing_objects_matched()`. `assert_consumed()` does not check the file's
#   unused entries.
# - PyTorch: weight decay is a loss term or Adam's `weight_decay` (the same gradient as
#   TF1's L2 penalty), and `load_state_dict` is strict by default.
