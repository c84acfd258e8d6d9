"""Lesson 6: what is left of variable scopes in eager TF2, and how modules own their variables.

Under eager execution `tf.compat.v1.variable_scope` only prefixes names: every `get_variable`
call creates a new variable, `reuse=True` finds nothing and complains about nothing. TF2
shares the way PyTorch does: an object (`tf.Module`, a Keras layer) creates its variables
once and owns them, and sharing is calling the same object twice. For old scope-based code
TF2 keeps a shim, `track_tf1_style_variables`, that gives `get_variable` a store again inside
a layer: variables are made once and then shared, but, called eagerly, as if every scope had
`reuse=tf.AUTO_REUSE`, so lesson 2's errors about existence do not come back.

Source: API docstring of `tf.compat.v1.variable_scope` (the TF2 note: without
    `track_tf1_style_variables` "get_variable calls within it would always create new
    variables"); TF guide "Use TF1.x models in TF2 workflows" (tensorflow/docs
    site/en/guide/migrate/model_mapping.ipynb); xyang35's netD (seed 000), the archive's own
    `tf1_reference.gaussian_gan.GAN.netD`, for the network.

Run:
    python lessons/06_tf2_eager.py    # ~20 s, mostly importing TensorFlow

Deviations: none: a lesson, not a reproduction. It imports `tf1_reference` for xyang35's
    `netD` without entering TF1 behaviour (only `tf1_reference.setup()` would), and calls
    `tf1_reference.use_keras2()` (`TF_USE_LEGACY_KERAS=1`), so that `tf.keras` is Keras 2
    (tf-keras), the home of `track_tf1_style_variables`.
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

tf1_reference.use_keras2()  # Keras 2 (see above); TF2 behaviour stays on.
tf1 = tf.compat.v1
tf.random.set_seed(6)
print("executing eagerly:", tf.executing_eagerly())
assert tf.executing_eagerly()

# %% [markdown]
# ## 1. `variable_scope` under eager execution: names only
#
# The same calls that shared, or failed, in graph mode (lesson 2) now each return a new
# variable, all with the same name.

# %%
with tf1.variable_scope("discriminator"):
    first = tf1.get_variable("d_W", shape=[2, 1])
with tf1.variable_scope("discriminator"):
    second = tf1.get_variable("d_W", shape=[2, 1])
with tf1.variable_scope("discriminator", reuse=True):
    reused = tf1.get_variable("d_W", shape=[2, 1])
with tf1.variable_scope("discriminator", reuse=tf1.AUTO_REUSE):
    auto = tf1.get_variable("d_W", shape=[2, 1])
with tf1.variable_scope("discriminater", reuse=True):
    typo = tf1.get_variable("d_W", shape=[2, 1])
with tf1.variable_scope("discriminator", reuse=True):
    other_shape = tf1.get_variable("d_W", shape=[3, 1], dtype=tf.float64)
labels = [
    "second call, no reuse",
    "reuse=True",
    "reuse=tf.AUTO_REUSE",
    "reuse=True, misspelt scope",
    "reuse=True, other shape/dtype",
]
for label, variable in zip(labels, [second, reused, auto, typo, other_shape]):
    print(f"{label:29s} -> {variable.name}, same object as the first: {variable is first}")
assert all(v.name == "discriminator/d_W:0" for v in (first, second, reused, auto, other_shape))
assert typo.name == "discriminater/d_W:0"
assert not any(v is first for v in (second, reused, auto, typo, other_shape))

# %% [markdown]
# None of lesson 2's four ValueErrors: the checks are gone with the store they checked,
# and nothing collects the variables either.

# %%
print("TRAINABLE_VARIABLES collection:", tf1.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES))
assert tf1.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES) == []

# %% [markdown]
# ## 2. `tf.Module`: the object owns its variables
#
# xyang35's netD as a module: the variables are made once in `__init__` (under the module's
# name scope, so they keep `discriminator/` in their names), and `__call__` only reads them.
# `trainable_variables` is the var_list, found by walking the object's attributes.

# %%


class NetD(tf.Module):
    """xyang35's netD: x (B, 2) -> tanh 5 -> tanh 3 -> 1 logit (B, 1)."""

    def __init__(self):
        super().__init__(name="discriminator")
        glorot = tf.keras.initializers.GlorotUniform(seed=6)
        shapes = {
            "d_W1": [2, 5],
            "d_b1": [5],
            "d_W2": [5, 3],
            "d_b2": [3],
            "d_W3": [3, 1],
            "d_b3": [1],
        }
        with self.name_scope:
            self.weights = {
                name: tf.Variable(tf.zeros(shape) if "_b" in name else glorot(shape), name=name)
                for name, shape in shapes.items()
            }

    def __call__(self, x):
        w = self.weights
        layer1 = tf.nn.tanh(tf.matmul(x, w["d_W1"]) + w["d_b1"])
        layer2 = tf.nn.tanh(tf.matmul(layer1, w["d_W2"]) + w["d_b2"])
        return tf.matmul(layer2, w["d_W3"]) + w["d_b3"]


