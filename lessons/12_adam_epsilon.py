"""Lesson 12: Adam's epsilon: TF1 adds it before the bias correction, PyTorch after.

Every model of the archive trains with Adam, and TF1's `AdamOptimizer` and `torch.optim.Adam`
take the same four numbers (learning rate, beta1, beta2, epsilon) with the same defaults.
They still compute different steps. TF1 folds both bias corrections into the learning rate
and adds epsilon to sqrt(v); PyTorch divides the moments by their corrections and adds
epsilon to sqrt(v_hat). The two agree once gradients are large against epsilon and the step
count is large, and part ways where gradients are small early in training, which is where a
GAN starts. This lesson writes both rules out, measures TF1's graph against them over a
thousand steps, and reads the size of the gap on the archive's Gaussian GAN from its own
cross-check.

Source: TF1 `tf.compat.v1.train.AdamOptimizer` docstring (the "epsilon hat" of Kingma and Ba,
    section 2, and the step-size formula) and its ApplyAdam kernel; `torch.optim.Adam`
    documentation (the algorithm box); crosscheck/tf_adam.py (TF1's arithmetic in PyTorch);
    crosscheck/engine.py and `python -m crosscheck gaussian_gan --adam torch|tf`.

Run:
    python lessons/12_adam_epsilon.py    # ~20 s, mostly importing TensorFlow

Deviations: none: a lesson, not a reproduction. The constant gradients are the lesson's;
    the GAN figures are the cross-check's own, from seed 0, in float64.
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
from crosscheck import tf_adam  # noqa: E402

tf1_reference.setup()  # Graph mode and TF1 behaviour, for the whole process.

tf1 = tf.compat.v1
ONE_THREAD = tf1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
LR, BETA1, BETA2, EPSILON = 1e-3, 0.9, 0.999, 1e-8  # Both frameworks' defaults.
GRADIENTS = np.array([1.0, 1e-4, 1e-6, 1e-8])  # One parameter each, its gradient constant.
STEPS = (1, 10, 100, 1000)

# %% [markdown]
# ## 1. Two rules for one algorithm
#
# Both keep the moments `m <- beta1 m + (1 - beta1) g` and `v <- beta2 v + (1 - beta2) g^2`
# from zero, so after t steps they are biased towards zero by `1 - beta1^t` and
# `1 - beta2^t`. Then:
#
# - TF1: `w <- w - lr_t m / (sqrt(v) + eps)` with `lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t)`;
# - PyTorch: `w <- w - lr m_hat / (sqrt(v_hat) + eps)` with `m_hat = m / (1 - beta1^t)` and
#   `v_hat = v / (1 - beta2^t)`.
#
# Multiply out and the only difference is where epsilon sits: TF1's rule is PyTorch's with
# epsilon replaced by `eps / sqrt(1 - beta2^t)`. At the first step that is sqrt(1000) = 31.6
# times epsilon, and the factor falls towards 1 only as `beta2^t` does (about 1.26 at step
# 1,000). With a constant gradient g both rules have a closed form, the step in units of lr:
# `g / (|g| + eps_t)`.

# %%


def step_over_lr(gradient, t, tf1_rule):
    """The t-th Adam step divided by lr, for a gradient that has been `gradient` every step."""
    eps = EPSILON / np.sqrt(1.0 - BETA2**t) if tf1_rule else EPSILON
    return gradient / (np.abs(gradient) + eps)


for t in STEPS:
    print(f"step {t:4}: TF1's epsilon acts as {EPSILON / np.sqrt(1 - BETA2**t):.3g} in PyTorch")
assert np.isclose(1.0 / np.sqrt(1 - BETA2), 31.62, atol=0.01)

# %% [markdown]
# ## 2. Measured: TF1's graph, the archive's TF1 Adam in PyTorch, and torch.optim.Adam
#
# Four float32 parameters, each with a constant gradient (the loss is `sum(g * w)`), one
# thousand steps in each: TF1's `AdamOptimizer` in a graph, `crosscheck.tf_adam.TFAdam` (TF1's
# arithmetic written in PyTorch, which the cross-check uses) and `torch.optim.Adam`. The
# table gives each step at steps 1, 10, 100 and 1,000, in units of lr.

# %%
with tf.Graph().as_default():
    w = tf1.get_variable("w", initializer=tf.zeros([len(GRADIENTS)], tf.float32))
    loss = tf.reduce_sum(tf.constant(GRADIENTS, tf.float32) * w)
    train = tf1.train.AdamOptimizer(LR, BETA1, BETA2, EPSILON).minimize(loss)
    with tf1.Session(config=ONE_THREAD) as sess:
        sess.run(tf1.global_variables_initializer())
        tf1_weights = [sess.run(w)]
        for _ in range(max(STEPS)):
            sess.run(train)
            tf1_weights.append(sess.run(w))


def torch_weights(optimizer_class, **options):
    """The weights after every step of `optimizer_class` on the same constant gradients."""
    weight = torch.zeros(len(GRADIENTS), requires_grad=True)
    optimizer = optimizer_class([weight], lr=LR, **options)
    history = [weight.detach().clone()]
    for _ in range(max(STEPS)):
        weight.grad = torch.tensor(GRADIENTS, dtype=torch.float32)
        optimizer.step()
        history.append(weight.detach().clone())
    return np.stack([h.numpy() for h in history])


tf1_weights = np.stack(tf1_weights)
in_pytorch = torch_weights(tf_adam.TFAdam, beta1=BETA1, beta2=BETA2, epsilon=EPSILON)
pytorch = torch_weights(torch.optim.Adam, betas=(BETA1, BETA2), eps=EPSILON)


def steps_of(weights):
    """Each step's size in units of lr (positive: the weight moves against the gradient)."""
    return (weights[:-1] - weights[1:]) / LR


