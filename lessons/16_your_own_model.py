"""Lesson 16: a TF1 model of your own, the archive's way: run it, check the port, convert it.

Lesson 15 migrated a network by hand, checking each step. This capstone does the same job on
a whole training program with the archive's tools, on its worked example
(examples/mnist_gan_2017/): a 2017-style TF1 GAN that is not one of the six. `tf1run` runs
the script unmodified and saves its checkpoint; `convert` lists what the checkpoint holds; a
33-line case ties the TF1 graph to its PyTorch port, and the cross-check drives both with
the same numbers (weights, batches, noise, dropout masks) step by step; `convert` then turns
the TF checkpoint into a PyTorch one whose generator computes what TF's did. Two exercises
plant the mistakes a port and a case most often hold.

Source: the archive's own tools (tf1run/, crosscheck/case.py, crosscheck/engine.py,
    convert/), on examples/mnist_gan_2017/ (gan_tf1.py, gan_pytorch.py, case.py);
    docs/your-own-model.md walks the same path from a shell.

Run:
    python lessons/16_your_own_model.py    # ~40 s: one tf1run process, three short checks

Deviations: none: a lesson, not a reproduction. It runs in TF1 behaviour, reads MNIST from
    $MNIST_DATA_DIR, and writes only into a temporary folder.
"""

# %%
import os
import pathlib
import subprocess
import sys
import tempfile

# `python lessons/<file>.py` puts lessons/ on sys.path, not the repository root; in a
# notebook there is no __file__ and the working folder is lessons/.
HERE = pathlib.Path(__file__).parent if "__file__" in globals() else pathlib.Path.cwd()
ROOT = HERE.resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import tf1_reference  # noqa: E402

tf1_reference.setup()  # TF1 behaviour for this process, as the cross-check's own runs have it.

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import torch  # noqa: E402

from convert import checkpoint, listing  # noqa: E402
from crosscheck import case as case_api  # noqa: E402
from crosscheck import engine, loading  # noqa: E402

tf1 = tf.compat.v1
EXAMPLE = ROOT / "examples" / "mnist_gan_2017"
WORK = pathlib.Path(tempfile.mkdtemp(prefix="lesson16-"))

# %% [markdown]
# ## 1. Run the 2017 script as it is
#
# `gan_tf1.py` imports `tensorflow` and `input_data`, builds its graph with `tf.placeholder`,
# `tf.contrib.layers.xavier_initializer` and `tf.nn.dropout(h, keep_prob)`, and trains in a
# `Session`: none of which TensorFlow 2.21 has under those names. `python -m tf1run` runs it
# unmodified. `--max-steps 20` stops it cleanly after 20 training runs (10 D steps, 10 G
# steps) and `--save` writes every global variable with a Saver.

# %%
command = [sys.executable, "-m", "tf1run", "--max-steps", "20", "--seed", "0"]
command += ["--save", str(WORK / "model"), str(EXAMPLE / "gan_tf1.py"), "--out", str(WORK)]
done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=dict(os.environ))
assert done.returncode == 0, done.stderr
said = [line for line in done.stderr.splitlines() if line.startswith(("tf1run", "  "))]
data = os.environ.get("MNIST_DATA_DIR", "data/mnist")
for line in said:
    print(
        line.replace(str(WORK), "<tmp>")
        .replace(str(EXAMPLE), "<example>")
        .replace(data, "$MNIST_DATA_DIR")
    )

# %% [markdown]
# The block lists what tf1run put in place of each removed API, with the script's line, before
# the script starts; the last lines say what it added: the checkpoint, and where it stopped.
#
# ## 2. What the checkpoint holds
#
# `python -m convert inspect` lists any TF1 checkpoint, no model needed: every variable with
# its shape, each optimizer's slots under their variable, and Adam's beta powers apart
# (a checkpoint does not say whose they are).

# %%
listed = listing.text(listing.describe(WORK / "model"))
print("\n".join(line for line in listed.splitlines() if "D_W1" in line or "Parameters" in line))

# %% [markdown]
# ## 3. The case, and the check
#
# `case.py` names the graph function (`gan_tf1.build`), the port's modules, the name map (each
# TF variable to its PyTorch parameter and layout: `nn.Linear`'s weight is TF's kernel
# transposed), how batches are made (MNIST in a new order each epoch, U(-1, 1) noise, a fresh
# z for the G step) and the port's step. The rest comes from the graph: the two train ops and
# their var_lists, the losses, Adam's constants. The dropout inside the graph takes fed masks,
# and the port's `F.dropout` returns the same ones.

# %%
CASE = loading.load(f"{EXAMPLE}/case.py:CASE")
print("sub-steps:", [s.label for s in engine.sides(CASE, "float64", "tf")[0].substeps])
result = engine.run(CASE, 4, dtype="float64", adam="tf", seed=0)
table = engine.format_table(CASE.name, result)
print("\n".join(line for line in table.splitlines() if not line.startswith("  ")))
assert result.passed