netD = NetD()
x = tf.random.normal([4, 2], seed=6)
real_logits, fake_logits = netD(x), netD(x)
module_names = [v.name for v in netD.trainable_variables]
print("trainable_variables:", module_names)
print("same logits from both calls:", bool(tf.reduce_all(real_logits == fake_logits)))
assert sorted(module_names) == sorted(
    f"discriminator/{n}:0" for n in ("d_W1", "d_b1", "d_W2", "d_b2", "d_W3", "d_b3")
)
assert bool(tf.reduce_all(real_logits == fake_logits))

# %% [markdown]
# `trainable_variables` is sorted by attribute path (here the dictionary keys), not by
# creation order. Training takes the list from the object, never from names:

# %%
optimizer = tf.keras.optimizers.SGD(learning_rate=0.1)
with tf.GradientTape() as tape:
    loss = tf.reduce_mean(tf.nn.softplus(-netD(x)))
gradients = tape.gradient(loss, netD.trainable_variables)
optimizer.apply_gradients(zip(gradients, netD.trainable_variables))
print("variables the step updated:", len(gradients), "of", len(netD.trainable_variables))
assert all(g is not None for g in gradients)

# %% [markdown]
# ## 3. Keras layers: created on the first call, shared on every later one
#
# A Keras layer builds its weights when it first sees an input; a second call reuses them.
# Two layer objects of the same class get uniquified names (`dense`, `dense_1`), much as
# TF1 uniquified op names.

# %%
d_1 = tf.keras.layers.Dense(5, activation="tanh")
d_2 = tf.keras.layers.Dense(1)
for _ in range(2):
    logits = d_2(d_1(x))
keras_names = [v.name for v in d_1.weights + d_2.weights]
print("weights after two calls:", keras_names)
assert keras_names == ["dense/kernel:0", "dense/bias:0", "dense_1/kernel:0", "dense_1/bias:0"]

# %% [markdown]
# ## 4. The migration shim: `track_tf1_style_variables`
#
# Decorating a Keras layer's `call` with `tf.compat.v1.keras.utils.track_tf1_style_variables`
# gives the old code a variable store again, one per layer object: `get_variable` creates on
# the first call, shares on later ones, and the layer tracks the variables. The archive's
# own `netD` runs as xyang35 wrote it, `variable_scope`, `scope.reuse_variables()` and all,
# called twice as `GAN.__init__` calls it. (`netD` is a method that never uses `self`, so
# `None` stands in for it. The layer lists its variables sorted by name.)

# %%


class ShimGAND(tf.keras.layers.Layer):
    """xyang35's netD, the archive's function, called for real and fake data as in GAN."""

    @tf1.keras.utils.track_tf1_style_variables
    def call(self, x):
        real_logits = gaussian_gan.GAN.netD(None, x, reuse=False)
        fake_logits = gaussian_gan.GAN.netD(None, x, reuse=True)
        return real_logits, fake_logits


shim = ShimGAND()
shim_real, shim_fake = shim(x)
after_first_call = [v.name for v in shim.trainable_variables]
shim(x)
shim_names = [v.name for v in shim.trainable_variables]
print("variables after two layer calls:", shim_names)
print(
    "same logits from the reuse=False and reuse=True calls:",
    bool(tf.reduce_all(shim_real == shim_fake)),
)
assert (
    shim_names
    == after_first_call
    == sorted(f"discriminator/{n}:0" for n in ("d_W1", "d_b1", "d_W2", "d_b2", "d_W3", "d_b3"))
)
assert bool(tf.reduce_all(shim_real == shim_fake))

# %% [markdown]
# This is not TF1's reuse back, though. When the layer is called eagerly, as here, every
# `variable_scope` inside the decorated `call` behaves as if it were opened with
# `reuse=tf.AUTO_REUSE`: calling `netD` twice with `reuse=False` shares instead of raising
# "already exists", and `reuse=True` on a misspelt scope creates instead of raising "does
# not exist". Lesson 2's errors about existence do not come back (its shape and dtype checks
# do, as under `AUTO_REUSE`). Under `tf.function` the shim differs again (lesson 11).

# %%


class ShimProbe(tf.keras.layers.Layer):
    """Runs the calls that raise in TF1 graph mode, and records what happens instead."""

    @tf1.keras.utils.track_tf1_style_variables
    def call(self, x):
        self.found = {}
        first = gaussian_gan.GAN.netD(None, x, reuse=False)
        second = gaussian_gan.GAN.netD(None, x, reuse=False)  # "already exists" in TF1.
        with tf1.variable_scope("discriminator"):
            self.found["reuse of a scope opened without reuse"] = tf1.get_variable_scope().reuse
        with tf1.variable_scope("discriminater", reuse=True):  # "does not exist" in TF1.
            self.found["reuse=True, misspelt scope"] = tf1.get_variable("d_W1", [2, 5]).name
        try:
            with tf1.variable_scope("discriminator", reuse=True):
                tf1.get_variable("d_W1", shape=[3, 5])
        except ValueError as error:
            self.found["reuse=True, other shape"] = str(error)
        return first, second


