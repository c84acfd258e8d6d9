"""Lesson 1: share a discriminator's variables by passing them by hand or by a variable scope.

A GAN applies its discriminator twice, to real and to generated data, and both calls must use
the same weights. wiseodd's vanilla GAN makes plain `tf.Variable`s once and passes them around
(`theta_D`); xyang35's Gaussian GAN (this archive's seed 000) makes them with `get_variable`
inside `variable_scope("discriminator")` and reuses them on the second call. The TF1 guide
teaches exactly these two ways.

Source: TF1 guide "Variables", section "Sharing variables" (tensorflow/docs
    site/en/r1/guide/variables.md); wiseodd/generative-models@b930d5f
    GAN/vanilla_gan/gan_tensorflow.py (theta_D, discriminator); xyang35/Introduction-to-GAN@59ab552
    GAN-tensorflow.ipynb (netD), built here by tf1_reference/gaussian_gan.py.

Run:
    python lessons/01_sharing_variables.py    # ~20 s, mostly importing TensorFlow

Deviations: none: a lesson, not a reproduction. The wiseodd-style discriminator is written
    for the lesson at 2-4-1 units on 2-D points (wiseodd's is 784-128-1 on MNIST).
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
# One fixed batch of four 2-D points, fed to both discriminator calls below.
POINTS = np.random.default_rng(0).normal(size=(4, 2)).astype(np.float32)

# %% [markdown]
# ## 1. wiseodd: make the variables once, outside the network, and pass them by hand
#
# wiseodd's `gan_tensorflow.py` creates `D_W1, D_b1, D_W2, D_b2` as module-level
# `tf.Variable`s, lists them as `theta_D`, and writes `discriminator(x)` so that it only
# *reads* them. Calling it on real and on fake data therefore shares the weights, and
# `theta_D` is ready to hand to the optimizer as its `var_list`.

# %%
wiseodd_graph = tf.Graph()
with wiseodd_graph.as_default():
    tf1.set_random_seed(1)
    # wiseodd's xavier_init draws N(0, 1 / sqrt(fan_in / 2)); the numbers do not matter here.
    D_W1 = tf.Variable(tf1.random_normal([2, 4], stddev=1.0), name="D_W1")
    D_b1 = tf.Variable(tf.zeros([4]), name="D_b1")
    D_W2 = tf.Variable(tf1.random_normal([4, 1], stddev=0.7), name="D_W2")
    D_b2 = tf.Variable(tf.zeros([1]), name="D_b2")
    theta_D = [D_W1, D_b1, D_W2, D_b2]

    def discriminator(x):
        """wiseodd's shape: x -> relu hidden layer -> one logit; reads theta_D, creates nothing."""
        D_h1 = tf.nn.relu(tf.matmul(x, D_W1) + D_b1)
        D_logit = tf.matmul(D_h1, D_W2) + D_b2
        return tf.nn.sigmoid(D_logit), D_logit

    X = tf1.placeholder(tf.float32, shape=[None, 2], name="X")
    # In wiseodd's graph this is generator(Z); a placeholder keeps the lesson on D alone.
    G_sample = tf1.placeholder(tf.float32, shape=[None, 2], name="G_sample")
    D_real, D_logit_real = discriminator(X)
    D_fake, D_logit_fake = discriminator(G_sample)
    names = [v.name for v in tf1.trainable_variables()]
    print("trainable variables after two calls:", names)
    print("theta_D:", [v.name for v in theta_D])
    with tf1.Session() as sess:
        sess.run(tf1.global_variables_initializer())
        real, fake = sess.run([D_logit_real, D_logit_fake], {X: POINTS, G_sample: POINTS})
    print("same input, same logits from both calls:", np.array_equal(real, fake))
assert names == ["D_W1:0", "D_b1:0", "D_W2:0", "D_b2:0"]
assert np.array_equal(real, fake)

