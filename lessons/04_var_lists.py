"""Lesson 4: three ways to collect a var_list, and the substring trap on the archive's DCGAN.

A GAN trains D and G with two optimizers, each told which variables it may change
(`var_list`). The tutorials collect those lists in three ways: by scope
(`get_collection(TRAINABLE_VARIABLES, scope=...)`, See_GANs and seed 002), by an explicit list
(wiseodd's `theta_D`), and by a name substring (`'d_' in var.name`, xyang35 and carpedm20).
The substring filter is right for xyang35's hand-named `d_W1`, but on the seed-002 DCGAN,
whose `tf.layers` name their variables themselves, it puts `generator/conv2d_transpose/...`
into D's list and finds nothing for G. Training D with that list moves the generator.

Source: tf1_reference/mnist_dcgan.py (seed 002, `build_graph`) and
    tf1_reference/gaussian_gan.py (xyang35's substring lists); TwistedW/See_GANs@57b3da7
    (scope lists); wiseodd/generative-models@b930d5f GAN/vanilla_gan/gan_tensorflow.py
    (theta_D); carpedm20/DCGAN-tensorflow (`'d_' in var.name`); docs/anchors.md section 4.

Run:
    python lessons/04_var_lists.py    # ~30 s, mostly importing TensorFlow

Deviations: none: a lesson, not a reproduction. The DCGAN is trained for five steps on
    seeded random "real" images in [0, 1] (no MNIST needed), on one thread so that the
    printed numbers repeat exactly.
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
from tf1_reference import mnist_dcgan  # noqa: E402

tf1_reference.setup()  # Graph mode and TF1 behaviour, for the whole process.

tf1 = tf.compat.v1
TRAINABLE = tf1.GraphKeys.TRAINABLE_VARIABLES


def names(variables):
    """Variable names without the `:0` output suffix, for short lines."""
    return [v.name[: -len(":0")] for v in variables]


# %% [markdown]
# ## 1. On xyang35's Gaussian GAN the three ways agree
#
# `gaussian_gan.GAN` keeps xyang35's substring lists (`'d_' in var.name`, `'g_' in var.name`).
# Every variable there was named by hand with a `d_` or `g_` prefix, so the substring lists
# equal the scope lists and an explicit list written out by hand.

# %%
tf1.reset_default_graph()
gan = gaussian_gan.GAN()
by_scope = tf1.get_collection(TRAINABLE, scope="discriminator/")
# A hand-written list needs the variable objects; reuse fetches them by name.
with tf1.variable_scope("discriminator", reuse=True):
    theta_D = [tf1.get_variable(n) for n in ("d_W1", "d_b1", "d_W2", "d_b2", "d_W3", "d_b3")]
print("substring 'd_':", names(gan.d_vars))
print("scope:         ", names(by_scope))
print("explicit list: ", names(theta_D))
print("substring 'g_':", names(gan.g_vars))
assert gan.d_vars == by_scope == theta_D
assert gan.g_vars == tf1.get_collection(TRAINABLE, scope="generator/")

# %% [markdown]
# ## 2. The seed-002 DCGAN: `tf.layers` choose the names
#
# `mnist_dcgan.build_graph` builds the seed's generator and discriminator with
# `tf.compat.v1.layers` inside `variable_scope("generator")` and `("discriminator")`, and
# collects its own lists by scope. The layers name their variables after the layer type:
# `dense`, `conv2d`, `conv2d_transpose`, `batch_normalization`.

# %%
tf1.reset_default_graph()
tf1.set_random_seed(4)
hp = mnist_dcgan.HParams()
dcgan = mnist_dcgan.build_graph(hp)
dcgan_graph = tf1.get_default_graph()
t_vars = tf1.trainable_variables()
print(f"{len(t_vars)} trainable variables:")
for name in names(t_vars):
    print("   ", name)
assert names(dcgan.d_vars) == [n for n in names(t_vars) if n.startswith("discriminator/")]
assert names(dcgan.g_vars) == [n for n in names(t_vars) if n.startswith("generator/")]

# %% [markdown]
# Now the substring filter. `conv2d_transpose` contains `d_` ("conv2**d_**transpose"), and
# so does D's second convolution `conv2d_1`; D's first convolution, its batch norm and its
# dense layer contain no `d_` at all. No name contains `g_`.

# %%
d_vars_substring = [var for var in t_vars if "d_" in var.name]
g_vars_substring = [var for var in t_vars if "g_" in var.name]
print("'d_' in var.name:", names(d_vars_substring))
print("'g_' in var.name:", names(g_vars_substring))
in_D_list_from_G = [v for v in d_vars_substring if v not in dcgan.d_vars]
left_out_of_D = [v for v in dcgan.d_vars if v not in d_vars_substring]
print(
    f"generator variables in D's list: {len(in_D_list_from_G)}"
    f" ({sum(int(np.prod(v.shape)) for v in in_D_list_from_G)} parameters)"
)
print(f"discriminator variables missing from D's list: {len(left_out_of_D)} of {len(dcgan.d_vars)}")
assert names(d_vars_substring) == [
    "generator/conv2d_transpose/kernel",
    "generator/conv2d_transpose/bias",
    "generator/conv2d_transpose_1/kernel",
    "generator/conv2d_transpose_1/bias",
    "discriminator/conv2d_1/kernel",
    "discriminator/conv2d_1/bias",
]
assert g_vars_substring == []
assert len(in_D_list_from_G) == 4 and len(left_out_of_D) == 6

# %% [markdown]
# The empty G list fails loudly as soon as an optimizer gets it; D's wrong list does not.

# %%
try:
    tf1.train.AdamOptimizer(hp.learning_rate).minimize(dcgan.loss_G, var_list=g_vars_substring)
except ValueError as error:
    empty_list_error = str(error)
    print(f"{type(error).__name__}: {empty_list_error}")
d_optim_substring = tf1.train.AdamOptimizer(hp.learning_rate).minimize(
    dcgan.loss_D, var_list=d_vars_substring
)
print("D's optimizer with the substring list: built without complaint")
assert empty_list_error == "No variables to optimize."

# %% [markdown]
# ## 3. What five D steps with the wrong list do to the generator
#
# Same graph, same initial values (a fresh session re-runs the seeded initializers), same
# five batches. With the scope list, D's steps cannot touch G; `loss_G` still rises, because
# D gets better. With the substring list, D's optimizer also descends on `loss_D` through G's
# last two layers: it changes the generator so that its images are *easier* to reject, and
# `loss_G` rises further although this list trains only 2 of D's 8 variables.

# %%
rng = np.random.default_rng(4)
batch = 16
real_batches = rng.uniform(0.0, 1.0, size=(5, batch, 28, 28, 1)).astype(np.float32)
noise_batches = rng.uniform(-1.0, 1.0, size=(5, batch, hp.noise_dim)).astype(np.float32)
fixed_noise = rng.uniform(-1.0, 1.0, size=(batch, hp.noise_dim)).astype(np.float32)
# One thread: the same sums in the same order on every run, so the printed numbers repeat.
ONE_THREAD = tf1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
init = tf1.global_variables_initializer()


def five_d_steps(d_optim):
    """Run five D steps; return G's images and loss before and after, and which G vars moved."""
    with tf1.Session(config=ONE_THREAD) as sess:
        sess.run(init)
        probe = {dcgan.z_placeholder: fixed_noise}
        g_before = sess.run(dcgan.g_vars)
        images_before, loss_G_before = sess.run([dcgan.G, dcgan.loss_G], probe)
        for real, noise in zip(real_batches, noise_batches):
            sess.run(d_optim, {dcgan.real_images_placeholder: real, dcgan.z_placeholder: noise})
        g_after = sess.run(dcgan.g_vars)
        images_after, loss_G_after = sess.run([dcgan.G, dcgan.loss_G], probe)
    moved = [v.name for v, a, b in zip(dcgan.g_vars, g_before, g_after) if not np.array_equal(a, b)]
    return images_before, images_after, loss_G_before, loss_G_after, moved


