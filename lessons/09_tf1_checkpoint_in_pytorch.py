"""Lesson 9: a TF1 checkpoint in PyTorch: names, layouts and batch-norm state, logits checked.

Lesson 8 showed that a TF1 checkpoint is a dictionary by name; a PyTorch `state_dict` is one
too. Moving a model across is therefore a table from TF names to PyTorch keys plus, for each
entry, how the array must be rearranged: a dense kernel is stored `[in, out]` where
`nn.Linear.weight` is `[out, in]`, a conv filter HWIO where `nn.Conv2d.weight` is OIHW, and
the batch-norm moving statistics become buffers, with TF's momentum 0.99 written 0.01 in
PyTorch. The archive keeps that table for each model (`NAME_MAP`, `BUFFER_MAP` in
ports/<model>.py, the layouts in ports/layouts.py) and a converter built on it
(convert/checkpoint.py). This lesson converts a seed-002 DCGAN checkpoint with it and checks
that the port, loaded with the result, computes the logits TensorFlow computes.

Source: convert/checkpoint.py (tf_to_torch), ports/layouts.py,
    ports/mnist_dcgan_networks.py (`NAME_MAP`, `BUFFER_MAP`, the `momentum=0.01, eps=1e-3`
    batch norm); docs/originals.md section 6.3 (PyTorch-port equivalences);
    torch.nn.BatchNorm2d documentation (momentum: the weight of the new value).

Run:
    python lessons/09_tf1_checkpoint_in_pytorch.py    # ~20 s, mostly importing TensorFlow

Deviations: none: a lesson, not a reproduction. The DCGAN takes one step on seeded random
    "real" images (no MNIST); its D(real) batch-norm update ops are then run once by hand,
    which the seed never does (lesson 7), so that the moving statistics carry something.
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
from convert import checkpoint as convert  # noqa: E402  (the archive's converter: its one import here)
from ports import layouts  # noqa: E402
from ports import mnist_dcgan as port  # noqa: E402
from tf1_reference import mnist_dcgan  # noqa: E402

tf1_reference.setup()  # Graph mode and TF1 behaviour, for the whole process.

tf1 = tf.compat.v1
ONE_THREAD = tf1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
FOLDER = tempfile.TemporaryDirectory()  # Removed in the last cell.
rng = np.random.default_rng(9)
REAL = rng.uniform(0.0, 1.0, size=(16, 28, 28, 1)).astype(np.float32)
NOISE = rng.uniform(-1.0, 1.0, size=(16, 100)).astype(np.float32)
# float32 sums in another order (TF's NHWC convolutions, PyTorch's NCHW ones) differ in the
# last bits; the logits here are of order 1, so agreement to 1e-5 means "the same numbers".
TOLERANCE = 1e-5

# %% [markdown]
# ## 1. A TF1 checkpoint to convert
#
# The seed's graph, one D step and one G step, D(real)'s two batch-norm update ops run once,
# then `Saver().save` as the seed does. The graph's own D(real) logits and G(z) images on
# fixed inputs are kept for the comparison at the end.

# %%
with tf.Graph().as_default():
    tf1.set_random_seed(9)
    g = mnist_dcgan.build_graph()
    d_real_updates = tf1.get_collection(tf1.GraphKeys.UPDATE_OPS, scope="discriminator/")
    feed = {g.real_images_placeholder: REAL, g.z_placeholder: NOISE}
    with tf1.Session(config=ONE_THREAD) as sess:
        sess.run(tf1.global_variables_initializer())
        mnist_dcgan.train_step(sess, g, REAL, NOISE)
        sess.run(d_real_updates, feed)
        PREFIX = tf1.train.Saver().save(sess, f"{FOLDER.name}/gan.ckpt", write_meta_graph=False)
        tf_logits, tf_images = sess.run([g.D_logit_real, g.G], feed)
reader = tf.train.load_checkpoint(PREFIX)
print("saved:", len(reader.get_variable_to_shape_map()), "entries")
assert len(reader.get_variable_to_shape_map()) == 54

# %% [markdown]
# ## 2. The table: TF name -> PyTorch key, and a layout
#
# Each port's `NAME_MAP` maps every trainable TF variable to a parameter path in
# `{"generator": G, "discriminator": D}` and a layout; `BUFFER_MAP` does the same for the
# moving statistics. The discriminator's part:

# %%
d_map = {
    name: entry
    for name, entry in {**port.NAME_MAP, **port.BUFFER_MAP}.items()
    if name.startswith("discriminator/")
}
for name, (path, layout) in d_map.items():
    print(
        f"{name:51} {str(reader.get_variable_to_shape_map()[name]):15} -> "
        f"{path[len('discriminator.') :]:34} {layout}"
    )
assert len(d_map) == 10 and len(port.NAME_MAP) == 16

# %% [markdown]
# The converter reads the checkpoint, checks every name, shape and dtype against the graph
# and the port, and returns the PyTorch checkpoint: the two `state_dict`s and the two Adam
# states. TF's Adam keeps no step count, only `beta1_power`, which is beta1^(t+1) after t
# updates (lesson 5: 0.9 before the first), so the converter reads t off the powers.

# %%
checkpoint, updates = convert.tf_to_torch("mnist_dcgan", PREFIX)
print("keys:", sorted(checkpoint))
print(f"beta1_power = {reader.get_tensor('beta1_power'):.4f} -> Adam updates:", updates)
print("torch.optim.Adam step of D's first parameter:", int(checkpoint["opt_D"]["state"][0]["step"]))
assert sorted(checkpoint) == ["D", "G", "format", "model", "opt_D", "opt_G", "step"]
assert abs(reader.get_tensor("beta1_power") - 0.9**2) < 1e-6
assert updates == {"D": 1, "G": 1} and int(checkpoint["opt_D"]["state"][0]["step"]) == 1

# %% [markdown]
# ## 3. The layouts, one by one
#
# What each layout does to the array, checked against the converter's output:
#
# - `dense`: TF computes `x @ kernel` with `kernel` `[in, out]`; `nn.Linear` computes
#   `x @ weight.T` with `weight` `[out, in]`. So `weight = kernel.T`.
# - `conv`: TF's filter is `[height, width, in, out]` (HWIO), PyTorch's `[out, in, height,
#   width]` (OIHW): `permute(3, 2, 0, 1)`. Both frameworks compute a cross-correlation, so
#   nothing is flipped.
# - `conv_transpose`: TF `[h, w, out, in]`, PyTorch `[in, out, h, w]`: the same permutation.
# - `same`: biases, batch norm's `gamma` -> `weight`, `beta` -> `bias`, and the moving
#   statistics -> the `running_mean` and `running_var` buffers.

# %%
G_state, D_state = checkpoint["G"], checkpoint["D"]
checks = {
    "generator/dense/kernel -> dense.weight == kernel.T": np.array_equal(
        G_state["dense.weight"].numpy(), reader.get_tensor("generator/dense/kernel").T
    ),
    "discriminator/conv2d/kernel -> conv2d.weight == HWIO.permute(3, 2, 0, 1)": np.array_equal(
        D_state["conv2d.weight"].numpy(),
        reader.get_tensor("discriminator/conv2d/kernel").transpose(3, 2, 0, 1),
    ),
    "generator/conv2d_transpose/kernel -> same permutation": np.array_equal(
        G_state["conv2d_transpose.weight"].numpy(),
        reader.get_tensor("generator/conv2d_transpose/kernel").transpose(3, 2, 0, 1),
    ),
    "batch_normalization/gamma -> weight": np.array_equal(
        D_state["batch_normalization.weight"].numpy(),
        reader.get_tensor("discriminator/batch_normalization/gamma"),
    ),
    "batch_normalization/moving_mean -> running_mean": np.array_equal(
        D_state["batch_normalization.running_mean"].numpy(),
        reader.get_tensor("discriminator/batch_normalization/moving_mean"),
    ),
    "batch_normalization/moving_variance -> running_var": np.array_equal(
        D_state["batch_normalization.running_var"].numpy(),
        reader.get_tensor("discriminator/batch_normalization/moving_variance"),
    ),
}
for label, ok in checks.items():
    print(f"{label}: {ok}")
moving_mean = reader.get_tensor("discriminator/batch_normalization/moving_mean")
print("the moving mean carries D(real)'s update:", bool(np.abs(moving_mean).max() > 0))
assert all(checks.values()) and np.abs(moving_mean).max() > 0

# %% [markdown]
# Two layers need more than a transpose. D flattens a `(7, 7, 128)` map before its dense
# layer: TF flattens NHWC in (h, w, c) order, PyTorch NCHW in (c, h, w) order, so the
# kernel's 6272 rows must be permuted as well as transposed (`dense_nhwc_in:7,7,128`);
# G's reshape after its second dense layer needs the same on the columns and the bias.
# A plain transpose would load without complaint and compute something else.

# %%
kernel = reader.get_tensor("discriminator/dense/kernel")  # [h * w * c, 1], (h, w, c) order
weight = D_state["dense.weight"].numpy()  # [1, c * h * w], (c, h, w) order
rows = kernel.reshape(7, 7, 128, 1).transpose(2, 0, 1, 3).reshape(-1, 1)  # now (c, h, w)
print(
    "dense.weight == kernel.T:",
    np.array_equal(weight, kernel.T),
    "| == kernel rows in (c, h, w) order, transposed:",
    np.array_equal(weight, rows.T),
)
print(
    "the layout function agrees:",
    np.array_equal(layouts.to_torch("dense_nhwc_in:7,7,128", kernel), weight),
)
assert not np.array_equal(weight, kernel.T) and np.array_equal(weight, rows.T)
assert np.array_equal(layouts.to_torch("dense_nhwc_in:7,7,128", kernel), weight)

# %% [markdown]
# Momentum: TF's batch norm moves `moving = momentum * moving + (1 - momentum) * batch`
# with momentum 0.99, the weight of the *old* value; PyTorch's moves
# `running = (1 - momentum) * running + momentum * batch`, the weight of the *new* one. So
# TF's 0.99 is PyTorch's 0.01, as the port writes it. Lesson 7's four values 0, 10, 20, 30
# gave TF's moving variance 2.6567 after one update; here PyTorch's, both ways:

# %%
four_values = torch.tensor([0.0, 10.0, 20.0, 30.0]).reshape(1, 1, 2, 2)
running_var = {}
for momentum in (0.01, 0.99):
    bn = torch.nn.BatchNorm2d(1, momentum=momentum, eps=1e-3)
    bn(four_values)
    running_var[momentum] = round(float(bn.running_var), 4)
print(
    "running_var after one update:",
    running_var,
    "| the port's momentum:",
    port.Discriminator().batch_normalization.momentum,
)
assert running_var == {0.01: 2.6567, 0.99: 165.01}
assert port.Discriminator().batch_normalization.momentum == 0.01

# %% [markdown]
# ## The PyTorch way
#
# Load the state_dicts and compare. The converted `state_dict`s load strictly into the
# port's modules, which take NCHW images.
# D(real)'s logits and G(z)'s images must be TensorFlow's, to float32 rounding.

# %%
D = port.Discriminator()
G = port.Generator()
D.load_state_dict(D_state)
G.load_state_dict(G_state)
with torch.no_grad():
    _, torch_logits = D(torch.from_numpy(REAL).permute(0, 3, 1, 2))  # NHWC -> NCHW
    torch_images = G(torch.from_numpy(NOISE)).permute(0, 2, 3, 1)  # NCHW -> NHWC
logit_error = np.abs(torch_logits.numpy() - tf_logits).max()
image_error = np.abs(torch_images.numpy() - tf_images).max()
print(
    f"D(real) logits agree within {TOLERANCE}:",
    logit_error < TOLERANCE,
    f"| G(z) images agree within {TOLERANCE}:",
    image_error < TOLERANCE,
)
print("logits are not all alike (a real check):", float(np.ptp(tf_logits)) > 0.01)
assert logit_error < TOLERANCE and image_error < TOLERANCE and np.ptp(tf_logits) > 0.01

# %% [markdown]
# ## Exercises
#
# ### Exercise 9.1: predict, then run
#
# G's second transposed convolution has the TF kernel `[5, 5, 1, 64]`. What is the shape
# of `conv2d_transpose_1.weight` in the converted state_dict?
#
# <details><summary>Worked solution</summary>

# %%
shape = tuple(G_state["conv2d_transpose_1.weight"].shape)
print(
    "Exercise 9.1:",
    reader.get_variable_to_shape_map()["generator/conv2d_transpose_1/kernel"],
    "->",
    shape,
)
assert shape == (64, 1, 5, 5)

# %% [markdown]
# `(64, 1, 5, 5)`. A TF `conv2d_transpose` kernel is `[h, w, out, in]` (64 input channels
# here, 1 output), and `nn.ConvTranspose2d.weight` is `[in, out, h, w]`: in first, the
# reverse of `nn.Conv2d`'s out first.
#
# </details>
#
# ### Exercise 9.2: predict, then run
#
# Put the converted port D in `eval()` mode. Do its logits on the same images change?
#
# <details><summary>Worked solution</summary>

# %%
with torch.no_grad():
    _, eval_logits = D.eval()(torch.from_numpy(REAL).permute(0, 3, 1, 2))
print(
    "Exercise 9.2: eval() logits equal the train() logits:", torch.equal(eval_logits, torch_logits)
)
assert torch.equal(eval_logits, torch_logits)

# %% [markdown]
# They do not change: the port normalises with the batch's statistics in every mode, as the
# seed's `training=True` does (lesson 7, exercise 7.2). The converted `running_mean` and
# `running_var` ride along for completeness; a port written with a plain `nn.BatchNorm2d`
# would use them in `eval()`, and then they must be right.
#
# </details>
#
# ### Exercise 9.3: predict, then run
#
# What does the converter do with lesson 8's renamed checkpoint, whose discriminator lives
# under `critic/discriminator/`? Here, a checkpoint with that one change.
#
# <details><summary>Worked solution</summary>

# %%
with tf.Graph().as_default():
    renamed = {
        name.replace("discriminator/", "critic/discriminator/", 1): tf.Variable(
            reader.get_tensor(name)
        )
        for name in reader.get_variable_to_shape_map()
    }
    with tf1.Session(config=ONE_THREAD) as sess:
        sess.run(tf1.global_variables_initializer())
        critic_prefix = tf1.train.Saver(var_list=renamed).save(
            sess, f"{FOLDER.name}/critic.ckpt", write_meta_graph=False
        )
try:
    convert.tf_to_torch("mnist_dcgan", critic_prefix)
except convert.Mismatch as error:
    refusal = str(error).replace(critic_prefix, "<prefix>")
print("Exercise 9.3:", refusal[:118] + "...")
print("the rest of the sentence:", "..." + refusal[refusal.index("; missing") :][:90] + "...")
assert "is not a mnist_dcgan checkpoint, first mismatch 'critic/discriminator/" in refusal
assert "; missing (26): discriminator/batch_normalization/beta," in refusal

# %% [markdown]
# It refuses, before converting anything, with a sentence that names the first name it
# does not know, then counts and lists the missing and the unexpected names. A converter
# that goes by name can only map the names in its table; rename back first (lesson 8), then
# convert.
#
# </details>

# %%
FOLDER.cleanup()

# %% [markdown]
# ## Takeaways
#
# - A TF1 checkpoint reaches PyTorch through a table by name (`NAME_MAP`, `BUFFER_MAP`) and
#   a layout per entry; the archive's converter (`convert/checkpoint.py`) checks names,
#   shapes and dtypes before it converts anything.
# - Dense kernels transpose (`[in, out]` -> `[out, in]`); conv filters permute HWIO -> OIHW,
#   transposed-conv filters `[h, w, out, in]` -> `[in, out, h, w]`, the same
#   `permute(3, 2, 0, 1)`; a dense layer beside a flatten or reshape also reorders its rows
#   or columns from (h, w, c) to (c, h, w).
# - Batch norm: `gamma`/`beta` -> `weight`/`bias`, moving statistics -> `running_mean` and
#   `running_var` buffers, TF momentum 0.99 -> PyTorch momentum 0.01.
# - TF's Adam has no step count; t is read off `beta1_power` = beta1^(t+1).
# - Check the result by running both: here D's logits and G's images agree within 1e-5.
