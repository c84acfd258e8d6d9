"""A 2017-style DCGAN on tf.contrib.layers, small enough for a CPU: tf1run's contrib subset at work.

G: fully_connected -> batch_norm -> conv2d_transpose to 14x14 -> batch_norm -> conv2d_transpose to
28x28, tanh. D: conv2d -> batch_norm -> flatten -> fully_connected to one logit, with an
l2_regularizer on its weights. Batch norm's moving averages are updated through UPDATE_OPS, as
contrib's batch_norm asks. The real images are blurred noise (no download, no MNIST needed). The
layer helpers live in dcgan_ops.py beside it, as 2017 projects kept them.

Run:
    python -m tf1run tf1run/examples/contrib_dcgan_2017.py                # 300 steps, ~5 s
    python -m tf1run --max-steps 6 --save runs/tf1run/dcgan tf1run/examples/contrib_dcgan_2017.py
"""

import sys

import numpy as np
import tensorflow.compat.v1 as tf
from dcgan_ops import bn, deconv, lrelu

layers = tf.contrib.layers
steps = int(sys.argv[1]) if len(sys.argv) > 1 else 300
batch_size, z_dim = 16, 32

z = tf.placeholder(tf.float32, [None, z_dim])
images = tf.placeholder(tf.float32, [None, 28, 28, 1])
is_training = tf.placeholder(tf.bool, [])


def generator(z):
    with tf.variable_scope("generator"):
        h = layers.fully_connected(z, 7 * 7 * 16, activation_fn=None, scope="fc")
        h = tf.nn.relu(bn(tf.reshape(h, [-1, 7, 7, 16]), is_training, "bn0"))
        h = tf.nn.relu(bn(deconv(h, 8, "deconv0"), is_training, "bn1"))
        return tf.nn.tanh(deconv(h, 1, "deconv1"))


def discriminator(x, reuse=False):
    with tf.variable_scope("discriminator", reuse=reuse):
        h = layers.conv2d(
            x,
            8,
            4,
            stride=2,
            activation_fn=lrelu,
            scope="conv0",
            weights_regularizer=layers.l2_regularizer(1e-4),
        )
        h = lrelu(layers.batch_norm(h, is_training=is_training, scope="bn0"))
        return layers.fully_connected(
            layers.flatten(h),
            1,
            activation_fn=None,
            scope="fc",
            weights_regularizer=layers.l2_regularizer(1e-4),
        )


fake = generator(z)
d_real = discriminator(images)
d_fake = discriminator(fake, reuse=True)
xent = tf.nn.sigmoid_cross_entropy_with_logits
d_loss = (
    tf.reduce_mean(xent(logits=d_real, labels=tf.ones_like(d_real)))
    + tf.reduce_mean(xent(logits=d_fake, labels=tf.zeros_like(d_fake)))
    + tf.losses.get_regularization_loss()
)
g_loss = tf.reduce_mean(xent(logits=d_fake, labels=tf.ones_like(d_fake)))

d_vars = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope="discriminator/")
g_vars = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope="generator/")
with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS, scope="discriminator/")):
    d_opt = tf.train.AdamOptimizer(2e-4, beta1=0.5).minimize(d_loss, var_list=d_vars)
with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS, scope="generator/")):
    g_opt = tf.train.AdamOptimizer(2e-4, beta1=0.5).minimize(g_loss, var_list=g_vars)


def real_batch(n):
    noise = np.random.rand(n, 28, 28, 1)
    return np.tanh(noise + np.roll(noise, 1, axis=1) + np.roll(noise, 1, axis=2) - 1.5)


with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(steps):
        feed = {
            images: real_batch(batch_size),
            is_training: True,
            z: np.random.uniform(-1, 1, [batch_size, z_dim]),
        }
        _, d = sess.run([d_opt, d_loss], feed)
        _, g = sess.run([g_opt, g_loss], feed)
        if step % 50 == 0:
            print("step %d: d_loss %.4f g_loss %.4f" % (step, d, g))
