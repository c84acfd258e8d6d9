"""Cross-checks: each TF1 reference and its PyTorch port driven with identical numbers.

`python -m crosscheck MODEL` runs one model's check; crosscheck/engine.py holds the method and
the tolerances, crosscheck/<model>.py says how each model is fed and stepped. The list of
models is the registry's (harness/registry/).
"""

from harness import tf_logs  # noqa: F401  (TensorFlow's log level, before TensorFlow loads)