print("gradient  step   TF1 graph   TFAdam      torch.optim.Adam")
for column, gradient in enumerate(GRADIENTS):
    for t in STEPS:
        row = [steps_of(w)[t - 1, column] for w in (tf1_weights, in_pytorch, pytorch)]
        print(f"{gradient:8.0e}  {t:4}   " + "  ".join(f"{value:10.4f}" for value in row))
tf1_steps, torch_steps = steps_of(tf1_weights), steps_of(pytorch)
for t in STEPS:
    np.testing.assert_allclose(tf1_steps[t - 1], step_over_lr(GRADIENTS, t, True), rtol=2e-3)
    np.testing.assert_allclose(torch_steps[t - 1], step_over_lr(GRADIENTS, t, False), rtol=2e-3)
np.testing.assert_allclose(in_pytorch, tf1_weights, rtol=1e-6, atol=1e-12)
assert tf1_steps[0, 3] < 0.04 and torch_steps[0, 3] > 0.49  # Gradient 1e-8, step 1.

# %% [markdown]
# A gradient of 1 moves a weight by lr in both rules at every step. A gradient of 1e-8 moves
# it by 0.03 lr in TF1's first step and by 0.5 lr in PyTorch's, sixteen times more; by step
# 1,000 the two are 0.44 and 0.50. Small gradients are where it shows: early steps,
# saturated units, weights that the loss hardly touches. `TFAdam` follows TF1's graph to
# float32 rounding, which is why the cross-check can hold a port to TF1 once it uses it.
#
# ## 3. The gap on a GAN: the archive's cross-check
#
# `python -m crosscheck gaussian_gan` trains xyang35's Gaussian GAN in TF1 and in its PyTorch
# port from identical numbers and compares every weight after every step. In float64, with
# TF1's arithmetic (`--adam tf`) the two agree to rounding; with `torch.optim.Adam` (`--adam
# torch`) what is left is this lesson's epsilon. The function below asks the cross-check
# for both, over 20 steps.

# %%


def gan_weight_gaps(steps):
    """{adam: largest weight difference after each step} from the archive's cross-check."""
    from crosscheck import engine
    from harness import registry

    case = registry.case("gaussian_gan")
    gaps = {}
    for adam in ("tf", "torch"):
        result = engine.run(case, steps, dtype="float64", adam=adam, seed=0, floor=False)
        gaps[adam] = [step["variables"] for step in result.per_step]
    return gaps


gaps = gan_weight_gaps(20)
# Rounding alone separates the two sides by about 1e-16 with TF1's arithmetic (the exact
# figure depends on the CPU's kernels), so that side is shown as a bound.
print(
    "TF1's arithmetic (TFAdam):  max |w_TF1 - w_port| below 1e-12 at every step:",
    max(gaps["tf"]) < 1e-12,
)
print(
    "torch.optim.Adam:           max |w_TF1 - w_port| after steps 1, 10, 20: "
    + ", ".join(f"{gaps['torch'][t - 1]:.1e}" for t in (1, 10, 20))
)
assert max(gaps["tf"]) < 1e-12
assert min(gaps["torch"]) > 1e-7