# %% [markdown]
# The price of this style: nothing stops a network function from making its variables
# itself. `tf.Variable` never complains about a name that is taken, it quietly appends `_1`,
# so a second call builds a second, independent discriminator.

# %%
with tf.Graph().as_default():
    tf1.set_random_seed(1)

    def discriminator_that_makes_its_own(x):
        """A slip: the weight is created inside the function, so once per call."""
        W = tf.Variable(tf1.random_normal([2, 1]), name="D_W")
        return tf.matmul(x, W)

    x = tf1.placeholder(tf.float32, shape=[None, 2], name="x")
    first = discriminator_that_makes_its_own(x)
    second = discriminator_that_makes_its_own(x)
    names = [v.name for v in tf1.trainable_variables()]
    print("trainable variables after two calls:", names)
    with tf1.Session() as sess:
        sess.run(tf1.global_variables_initializer())
        a, b = sess.run([first, second], {x: POINTS})
    print("same input, same logits from both calls:", np.array_equal(a, b))
assert names == ["D_W:0", "D_W_1:0"]
assert not np.array_equal(a, b)

# %% [markdown]
# ## 2. xyang35: `get_variable` inside `variable_scope("discriminator")`
#
# The archive's `tf1_reference.gaussian_gan.GAN` is xyang35's class. `netD` opens
# `variable_scope("discriminator")`, calls `scope.reuse_variables()` when `reuse=True`, and
# creates `d_W1 ... d_b3` with `tf.get_variable`. The variables now carry the scope in their
# names, and the second call finds the first call's variables instead of making new ones.

# %%
with tf.Graph().as_default():
    tf1.set_random_seed(1)
    gan = gaussian_gan.GAN()
    names = [v.name for v in tf1.trainable_variables()]
    print("trainable variables:")
    for name in names:
        print("   ", name)
    print("real_logits:", gan.real_logits.name)
    print("fake_logits:", gan.fake_logits.name)
    with tf1.Session() as sess:
        sess.run(tf1.global_variables_initializer())
        fake_x = sess.run(gan.fake_x, {gan.z: POINTS})
        # Feed G's own output as the real batch: both netD calls then score the same points.
        real, fake = sess.run([gan.real_logits, gan.fake_logits], {gan.z: POINTS, gan.x: fake_x})
    print("same input, same logits from both netD calls:", np.array_equal(real, fake))
assert names == [
    "generator/g_W:0",
    "generator/g_b:0",
    "discriminator/d_W1:0",
    "discriminator/d_b1:0",
    "discriminator/d_W2:0",
    "discriminator/d_b2:0",
    "discriminator/d_W3:0",
    "discriminator/d_b3:0",
]
assert gan.real_logits.name.startswith("discriminator/")
assert gan.fake_logits.name.startswith("discriminator_1/")
assert np.array_equal(real, fake)

# %% [markdown]
# Two calls, six discriminator variables, not twelve. The *ops* of the second call live under
# `discriminator_1/` while its *variables* stay `discriminator/...`: variable names and op
# names follow different rules (lesson 3). Where `tf.Variable` silently duplicated above,
# `get_variable` refuses to: a second `netD` call without reuse raises a ValueError
# (lesson 2).

# %% [markdown]
# ## The PyTorch way
#
# A PyTorch module owns its parameters: they are made once, in `__init__`, and calling the
# same module object twice shares them. There is no scope and no reuse flag; the explicit
# list wiseodd wrote by hand is `D.parameters()`.

# %%
torch.manual_seed(1)


class NetD(torch.nn.Module):
    """xyang35's netD in PyTorch: 2 -> tanh 5 -> tanh 3 -> 1 logit."""

    def __init__(self):
        super().__init__()
        self.d_1 = torch.nn.Linear(2, 5)
        self.d_2 = torch.nn.Linear(5, 3)
        self.d_3 = torch.nn.Linear(3, 1)

    def forward(self, x):
        return self.d_3(torch.tanh(self.d_2(torch.tanh(self.d_1(x)))))