probe = ShimProbe()
first, second = probe(x)
for label, value in probe.found.items():
    print(f"{label}: {value}")
print("two reuse=False calls, same logits:", bool(tf.reduce_all(first == second)))
assert probe.found["reuse of a scope opened without reuse"] is tf1.AUTO_REUSE
assert probe.found["reuse=True, misspelt scope"] == "discriminater/d_W1:0"
assert probe.found["reuse=True, other shape"].startswith(
    "Trying to share variable discriminator/d_W1, but specified shape (3, 5)"
)
assert bool(tf.reduce_all(first == second)) and len(probe.trainable_variables) == 7

# %% [markdown]
# ## The PyTorch way
#
# The same ownership model as `tf.Module`, with no names in the variables at all: the path
# in the module tree is the name.

# %%
torch.manual_seed(6)
D = torch.nn.Sequential(
    torch.nn.Linear(2, 5),
    torch.nn.Tanh(),
    torch.nn.Linear(5, 3),
    torch.nn.Tanh(),
    torch.nn.Linear(3, 1),
)
points = torch.randn(4, 2)
print("parameters:", [name for name, _ in D.named_parameters()])
print("same logits from both calls:", torch.equal(D(points), D(points)))
assert len(list(D.parameters())) == 6

# %% [markdown]
# ## Exercises
#
# ### Exercise 6.1: predict, then run
#
# A `tf.Module` that makes its weight in `__call__` instead of `__init__`. After two calls,
# how many variables does it track, and is the first call's weight among them?
#
# ```python
# class LazyD(tf.Module):
#     def __call__(self, x):
#         self.d_W = tf.Variable(tf.ones([2, 1]), name="d_W")
#         return tf.matmul(x, self.d_W)
# ```
#
# <details><summary>Worked solution</summary>

# %%


class LazyD(tf.Module):
    def __call__(self, x):
        self.d_W = tf.Variable(tf.ones([2, 1]), name="d_W")
        return tf.matmul(x, self.d_W)


lazy = LazyD()
lazy(x)
first_d_W = lazy.d_W
lazy(x)
tracked = lazy.trainable_variables
print(
    f"Exercise 6.1: {len(tracked)} tracked | the first call's weight among them:",
    any(v is first_d_W for v in tracked),
)
assert len(tracked) == 1 and not any(v is first_d_W for v in tracked)

# %% [markdown]
# One, and not the first call's: the second call replaced the attribute with a new
# variable. A module shares only what it makes once; `tf.Module` does not stop you from
# making more, and a training step would update a weight the next call throws away.
#
# </details>
#
# ### Exercise 6.2: predict, then run
#
# Inside a shim layer, the first thing `call` does is `netD(x, reuse=True)`, before any
# variable exists. In TF1 graph mode that is "does not exist". Here?
#
# <details><summary>Worked solution</summary>

# %%


class ReuseFirst(tf.keras.layers.Layer):
    @tf1.keras.utils.track_tf1_style_variables
    def call(self, x):
        return gaussian_gan.GAN.netD(None, x, reuse=True)


reuse_first = ReuseFirst()
reuse_first(x)
print("Exercise 6.2: no error;", len(reuse_first.trainable_variables), "variables created")
assert len(reuse_first.trainable_variables) == 6

# %% [markdown]
# No error: the six variables are created, although `scope.reuse_variables()` did set the
# scope's flag to `True`. Under eager execution TF1's `get_variable` hands the store
# `reuse=False` whatever the scope says, and the shim's store reads that as `AUTO_REUSE`:
# it creates what it cannot find. Code that relied on "does not exist" to catch a wrong
# scope name loses that check when called eagerly (under `tf.function` the flag counts
# again, lesson 11).
#
# </details>

# %% [markdown]
# ## Takeaways
#
# - Eager TF2 keeps `variable_scope` for names only: `get_variable` always creates, `reuse`
#   is ignored, and none of lesson 2's four ValueErrors can happen. Old scope-based code run
#   eagerly silently builds a new network on every call.
# - TF2 shares by ownership: a `tf.Module` or Keras layer makes its variables once, and
#   `trainable_variables` is the var_list. This is PyTorch's `nn.Module` model.
# - `track_tf1_style_variables` (Keras 2, tf-keras) gives TF1 code a variable store inside
#   one layer, enough to run xyang35's `netD` unchanged. It is not TF1 reuse: called
#   eagerly, every scope acts as `reuse=tf.AUTO_REUSE`, so a second `reuse=False` call
#   shares and a misspelt `reuse=True` scope creates, both in silence; only shape and dtype
#   are still checked.
