"""A GAN on MNIST written for TensorFlow 1 the way 2017 tutorials wrote it: the archive's
worked example of bringing a model of your own (docs/your-own-model.md).

An MLP generator (100 -> 128 ReLU -> 784 sigmoid) and an MLP discriminator (784 -> 128 ReLU,
dropout with keep_prob 0.5 -> 1 logit), xavier weights from tf.contrib.layers, the
non-saturating losses on logits, Adam(2e-4, beta1=0.5), input_data's MNIST, a Saver and a
grid of samples saved with matplotlib. It is not one of the archive's six models; it runs on
TensorFlow 2.21 only through `python -m tf1run`, unmodified.

Run:
    python -m tf1run examples/mnist_gan_2017/gan_tf1.py                 # 20,000 iterations
    python -m tf1run --max-steps 200 --save runs/g/model.ckpt \
        examples/mnist_gan_2017/gan_tf1.py --out runs/g    # 200 steps, then a checkpoint

Deviations: none (the archive's own example; `build` takes a dtype so that the cross-check
can build it in float64 too).
"""

import argparse
import os

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data

Z_dim = 100  # Size of the noise vector.
h_dim = 128  # Hidden units of G and of D.


def weight(name, shape, dtype):
    return tf.get_variable(name, shape, dtype, tf.contrib.layers.xavier_initializer())


def bias(name, shape, dtype):
    return tf.get_variable(name, shape, dtype, tf.zeros_initializer())


def build(dtype=tf.float32):
    """Placeholders, G, D twice, the losses and both Adam optimizers, in the default graph."""
    X = tf.placeholder(dtype, shape=[None, 784], name="X")
    Z = tf.placeholder(dtype, shape=[None, Z_dim], name="Z")
    keep_prob = tf.placeholder(dtype, name="keep_prob")

    with tf.variable_scope("discriminator"):
        D_W1, D_b1 = weight("D_W1", [784, h_dim], dtype), bias("D_b1", [h_dim], dtype)
        D_W2, D_b2 = weight("D_W2", [h_dim, 1], dtype), bias("D_b2", [1], dtype)
    with tf.variable_scope("generator"):
        G_W1, G_b1 = weight("G_W1", [Z_dim, h_dim], dtype), bias("G_b1", [h_dim], dtype)
        G_W2, G_b2 = weight("G_W2", [h_dim, 784], dtype), bias("G_b2", [784], dtype)

    def generator(z):
        G_h1 = tf.nn.relu(tf.matmul(z, G_W1) + G_b1)
        return tf.nn.sigmoid(tf.matmul(G_h1, G_W2) + G_b2)

    def discriminator(x):
        D_h1 = tf.nn.relu(tf.matmul(x, D_W1) + D_b1)
        D_h1 = tf.nn.dropout(D_h1, keep_prob)
        return tf.matmul(D_h1, D_W2) + D_b2

    G_sample = generator(Z)
    D_logit_real, D_logit_fake = discriminator(X), discriminator(G_sample)

    sce = tf.nn.sigmoid_cross_entropy_with_logits
    D_loss = tf.reduce_mean(sce(logits=D_logit_real, labels=tf.ones_like(D_logit_real)))
    D_loss += tf.reduce_mean(sce(logits=D_logit_fake, labels=tf.zeros_like(D_logit_fake)))
    G_loss = tf.reduce_mean(sce(logits=D_logit_fake, labels=tf.ones_like(D_logit_fake)))

    theta_D = [D_W1, D_b1, D_W2, D_b2]
    theta_G = [G_W1, G_b1, G_W2, G_b2]
    D_solver = tf.train.AdamOptimizer(2e-4, beta1=0.5).minimize(D_loss, var_list=theta_D)
    G_solver = tf.train.AdamOptimizer(2e-4, beta1=0.5).minimize(G_loss, var_list=theta_G)
    return X, Z, keep_prob, G_sample, D_loss, G_loss, D_solver, G_solver


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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", default="out")
    args = parser.parse_args()

    mnist = input_data.read_data_sets("MNIST_data", one_hot=True)
    X, Z, keep_prob, G_sample, D_loss, G_loss, D_solver, G_solver = build()
    if not os.path.exists(args.out):
        os.makedirs(args.out)
    saver = tf.train.Saver()
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())

    for it in range(args.iterations):
        if it % 1000 == 0:
            samples = sess.run(G_sample, feed_dict={Z: sample_Z(16, Z_dim)})
            fig = plot(samples)
            plt.savefig("{}/{}.png".format(args.out, str(it // 1000).zfill(3)), bbox_inches="tight")
            plt.close(fig)

        X_mb, _ = mnist.train.next_batch(args.batch_size)
        _, D_loss_curr = sess.run(
            [D_solver, D_loss],
            feed_dict={X: X_mb, Z: sample_Z(args.batch_size, Z_dim), keep_prob: 0.5},
        )
        _, G_loss_curr = sess.run(
            [G_solver, G_loss], feed_dict={Z: sample_Z(args.batch_size, Z_dim), keep_prob: 0.5}
        )

        if it % 1000 == 0:
            print("Iter: {}".format(it))
            print("D loss: {:.4}".format(D_loss_curr))
            print("G_loss: {:.4}".format(G_loss_curr))
            print()
    saver.save(sess, os.path.join(args.out, "model.ckpt"))


if __name__ == "__main__":
    main()
