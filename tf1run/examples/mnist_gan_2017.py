"""A 2017-style GAN on MNIST, written for TensorFlow 1.x as the blog posts of the time wrote it.

An MLP generator (100 -> 128 -> 784, sigmoid) and an MLP discriminator (784 -> 128 -> 1) with
dropout, xavier-initialised weights from tf.contrib.layers, the non-saturating losses on
logits, Adam, a tf.train.Saver checkpoint and a grid of samples saved with matplotlib.
Nothing here knows about TensorFlow 2: run it with `python -m tf1run`.

Run:
    python -m tf1run tf1run/examples/mnist_gan_2017.py     # 20000 iterations, ~3 min on 2 cores
    python -m tf1run --max-steps 20 tf1run/examples/mnist_gan_2017.py --print-every 5
"""

import argparse
import os

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=20000)
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--print-every", type=int, default=1000)
parser.add_argument("--out", default="out_gan")
args = parser.parse_args()

mnist = input_data.read_data_sets("MNIST_data", one_hot=True)
Z_dim = 100
X = tf.placeholder(tf.float32, shape=[None, 784])
Z = tf.placeholder(tf.float32, shape=[None, Z_dim])
keep_prob = tf.placeholder(tf.float32)

D_W1 = tf.get_variable("D_W1", [784, 128], initializer=tf.contrib.layers.xavier_initializer())
D_b1 = tf.Variable(tf.zeros(shape=[128]), name="D_b1")
D_W2 = tf.get_variable("D_W2", [128, 1], initializer=tf.contrib.layers.xavier_initializer())
D_b2 = tf.Variable(tf.zeros(shape=[1]), name="D_b2")
theta_D = [D_W1, D_W2, D_b1, D_b2]

G_W1 = tf.get_variable("G_W1", [Z_dim, 128], initializer=tf.contrib.layers.xavier_initializer())
G_b1 = tf.Variable(tf.zeros(shape=[128]), name="G_b1")
G_W2 = tf.get_variable("G_W2", [128, 784], initializer=tf.contrib.layers.xavier_initializer())
G_b2 = tf.Variable(tf.zeros(shape=[784]), name="G_b2")
theta_G = [G_W1, G_W2, G_b1, G_b2]


def generator(z):
    G_h1 = tf.nn.relu(tf.matmul(z, G_W1) + G_b1)
    return tf.nn.sigmoid(tf.matmul(G_h1, G_W2) + G_b2)


def discriminator(x):
    D_h1 = tf.nn.relu(tf.matmul(x, D_W1) + D_b1)
    D_h1 = tf.nn.dropout(D_h1, keep_prob)
    return tf.matmul(D_h1, D_W2) + D_b2


G_sample = generator(Z)
D_logit_real = discriminator(X)
D_logit_fake = discriminator(G_sample)

D_loss_real = tf.reduce_mean(
    tf.nn.sigmoid_cross_entropy_with_logits(logits=D_logit_real, labels=tf.ones_like(D_logit_real))
)
D_loss_fake = tf.reduce_mean(
    tf.nn.sigmoid_cross_entropy_with_logits(logits=D_logit_fake, labels=tf.zeros_like(D_logit_fake))
)
D_loss = D_loss_real + D_loss_fake
G_loss = tf.reduce_mean(
    tf.nn.sigmoid_cross_entropy_with_logits(logits=D_logit_fake, labels=tf.ones_like(D_logit_fake))
)

D_solver = tf.train.AdamOptimizer(learning_rate=0.0002, beta1=0.5).minimize(
    D_loss, var_list=theta_D
)
G_solver = tf.train.AdamOptimizer(learning_rate=0.0002, beta1=0.5).minimize(
    G_loss, var_list=theta_G
)


def sample_Z(m, n):
    return np.random.uniform(-1.0, 1.0, size=[m, n])


def plot(samples):
    fig = plt.figure(figsize=(4, 4))
    for i, sample in enumerate(samples):
        ax = plt.subplot(4, 4, i + 1)
        plt.axis("off")
        ax.set_aspect("equal")
        plt.imshow(sample.reshape(28, 28), cmap="Greys_r")
    return fig


if not os.path.exists(args.out):
    os.makedirs(args.out)

saver = tf.train.Saver()
sess = tf.Session()
sess.run(tf.global_variables_initializer())

for it in range(args.steps):
    X_mb, _ = mnist.train.next_batch(args.batch_size)
    _, D_loss_curr = sess.run(
        [D_solver, D_loss],
        feed_dict={X: X_mb, Z: sample_Z(args.batch_size, Z_dim), keep_prob: 0.5},
    )
    _, G_loss_curr = sess.run(
        [G_solver, G_loss], feed_dict={Z: sample_Z(args.batch_size, Z_dim), keep_prob: 0.5}
    )
    if it % args.print_every == 0:
        print("Iter: {}  D loss: {:.4}  G loss: {:.4}".format(it, D_loss_curr, G_loss_curr))
        samples = sess.run(G_sample, feed_dict={Z: sample_Z(16, Z_dim)})
        fig = plot(samples)
        plt.savefig("{}/{}.png".format(args.out, str(it).zfill(6)), bbox_inches="tight")
        plt.close(fig)
        saver.save(sess, os.path.join(args.out, "model.ckpt"), global_step=it)