results = {}
for label, d_optim in [("scope list", dcgan.optimizer_D), ("substring list", d_optim_substring)]:
    images_before, images_after, loss_G_before, loss_G_after, moved = five_d_steps(d_optim)
    results[label] = (images_before, images_after, loss_G_before, loss_G_after, moved)
    print(f"{label}:")
    print(f"    generator variables changed by D's steps: {[n[:-2] for n in moved]}")
    print(
        f"    max |G(z) after - G(z) before| on fixed z: "
        f"{np.abs(images_after - images_before).max():.1e}"
    )
    print(f"    loss_G on fixed z: {loss_G_before:.3f} -> {loss_G_after:.3f}")
scope, substring = results["scope list"], results["substring list"]
assert np.array_equal(scope[0], substring[0]), "both runs must start from the same generator"
assert scope[4] == [] and np.array_equal(scope[0], scope[1])
assert [n[:-2] for n in substring[4]] == names(in_D_list_from_G)
assert np.abs(substring[1] - substring[0]).max() > 1e-4
assert substring[3] > scope[3] > scope[2]

# %% [markdown]
# Five steps at the seed's learning rate already move every pixel-producing weight of G;
# in a real run D takes 859 such steps per epoch, and G's own optimizer (had it any
# variables) would fight D's over the same two layers. The fix is a scope filter, as the
# seed uses; but write it with the slash, as the next section shows.