# %% [markdown]
# In float64, with TF1's Adam arithmetic on the PyTorch side, the two agree to a few units of
# 1e-16 in every loss, gradient and weight: the same function, step for step. In float32 they
# agree to rounding until TF drifts from itself or a ReLU input within rounding of zero takes
# the other branch in one framework (a kink flip); docs/crosscheck.md has the rule.
#
# ## The PyTorch way
#
# The port trains from where TF stopped: the converter reads the case's name map and the
# graph's optimizers: weights in PyTorch's layouts, Adam's m and v in `exp_avg` /
# `exp_avg_sq`, the step count read off TF's beta powers. The port's modules load it with
# `strict=True`.

# %%
state, updates = checkpoint.tf_to_torch(f"{EXAMPLE}/case.py:CASE", str(WORK / "model"))
print("Adam updates read off the beta powers:", updates)
port = sys.modules["gan_pytorch"]
G = port.Generator()
G.load_state_dict(state["G"], strict=True)
z = np.random.default_rng(16).uniform(-1.0, 1.0, size=(64, 100)).astype(np.float32)
with tf.Graph().as_default():
    X, Z, keep_prob, G_sample, *_ = sys.modules["gan_tf1"].build()
    with tf1.Session() as sess:
        tf1.train.Saver().restore(sess, str(WORK / "model"))
        tf_samples = sess.run(G_sample, {Z: z})
with torch.no_grad():
    torch_samples = G(torch.from_numpy(z)).numpy()
difference = float(np.abs(tf_samples - torch_samples).max())
print(f"G(z) after 10 steps: max |TF - PyTorch| = {difference:.1e} over {tf_samples.size} pixels")
assert difference < 1e-6

# %% [markdown]
# ### Exercise 16.1: predict, then run
#
# A port written from a TF 1 script often carries `keep_prob` over as PyTorch's `p`, the
# probability to DROP. Here the port drops with `p = 1 - keep_prob`; set its `keep_prob` to
# 0.3 while the graph keeps feeding 0.5, so the port drops 70% where TF drops half. The masks
# are fed to both sides, so the numbers agree whatever `p` says. Does the check pass?

# %% [markdown]
# <details><summary>Worked solution</summary>

# %%
port.keep_prob = 0.3
try:
    slipped = engine.run(CASE, 1, dtype="float64", adam="tf", seed=0, floor=False)
finally:
    port.keep_prob = 0.5
failed = [q for q, *_, verdict in slipped.rows if verdict == "FAIL"]
print(f"Exercise 16.1: {'PASS' if slipped.passed else 'FAIL'}: {failed[0]}")
assert not slipped.passed

# %% [markdown]
# It fails, on the rate itself. Fed masks would hide the slip in every loss and weight (they
# agree to 1e-16 here), so the check compares the probability each PyTorch dropout call was
# given with the rate of the TF dropout it stands for, and a difference is a FAIL of its own.
#
# </details>

# %% [markdown]
# ### Exercise 16.2: write a fix
#
# The case below maps `discriminator/D_W2` with the layout `"same"`. TF keeps that kernel as
# [128, 1], `nn.Linear` as [1, 128], and the check refuses the case before drawing a number.
# Write `fixed_name_map()`: the broken map with that entry corrected. `check_name_map` builds
# both sides with it and runs one float64 step.

# %%
broken = {**CASE.name_map, "discriminator/D_W2": ("D.fc2.weight", "same")}


def check_name_map(name_map):
    """One float64 step with `name_map`; its step-1 gradients, or the case's sentence."""
    trial = case_api.Case(**{**vars(CASE), "name_map": name_map})
    try:
        checked = engine.run(trial, 1, dtype="float64", adam="tf", seed=0, floor=False)
    except case_api.CaseError as error:
        return f"refused: {error}"
    assert checked.passed
    return checked.before_update["gradients"]


print(check_name_map(broken))
assert str(check_name_map(broken)).startswith("refused: TF variable 'discriminator/D_W2'")

# %% [markdown]
# <details><summary>Worked solution</summary>

# %%


def fixed_name_map():
    """A dense kernel is [in, out] in TF and [out, in] in nn.Linear: the "dense" layout."""
    return {**broken, "discriminator/D_W2": ("D.fc2.weight", "dense")}


gradients = check_name_map(fixed_name_map())
print(
    f"Exercise 16.2: fixed discriminator/D_W2 -> dense; "
    f"step 1 gradients agree to 1e-12: {gradients <= 1e-12}"
)

# %% [markdown]
# A layout that does not fit the shape is caught by shape alone. A square kernel transposed,
# or a flatten in the other order, fits and is caught by the numbers instead: the step-1
# loss or gradients fail.
#
# </details>

# %% [markdown]
# ## Takeaways
#
# - `python -m tf1run` runs a TF1 script as it was written and saves its variables; it says
#   what it substituted, what it refused and where it stopped.
# - A case is the contract between the TF1 graph and its port: a graph function, the modules,
#   a name map with layouts, batches and a step. Everything else is read off the graph.
# - The check feeds both sides the same numbers, dropout masks and in-graph noise included,
#   and compares every loss, gradient and weight; it also compares what fed masks would hide.
# - Every mistake in a case is one sentence before any number is drawn; every mistake in a
#   port is a FAIL at the step and quantity where it shows.
# - The converter moves weights and Adam's state both ways through the same name map, so a
#   run begun in TF1 continues in PyTorch (docs/your-own-model.md, docs/conversion.md).
