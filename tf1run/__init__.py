"""tf1run: run an unmodified TF1-era script on TensorFlow 2.21 in graph mode, as it was written.

Source: the TF 1.x APIs as TF 1.15 shipped them (tf.contrib.layers, the MNIST tutorial's
input_data, the flags wrapper) and the names TF 1.0 renamed (its release notes' list);
tf1run/names.py holds the tables, docs/tf1run.md prints them.

Run:
    python -m tf1run tf1run/examples/mnist_gan_2017.py                    # a 2017 GAN, ~3 min
    python -m tf1run --max-steps 20 --save runs/tf1run/gan tf1run/examples/mnist_gan_2017.py
    python -m tf1run --help

`import tensorflow as tf` in the script (and in modules of its own folder) gives tf.compat.v1
with v2 behaviour off and Keras 2 behind tf.layers, plus the substitutions below; the archive's
own code keeps the real TensorFlow. Before the script starts, one block on stderr lists every
substitution and refusal its source shows; a substitution only the run reveals gets one line
on stderr when first made. tf1run/runner.py says how a run ends (exit status, last line).

Deviations: what a script sees that TF 1.x did not give it.
- Renamed names (tf.mul, tf.sub, tf.scalar_summary, tf.train.SummaryWriter, ...) are the new
  functions. The tf.summary functions prefix a tag with the enclosing name scope and replace
  characters an op name may not hold, where the 0.x *_summary used the tag as written.
- tf.concat, tf.split, tf.reverse and the cross-entropies read the 0.x argument orders from
  the call's arguments (tf1run/shim.py); a call that TF 1.x read one way is read that way.
- tf.contrib is tf.contrib.layers only, rewritten on tf.compat.v1 (tf1run/contrib.py lists how
  it differs from 1.15's); any other tf.contrib module, and any name neither tf.compat.v1 nor
  tf1run has, is refused where the script uses it.
- input_data reads from disk only and shuffles with its own generator (tf1run/input_data.py).
- tf.Session and tf.InteractiveSession are tf1run's (tf1run/session.py): the --device config
  replaces or extends the script's ConfigProto; the script's numbers are TensorFlow 2.21's
  kernels', which can differ from TF 1.x's in the last bits.
- matplotlib runs headless (Agg): plt.show() does nothing; savefig writes as before.
"""