D = NetD()
points = torch.from_numpy(POINTS)
real_logits, fake_logits = D(points), D(points)
names = [name for name, _ in D.named_parameters()]
print("parameters:", names)
print("same input, same logits from both calls:", torch.equal(real_logits, fake_logits))
print("theta_D is list(D.parameters()):", len(list(D.parameters())), "tensors")
assert names == ["d_1.weight", "d_1.bias", "d_2.weight", "d_2.bias", "d_3.weight", "d_3.bias"]
assert torch.equal(real_logits, fake_logits)

# %% [markdown]
# ## Exercises
#
# ### Exercise 1.1: predict, then run
#
# Build xyang35's `GAN` and call its `netD` a third time, with `reuse=True`, on twice the
# real points. How many trainable variables does the graph hold afterwards, and under which
# name-scope prefix do the third call's ops go?
#
# <details><summary>Worked solution</summary>

# %%
with tf.Graph().as_default():
    gan = gaussian_gan.GAN()
    third_logits = gan.netD(gan.x * 2.0, reuse=True)
    count = len(tf1.trainable_variables())
print(
    f"Exercise 1.1: {count} trainable variables | third call's ops under:",
    third_logits.name.split("/")[0] + "/",
)
assert count == 8 and third_logits.name.startswith("discriminator_2/")

# %% [markdown]
# Still 8 (2 of G, 6 of D): with reuse on, `get_variable` only looks up. The ops of each
# call get a fresh name scope, so the third call's sit under `discriminator_2/`.
#
# </details>
#
# ### Exercise 1.2: predict, then run
#
# A discriminator that counts its calls in a `tf.Variable` made inside its scope, next to a
# weight made with `get_variable`. Call it twice, the second time with `reuse=True`. Which
# variables does the graph hold?
#
# ```python
# def netD_with_counter(x, reuse):
#     with tf1.variable_scope("discriminator", reuse=reuse):
#         d_W = tf1.get_variable("d_W", shape=[2, 1])
#         calls = tf.Variable(0.0, name="calls", trainable=False)
#         return tf.matmul(x, d_W) + calls
# ```
#
# <details><summary>Worked solution</summary>

# %%
with tf.Graph().as_default():

    def netD_with_counter(x, reuse):
        with tf1.variable_scope("discriminator", reuse=reuse):
            d_W = tf1.get_variable("d_W", shape=[2, 1])
            calls = tf.Variable(0.0, name="calls", trainable=False)
            return tf.matmul(x, d_W) + calls

    x = tf1.placeholder(tf.float32, shape=[None, 2], name="x")
    netD_with_counter(x, reuse=False)
    netD_with_counter(x, reuse=True)
    held = [v.name for v in tf1.global_variables()]
print("Exercise 1.2:", held)
assert held == ["discriminator/d_W:0", "discriminator/calls:0", "discriminator_1/calls:0"]

# %% [markdown]
# One `d_W` but two counters. `reuse` is a rule of `get_variable` alone; `tf.Variable`
# ignores it and makes a new variable on every call, named in the call's name scope,
# `discriminator_1/calls`. Each call would count into its own counter.
#
# </details>

# %% [markdown]
# ## Takeaways
#
# - Sharing means *one set of variables read by two calls*. Either make the variables once and
#   pass them (wiseodd's `theta_D`), or let `get_variable` find them again by name inside a
#   `variable_scope` (xyang35's `netD`).
# - `tf.Variable` never refuses a taken name; it appends `_1` and builds a second network in
#   silence. `get_variable` refuses, which is why the scope style needs `reuse` (lesson 2).
# - The second `netD` call's ops sit under `discriminator_1/`, its variables under
#   `discriminator/` (lesson 3).
# - In PyTorch the module object *is* the set of variables: call it twice to share, and pass
#   `D.parameters()` to the optimizer.
