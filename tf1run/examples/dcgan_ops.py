"""The ops.py of a 2017 DCGAN project: layer helpers on tf.contrib.layers, imported by its script.

tf1run gives this module, like every module of the script's own folder, the same `tensorflow`
as the script: tf.compat.v1 with tf1run's tf.contrib.layers.
"""

import tensorflow as tf

slim_init = tf.contrib.layers.xavier_initializer()


def lrelu(x, leak=0.2, name="lrelu"):
    return tf.maximum(x, leak * x, name=name)


def bn(x, is_training, scope):
    return tf.contrib.layers.batch_norm(
        x, decay=0.9, epsilon=1e-5, scale=True, is_training=is_training, scope=scope
    )


def deconv(x, channels, scope):
    return tf.contrib.layers.conv2d_transpose(
        x, channels, 4, stride=2, activation_fn=None, weights_initializer=slim_init, scope=scope
    )
