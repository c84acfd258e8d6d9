"""A 2017-style GAN with a bug of its own: G's output layer has 748 units where D reads 784.

tf1run runs it and reports the script's error as the script's, at the script's line, with only
the script's own frames, and exits 1. (The fix: `G_W2 = ...[128, 784]`.)

Run:
    python -m tf1run tf1run/examples/buggy_gan_2017.py      # exit 1, the error at line 27
"""

import numpy as np
import tensorflow as tf

X = tf.placeholder(tf.float32, shape=[None, 784])
Z = tf.placeholder(tf.float32, shape=[None, 100])
D_W1 = tf.Variable(tf.random_normal([784, 128], stddev=0.1))
D_W2 = tf.Variable(tf.random_normal([128, 1], stddev=0.1))
G_W1 = tf.Variable(tf.random_normal([100, 128], stddev=0.1))
G_W2 = tf.Variable(tf.random_normal([128, 748], stddev=0.1))  # The bug: 748 for 784.


def generator(z):
    G_h1 = tf.nn.relu(tf.matmul(z, G_W1))
    return tf.nn.sigmoid(tf.matmul(G_h1, G_W2))


def discriminator(x):
    D_h1 = tf.nn.relu(tf.matmul(x, D_W1))
    return tf.matmul(D_h1, D_W2)


D_real = discriminator(X)
D_fake = discriminator(generator(Z))
sess = tf.Session()
sess.run(tf.global_variables_initializer())
print(sess.run(D_fake, {Z: np.random.uniform(-1, 1, [4, 100])}))