# %% [markdown]
# Same model, same numbers, same float64: the only change is where epsilon goes, and the
# port's weights leave TF1's at the first step (the toy's D learns at lr 0.05, so even a
# small relative difference in the step is visible) and stay apart. In float32 that gap is
# far above rounding, which is why `python -m crosscheck` uses TF1's arithmetic by default and
# `--adam torch` only to measure this.
#
# ## The PyTorch way
#
# No `eps` makes `torch.optim.Adam` compute TF1's steps: the factor `1 / sqrt(1 - beta2^t)`
# changes every step. An `eps` chosen for the first step, 1e-8 times 31.6, matches step 1
# and then drifts away. To train a port with TF1's numbers use an optimizer that does TF1's
# arithmetic, as the archive's `TFAdam` (`python -m crosscheck MODEL --adam tf`); to port a
# model for its own sake, keep torch's Adam and list the difference, as each port's
# Deviations do.

# %%
first_step_eps = EPSILON / np.sqrt(1 - BETA2)
matched = torch_weights(torch.optim.Adam, betas=(BETA1, BETA2), eps=first_step_eps)
matched_steps = steps_of(matched)
print(
    f"torch.optim.Adam(eps={first_step_eps:.3g}) on gradient 1e-8:",
    ", ".join(
        f"step {t}: {matched_steps[t - 1, 3]:.4f} (TF1 {tf1_steps[t - 1, 3]:.4f})" for t in STEPS
    ),
)
assert abs(matched_steps[0, 3] - tf1_steps[0, 3]) < 1e-3
assert abs(matched_steps[-1, 3] - tf1_steps[-1, 3]) > 0.3

# %% [markdown]
# ## Exercises
#
# ### Exercise 12.1: predict, then run
#
# A weight whose gradient is 1e-7 at every step. At step 1, how large is TF1's step as a
# fraction of PyTorch's? Use the closed form, then check it on the two optimizers.
#
# <details><summary>Worked solution</summary>

# %%
with tf.Graph().as_default():
    w = tf1.get_variable("w", initializer=tf.zeros([1], tf.float32))
    train = tf1.train.AdamOptimizer(LR).minimize(tf.reduce_sum(tf.constant([1e-7]) * w))
    with tf1.Session(config=ONE_THREAD) as sess:
        sess.run(tf1.global_variables_initializer())
        sess.run(train)
        tf1_first = -float(sess.run(w)[0]) / LR
weight = torch.zeros(1, requires_grad=True)
weight.grad = torch.tensor([1e-7])
torch.optim.Adam([weight], lr=LR).step()
torch_first = -float(weight.detach()[0]) / LR
ratio = tf1_first / torch_first
print(f"Exercise 12.1: TF1's first step is {ratio:.2f} of PyTorch's")
assert abs(ratio - step_over_lr(1e-7, 1, True) / step_over_lr(1e-7, 1, False)) < 1e-3

# %% [markdown]
# 0.26: TF1's step is `1e-7 / (1e-7 + 3.16e-7) = 0.24` lr, PyTorch's
# `1e-7 / (1e-7 + 1e-8) = 0.91` lr. A gradient of the size of epsilon / sqrt(1 - beta2) moves
# a TF1 weight about four times less than a PyTorch one at the start.
#
# </details>
#
# ### Exercise 12.2: predict, then run
#
# The gap shrinks as t grows. From which step on is TF1's step on a gradient of 1e-8 within
# 1% of PyTorch's?
#
# <details><summary>Worked solution</summary>

# %%
t = np.arange(1, 200_001)
close = np.abs(step_over_lr(1e-8, t, True) / step_over_lr(1e-8, t, False) - 1) < 0.01
first_close = int(t[close][0])
print(f"Exercise 12.2: from step {first_close:,} on")
assert close[first_close - 1 :].all() and first_close == 3238

# %% [markdown]
# From step 3,238. For g = eps the ratio is `2 s / (s + 1)` with `s = sqrt(1 - beta2^t)`,
# which passes 0.99 only when `beta2^t` falls below 0.039, after ln(0.039) / ln(0.999) steps.
# The Gaussian GANs run 2,500 steps: for gradients of epsilon's size, their whole training
# lies where the two rules differ by more than 1%.
#
# </details>

# %% [markdown]
# ## Takeaways
#
# - TF1's Adam is PyTorch's with epsilon replaced by `eps / sqrt(1 - beta2^t)`: 31.6 times
#   larger at step 1, about 1.26 times at step 1,000, equal only in the limit.
# - The difference matters for gradients near epsilon or below, early in training: a gradient
#   of 1e-8 gets a first step of 0.03 lr in TF1 and 0.5 lr in PyTorch.
# - On the archive's Gaussian GAN, in float64 from identical numbers, TF1's arithmetic keeps
#   the port within rounding of TF1 and `torch.optim.Adam` does not (`python -m crosscheck
#   gaussian_gan --adam tf|torch`).
# - No constant `eps` reproduces TF1's rule in `torch.optim.Adam`; use an optimizer that does
#   TF1's arithmetic (the archive's `crosscheck/tf_adam.py`) when the numbers must match.
