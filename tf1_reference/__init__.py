"""TF1 graph-mode reproductions of the archive's tutorials, one module per model.

A TF1 program enters TF1 behaviour where it starts, not where it is imported: `setup()` (called
by each reference's `main`, by the cross-check, the converter, bench and the tests' fixtures)
does two things. A reference used as a library needs no call of its own: its `build_graph`
calls `for_building()`, which enters TF1 behaviour when called outside any graph and, inside a
`tf.Graph().as_default()` block of a TF2 program (lessons 11 and 14 build references so), only
makes sure of Keras 2, leaving the process in TF2.
- `TF_USE_LEGACY_KERAS=1`, because `tf.compat.v1.layers` (seed 002) only exists with Keras 2
  (the `tf-keras` package); under Keras 3 every layer call raises "`dense` is not available
  with Keras 3". TensorFlow reads it lazily, at the first use of tf.keras or tf.layers.
- `tf.compat.v1.disable_v2_behavior()`: graph mode, sessions, placeholders and reference
  variables, so that every variable and Adam-slot name comes out as TF 1.x made it. It holds for
  the whole process, which is why no import does it.

Importing this package only chooses TensorFlow's C++ log level, which TensorFlow reads once,
before it is imported: harness/tf_logs.py (TF_CPP_MIN_LOG_LEVEL 3 on the CPU, so no "failed call
to cuInit" on a machine without a GPU; 2 with `--device gpu`; a setting in the environment wins).
"""

import os
import warnings

from harness import tf_logs  # noqa: F401  (TensorFlow's log level, before TensorFlow loads)

_entered = []  # Not empty once setup() ran in this process.


def use_keras2():
    """Keras 2 (tf-keras) for tf.keras and tf.compat.v1.layers, without leaving eager mode."""
    os.environ["TF_USE_LEGACY_KERAS"] = "1"


def _check_keras2():
    import tensorflow as tf

    if not hasattr(tf.compat.v1.layers, "dense"):
        raise RuntimeError(
            "tf.compat.v1.layers is already bound to Keras 3 in this process, so the references' "
            "tf.layers cannot be built; call tf1_reference.setup() (or set TF_USE_LEGACY_KERAS=1) "
            "before the first use of tf.compat.v1.layers."
        )


def for_building():
    """What a reference's `build_graph` needs: TF1 behaviour when called outside any graph (a
    library user's first call), else Keras 2 alone (a graph built inside a TF2 program)."""
    import tensorflow as tf

    if _entered or tf.executing_eagerly():
        setup()
    else:
        use_keras2()
        _check_keras2()


def setup():
    """Enter TF1 behaviour for this process (idempotent); see the module docstring.

    TensorFlow binds `tf.compat.v1.layers` to a Keras once, at its first use in a process;
    after a use under Keras 3, TF_USE_LEGACY_KERAS comes too late, and this raises RuntimeError
    saying so instead of letting the first layer call fail without a reason.
    """
    if _entered:
        return
    use_keras2()
    import tensorflow as tf

    _check_keras2()

    # The originals use tf.layers on purpose; its deprecation notice would interleave with
    # their prints, as would disable_v2_behavior()'s own deprecation warning.
    warnings.filterwarnings(
        "ignore", message=r"`tf\.layers\.\w+` is deprecated", category=UserWarning
    )
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
    tf.compat.v1.disable_v2_behavior()
    _entered.append(True)
