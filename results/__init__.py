"""The results tables at the originals' budgets, from runs that any scheduler can spread out.

`python -m results plan` prints one ordinary training command per run (rows.py holds the rows),
`python -m results run` runs them on this machine, and `python -m results merge` reads the
finished run folders and writes the tables (merge.py; MNIST scores from score.py).
"""

from harness import tf_logs  # noqa: F401  (TensorFlow's log level, before TensorFlow loads)
