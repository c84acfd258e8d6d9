"""A 2016-style GAN on a 1-D Gaussian, written with TensorFlow 0.x names before TF 1.0 renamed them.

G maps uniform noise to samples of N(4, 0.5); D is a small MLP. The script uses the 0.x API on
purpose: tf.mul, tf.sub, tf.pack, tf.concat(dim, values), tf.split(dim, num, value),
tf.nn.sigmoid_cross_entropy_with_logits(logits, targets), tf.scalar_summary,
tf.merge_all_summaries, tf.train.SummaryWriter and tf.initialize_all_variables, with
tf.app.flags and tf.app.run(). `python -m tf1run` runs it unchanged.

Run:
    python -m tf1run tf1run/examples/gaussian_gan_2016.py                  # 3000 steps, ~5 s
    python -m tf1run tf1run/examples/gaussian_gan_2016.py --steps 200 --logdir logs_gan
"""

import numpy as np
import tensorflow as tf

flags = tf.app.flags
flags.DEFINE_integer("steps", 3000, "training steps (one D and one G update each)")
flags.DEFINE_integer("batch_size", 64, "samples per batch")
flags.DEFINE_string("logdir", "logs_gaussian_gan", "folder for the TensorBoard summaries")
FLAGS = flags.FLAGS


def mlp(x, sizes, scope):
    with tf.variable_scope(scope):
        for i, size in enumerate(sizes):
            w = tf.get_variable(
                "w%d" % i,
                [x.get_shape()[1], size],
                initializer=tf.random_normal_initializer(stddev=0.5),
            )
            b = tf.get_variable("b%d" % i, [size], initializer=tf.constant_initializer(0.0))
            x = tf.add(tf.matmul(x, w), b)
            if i < len(sizes) - 1:
                x = tf.nn.relu(x)
    return x


def main(_):
    z = tf.placeholder(tf.float32, [None, 1], name="z")
    x = tf.placeholder(tf.float32, [None, 1], name="x")
    g = mlp(z, [16, 1], "G")
    # D sees real and fake as one batch, split again after (the 0.x argument orders).
    both = tf.concat(0, [x, g])
    d_logits = mlp(tf.concat(1, [both, tf.mul(both, both)]), [16, 1], "D")
    d_real, d_fake = tf.split(0, 2, d_logits)
    labels = tf.pack([tf.ones_like(d_real), tf.zeros_like(d_fake)])
    d_loss = tf.reduce_mean(
        tf.nn.sigmoid_cross_entropy_with_logits(tf.pack([d_real, d_fake]), labels)
    )
    g_loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(d_fake, tf.ones_like(d_fake)))
    mean_gap = tf.abs(tf.sub(tf.reduce_mean(g), 4.0))

    d_vars = [v for v in tf.trainable_variables() if v.name.startswith("D/")]
    g_vars = [v for v in tf.trainable_variables() if v.name.startswith("G/")]
    d_opt = tf.train.AdamOptimizer(0.01).minimize(d_loss, var_list=d_vars)
    g_opt = tf.train.AdamOptimizer(0.01).minimize(g_loss, var_list=g_vars)
    tf.scalar_summary("d_loss", d_loss)
    tf.scalar_summary("g_loss", g_loss)
    summaries = tf.merge_all_summaries()

    sess = tf.Session()
    writer = tf.train.SummaryWriter(FLAGS.logdir, sess.graph)
    sess.run(tf.initialize_all_variables())
    n = FLAGS.batch_size
    for step in range(FLAGS.steps):
        feed = {x: np.random.normal(4.0, 0.5, (n, 1)), z: np.random.uniform(-1, 1, (n, 1))}
        _, d = sess.run([d_opt, d_loss], feed)
        _, g_l, s = sess.run([g_opt, g_loss, summaries], feed)
        writer.add_summary(s, step)
        if step % 500 == 0:
            print(
                "step %d: d_loss %.4f g_loss %.4f |mean(G) - 4| %.3f"
                % (step, d, g_l, sess.run(mean_gap, feed))
            )
    writer.close()


if __name__ == "__main__":
    tf.app.run()
