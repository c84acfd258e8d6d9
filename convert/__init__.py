"""Checkpoint conversion between each TF1 reference and its PyTorch port (convert/checkpoint.py)."""

from harness import tf_logs  # noqa: F401  (TensorFlow's log level, before TensorFlow loads)
