"""A 2017-style sequence generator on tf.contrib.rnn, which TensorFlow 2 removed.

tf1run refuses it with one sentence naming tf.contrib.rnn and the line that uses it, and where
the LSTM cell went (tf.nn.rnn_cell), and exits 2 before anything runs.

Run:
    python -m tf1run tf1run/examples/rnn_gan_2017.py        # exit 2, refused at line 14
"""

import tensorflow as tf

z = tf.placeholder(tf.float32, [None, 10, 8])
with tf.variable_scope("generator"):
    cell = tf.contrib.rnn.BasicLSTMCell(32)
    outputs, _ = tf.nn.dynamic_rnn(cell, z, dtype=tf.float32)
    samples = tf.layers.dense(outputs, 1, activation=tf.nn.tanh)
print(samples)