# %% [markdown]
# ## 4. `scope=` is a regular expression matched at the start, not a folder
#
# `get_collection(key, scope)` keeps the items whose name satisfies `re.match(scope, name)`.
# So `scope="discriminator"` is a prefix test on the whole name, and it also takes
# `discriminator2/...` (a second critic, as in GANs with two discriminators) and
# `discriminator_1/...` (where a `tf.Variable` made in D's second call lands, lesson 3).
# The seed's graph has neither, so its lists are right; the next graph has both.

# %%
with tf.Graph().as_default():

    def critic(x, scope, reuse=False):
        """A one-weight critic; the tf.Variable is lesson 1's slip, made on every call."""
        with tf1.variable_scope(scope, reuse=reuse):
            w = tf1.get_variable("w", shape=[2, 1])
            scale = tf.Variable(1.0, name="scale")
            return scale * tf.matmul(x, w)

    x = tf1.placeholder(tf.float32, shape=[None, 2], name="x")
    critic(x, "discriminator")
    critic(x, "discriminator", reuse=True)
    critic(x, "discriminator2")
    no_slash = names(tf1.get_collection(TRAINABLE, scope="discriminator"))
    slash = names(tf1.get_collection(TRAINABLE, scope="discriminator/"))
    prefix = names(v for v in tf1.trainable_variables() if v.name.startswith("discriminator/"))
print('scope="discriminator": ', no_slash)
print('scope="discriminator/":', slash)
assert no_slash == [
    "discriminator/w",
    "discriminator/scale",
    "discriminator_1/scale",
    "discriminator2/w",
    "discriminator2/scale",
]
assert slash == prefix == ["discriminator/w", "discriminator/scale"]

# %% [markdown]
# ## The PyTorch way
#
# Each optimizer gets the parameters of one module object: `D.parameters()` cannot contain
# a generator tensor, however the layers are named. Names exist (`named_parameters()`), but
# nothing selects by them.

# %%
torch.manual_seed(4)
G = torch.nn.Sequential(
    torch.nn.Linear(100, 49),
    torch.nn.Unflatten(1, (1, 7, 7)),
    torch.nn.ConvTranspose2d(1, 1, kernel_size=4, stride=4),
)
D = torch.nn.Sequential(
    torch.nn.Conv2d(1, 1, kernel_size=4, stride=4), torch.nn.Flatten(), torch.nn.Linear(49, 1)
)
optimizer_D = torch.optim.Adam(D.parameters(), lr=hp.learning_rate, betas=(0.9, 0.999))
g_before = [p.detach().clone() for p in G.parameters()]
z = torch.from_numpy(fixed_noise)
for _ in range(5):
    fake_logits = D(G(z).detach())
    loss_D = torch.nn.functional.softplus(fake_logits).mean()
    optimizer_D.zero_grad()
    loss_D.backward()
    optimizer_D.step()
