"""Checkpoints between each TF1 reference and its PyTorch port, and any TF1 checkpoint listed.

convert/checkpoint.py says how; `python -m convert --help` lists the commands.
"""

from harness import tf_logs  # noqa: F401  (TensorFlow's log level, before TensorFlow loads)
