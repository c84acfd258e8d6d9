"""Small cases the cross-check tests write into a folder of their own, as a user would.

Each is the text of a case file: a TF1 graph function, a PyTorch port and the case, in the
shape docs/your-own-model.md describes. `write(folder, text)` puts one on disk.
"""

import pathlib
import textwrap

# A toy GAN whose D has a ReLU input that is exactly -t in real numbers: a - round8(a) - t,
# where round8 rounds a to the float grid of 8 (a stop-gradient copy). PyTorch computes
# a - a.detach() - t = -t exactly; TF's rounding leaves up to half an ulp of 8 (4.8e-7 in
# float32). With t = -1 every unit is on; with t = 1e-9, from step FLIP_STEP on in the G step
# only, TF's units are on or off by the sign of their rounding error and PyTorch's all off:
# kink flips, within rounding of zero, in the G step's pass through D.
FLIP_GAN = """
import numpy as np
import tensorflow.compat.v1 as tf
import torch
from torch import nn

from crosscheck import case

FLIP_STEP = 3  # 1-based: the first step whose G step gets t = 1e-9.
BUG = 0.0  # A port bug to plant: added to D's output bias.


def graph(dtype=tf.float32):
    z = tf.placeholder(dtype, [None, 2], name="z")
    x = tf.placeholder(dtype, [None, 2], name="x")
    t = tf.placeholder(dtype, [], name="t")
    k = tf.placeholder(dtype, [], name="k")
    with tf.variable_scope("G"):
        fake = tf.matmul(z, tf.get_variable("w", [2, 2], dtype)) + tf.get_variable("b", [2], dtype)
    with tf.variable_scope("D"):
        w1, b1 = tf.get_variable("w1", [2, 4], dtype), tf.get_variable("b1", [4], dtype)
        w2, b2 = tf.get_variable("w2", [4, 1], dtype), tf.get_variable("b2", [1], dtype)

    def discriminator(v):
        a = tf.matmul(v, w1) + b1
        h = tf.nn.relu(a - tf.stop_gradient((a + k) - k) - t)
        return tf.matmul(h, w2) + b2

    real, fake_logit = discriminator(x), discriminator(fake)
    sce = tf.nn.sigmoid_cross_entropy_with_logits
    d_loss = tf.reduce_mean(sce(labels=tf.ones_like(real), logits=real)) + tf.reduce_mean(
        sce(labels=tf.zeros_like(fake_logit), logits=fake_logit)
    )
    g_loss = tf.reduce_mean(sce(labels=tf.ones_like(fake_logit), logits=fake_logit))
    d_vars = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, "D/")
    g_vars = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, "G/")
    tf.train.AdamOptimizer(0.01).minimize(d_loss, var_list=d_vars)
    tf.train.AdamOptimizer(0.01).minimize(g_loss, var_list=g_vars)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, z):
        return self.lin(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1, self.l2 = nn.Linear(2, 4), nn.Linear(4, 1)

    def forward(self, v, t):
        a = self.l1(v)
        return self.l2(torch.relu(a - a.detach() - t)) + BUG


def step(nets, opts, batch):
    G, D, bce = nets["G"], nets["D"], nn.functional.binary_cross_entropy_with_logits
    opts["D"].zero_grad()
    real, fake = D(batch["x"], batch["t"]), D(G(batch["z"]).detach(), batch["t"])
    d_loss = bce(real, torch.ones_like(real)) + bce(fake, torch.zeros_like(fake))
    d_loss.backward()
    opts["D"].step()
    opts["G"].zero_grad()
    fake = D(G(batch["z"]), batch["G"]["t"])
    g_loss = bce(fake, torch.ones_like(fake))
    g_loss.backward()
    opts["G"].step()
    return d_loss.item(), g_loss.item()


def batches(rng, steps):
    return [
        {
            "x": rng.normal(size=(8, 2)) + 2.0,
            "z": rng.normal(size=(8, 2)),
            "t": -1.0,
            "G": {"t": 1e-9 if i + 1 >= FLIP_STEP else -1.0},
        }
        for i in range(steps)
    ]


NAME_MAP = {
    "G/w": ("G.lin.weight", "dense"),
    "G/b": ("G.lin.bias", "same"),
    "D/w1": ("D.l1.weight", "dense"),
    "D/b1": ("D.l1.bias", "same"),
    "D/w2": ("D.l2.weight", "dense"),
    "D/b2": ("D.l2.bias", "same"),
}
CASE = case.Case(
    name="flip_gan",
    graph=graph,
    modules=lambda: {"G": Generator(), "D": Discriminator()},
    name_map=NAME_MAP,
    batches=batches,
    torch_step=step,
    constants={"k": 8.0},
)
"""

# A one-network model with dropout in the graph, both spellings, and in-graph noise: the
# helper feeds TF's masks and noise and hands PyTorch the same ones.
DROPOUT_NET = """
import tensorflow.compat.v1 as tf
import torch
from torch import nn

from crosscheck import case

P = 0.3  # The port's dropout probability (TF drops 0.3 in each layer).


def graph(dtype=tf.float32):
    x = tf.placeholder(dtype, [None, 6], name="x")
    keep_prob = tf.placeholder(dtype, [], name="keep_prob")
    with tf.variable_scope("net"):
        h = tf.layers.dense(x, 16, activation=tf.nn.relu, name="fc1")
        h = tf.nn.dropout(h, keep_prob)  # TF 1's spelling, fed 0.7.
        h = h + 0.01 * tf.random_normal(tf.shape(h), dtype=dtype)  # In-graph noise.
        h = tf.layers.dense(h, 8, activation=tf.nn.relu, name="fc2")
        h = tf.nn.dropout(h, rate=0.3)  # TF 2's spelling.
        out = tf.layers.dense(h, 1, name="fc3")
    loss = tf.reduce_mean(tf.square(out))
    tf.train.AdamOptimizer(0.001).minimize(loss)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(6, 16), nn.Linear(16, 8), nn.Linear(8, 1)

    def forward(self, x):
        h = nn.functional.dropout(torch.relu(self.fc1(x)), P)
        h = h + 0.01 * torch.randn(h.shape, dtype=h.dtype)
        h = nn.functional.dropout(torch.relu(self.fc2(h)), 0.3)
        return self.fc3(h)


def step(nets, opts, batch):
    opts["net"].zero_grad()
    loss = nets["net"](batch["x"]).square().mean()
    loss.backward()
    opts["net"].step()
    return [loss.item()]


CASE = case.Case(
    name="dropout_net",
    graph=graph,
    modules=lambda: {"net": Net()},
    name_map={
        f"net/fc{i}/{kind}": (f"net.fc{i}.{param}", layout)
        for i in (1, 2, 3)
        for kind, param, layout in (("kernel", "weight", "dense"), ("bias", "bias", "same"))
    },
    batches=lambda rng, steps: [{"x": rng.normal(size=(5, 6))} for _ in range(steps)],
    torch_step=step,
    constants={"keep_prob": 0.7},
)
"""


def write(folder, text, name="my_case.py", **replace):
    """The case `text` written to folder/name, with module-level constants replaced."""
    text = textwrap.dedent(text)
    for key, value in replace.items():
        lines = [line for line in text.splitlines() if line.startswith(f"{key} = ")]
        text = text.replace(lines[0], f"{key} = {value!r}", 1)
    path = pathlib.Path(folder) / name
    path.write_text(text)
    return path
