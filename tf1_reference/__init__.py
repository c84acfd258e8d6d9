"""TF1 graph-mode reproductions of the archive's tutorials, one module per model.

Importing this package is the one place that prepares TensorFlow for them:
- `TF_USE_LEGACY_KERAS=1` is set before TensorFlow's Keras is first used, because
  `tf.compat.v1.layers` (seed 002) only exists with Keras 2 (the `tf-keras` package);
  under Keras 3 every layer call raises "`dense` is not available with Keras 3".
- `tf.compat.v1.disable_v2_behavior()` switches to TF1 behaviour: graph mode, sessions,
  placeholders and reference variables, so that every variable and Adam-slot name comes
  out as TF 1.x made it.
"""

import os
import sys
import warnings

# TensorFlow reads this lazily, at the first use of tf.keras or tf.compat.v1.layers, so setting
# it here works even when another module imported TensorFlow first (measured on TF 2.21).
os.environ["TF_USE_LEGACY_KERAS"] = "1"


def _log_level(argv):
    """TF_CPP_MIN_LOG_LEVEL for this process: 3 (errors hidden) unless it asks for a GPU.

    On a machine without a GPU, the first session prints "E0000 ... failed call to cuInit: CUDA
    error", which reads like a failure and is none; TensorFlow documents TF_CPP_MIN_LOG_LEVEL=3
    to hide its C++ errors, read once, before TensorFlow is imported. `--device gpu` keeps level
    2, so a GPU's own errors still show. Placement logs (`--log-device-placement`) are printed
    at any level; the start-up notices TensorFlow writes before its logging is set up ("oneDNN
    custom operations are on") ignore the level and stay.
    """
    wants_gpu = "--device=gpu" in argv or any(
        flag == "--device" and value == "gpu" for flag, value in zip(argv, argv[1:])
    )
    return "2" if wants_gpu else "3"


os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", _log_level(sys.argv))

import tensorflow as tf  # noqa: E402  (the environment must be set first)

# The originals use tf.layers on purpose; its deprecation notice would interleave with their prints.
warnings.filterwarnings("ignore", message=r"`tf\.layers\.\w+` is deprecated", category=UserWarning)

# Quiet first: disable_v2_behavior() itself logs a deprecation warning.
tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
tf.compat.v1.disable_v2_behavior()
