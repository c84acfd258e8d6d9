"""Pages the archive writes from its own code and measurements: the deviation list (docs/)."""

from harness import tf_logs  # noqa: F401  (TensorFlow's log level, before TensorFlow loads)