g_unchanged = all(torch.equal(a, b) for a, b in zip(g_before, G.parameters()))
print("generator parameters:", [name for name, _ in G.named_parameters()])
print("generator unchanged after five D steps:", g_unchanged)
assert g_unchanged

# %% [markdown]
# `G(z).detach()` stops the gradient at D's input, the PyTorch counterpart of D's var_list:
# even without it, an optimizer built on `D.parameters()` never updates G.

# %% [markdown]
# ## Exercises
#
# Each exercise reads the seed-002 DCGAN graph of section 2, whose trainable variables are
# listed there.
#
# ### Exercise 4.1: predict, then run
#
# How many variables does `tf1.get_collection(TRAINABLE, scope="gen")` return?
#
# <details><summary>Worked solution</summary>

# %%
with dcgan_graph.as_default():
    gen = names(tf1.get_collection(TRAINABLE, scope="gen"))
print(f"Exercise 4.1: {len(gen)} variables, all of G: {gen == names(dcgan.g_vars)}")
assert gen == names(dcgan.g_vars) and len(gen) == 8

# %% [markdown]
# All 8 of G's: `re.match("gen", name)` only asks whether the name starts with `gen`.
#
# </details>
#
# ### Exercise 4.2: predict, then run
#
# And `scope="discriminator/conv2d"`, meant for D's first convolution?
#
# <details><summary>Worked solution</summary>

# %%
with dcgan_graph.as_default():
    conv = names(tf1.get_collection(TRAINABLE, scope="discriminator/conv2d"))
print("Exercise 4.2:", conv)
assert conv == [
    "discriminator/conv2d/kernel",
    "discriminator/conv2d/bias",
    "discriminator/conv2d_1/kernel",
    "discriminator/conv2d_1/bias",
]

# %% [markdown]
# Both convolutions: `conv2d_1` starts with `conv2d`. The trap of section 4 one level
# down; `scope="discriminator/conv2d/"` takes the first one only.
#
# </details>
#
# ### Exercise 4.3: predict, then run
#
# `scope` is a regular expression. What does `scope="(generator|discriminator)/dense/"`
# return?
#
# <details><summary>Worked solution</summary>

# %%
with dcgan_graph.as_default():
    dense = names(tf1.get_collection(TRAINABLE, scope="(generator|discriminator)/dense/"))
print("Exercise 4.3:", dense)
assert dense == [
    "generator/dense/kernel",
    "generator/dense/bias",
    "discriminator/dense/kernel",
    "discriminator/dense/bias",
]

# %% [markdown]
# The first dense layer of each network, four variables: the alternation picks either
# network, and the closing slash leaves out G's `dense_1`.
#
# </details>

# %% [markdown]
# ## Takeaways
#
# - Collect var_lists by scope, with the slash: `get_collection(TRAINABLE_VARIABLES,
#   scope="discriminator/")`, which equals a `startswith("discriminator/")` test. Without
#   the slash the `re.match` prefix also takes `discriminator2/...` and `discriminator_1/...`.
#   An explicit list is as right as you write it.
# - `'d_' in var.name` only works while every name is hand-made. On the seed-002 DCGAN it
#   takes G's 4 `conv2d_transpose` variables into D's list and leaves out 6 of D's 8, and
#   `'g_'` finds nothing ("No variables to optimize.").
# - The wrong D list fails silently: five D steps changed G's output (by up to 0.064 on a
#   fixed z) and left `loss_G` at 0.886 against 0.731 with the scope list, with no G step.
# - In PyTorch a var_list is a module's `parameters()`; names never select parameters.
