"""What every model of the registry must satisfy, and what importing the archive must not do.

Per model (harness/registry/): a TF1 reference and a PyTorch port with one HParams between
them (models/<model>.py), a `train(hp, run, hooks)` loop and a `main`, a cross-check case whose
NAME_MAP covers the reference's trainable variables once each, and a docstring that lists its
deviations. For the whole tree: importing a module builds nothing, writes nothing and leaves
TensorFlow in eager mode; the MNIST reader imports no PyTorch.
"""

import dataclasses
import inspect
import os
import pathlib
import subprocess
import sys

import pytest
import tensorflow as tf

from harness import registry

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = (
    "models",
    "tf1_reference",
    "ports",
    "ports.fast",
    "crosscheck",
    "report",
    "results",
    "convert",
    "bench",
    "quality",
    "figures",
    "inputs",
    "harness",
    "tf1run",
)


@pytest.mark.parametrize("model", registry.NAMES)
def test_reference_and_port_share_their_hparams(model):
    reference, port = registry.reference(model), registry.port(model)
    assert port.HParams is reference.HParams  # Written once, in models/<model>.py.
    assert reference.HParams.__module__.startswith("models.")
    assert dataclasses.asdict(port.HParams()) == dataclasses.asdict(reference.HParams())
    assert registry.MODELS[model].length_flag.lstrip("-").replace("-", "_") in {
        f.name for f in dataclasses.fields(reference.HParams)
    }


@pytest.mark.parametrize("model", registry.NAMES)
@pytest.mark.parametrize("framework", sorted(registry.FRAMEWORKS))
def test_every_model_has_one_loop_and_a_command(model, framework):
    module = registry.module(model, framework)
    assert list(inspect.signature(module.train).parameters) == ["hp", "run", "hooks"]
    assert callable(module.main) and module.MODEL == model


@pytest.mark.parametrize("model", registry.NAMES)
def test_name_map_covers_each_trainable_variable_once(model):
    case = registry.case(model)
    with tf.Graph().as_default():
        case.graph(tf.float32)
        names = [v.op.name for v in tf.compat.v1.trainable_variables()]
    assert sorted(case.name_map) == sorted(names) and len(set(names)) == len(names)
    assert case.name_map is registry.port(model).NAME_MAP  # The port's own map, not a copy.


def test_registry_refuses_an_unknown_model():
    with pytest.raises(ValueError, match="unknown model 'mnist_gan'; choose one of"):
        registry.check("mnist_gan")


def _fresh(code, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("TF_USE_LEGACY_KERAS", None)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_importing_every_module_builds_and_writes_nothing(tmp_path):
    modules = sorted(
        f"{package}.{path.stem}" if path.stem != "__init__" else package
        for package in PACKAGES
        for path in (ROOT / package.replace(".", "/")).glob("*.py")
        if path.stem != "__main__"
    )
    code = (
        "import importlib, os, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "import tensorflow as tf\n"
        "assert tf.executing_eagerly(), 'an import left TensorFlow in graph mode'\n"
        "assert 'TF_USE_LEGACY_KERAS' not in os.environ, 'an import chose Keras 2'\n"
        "assert not tf.compat.v1.get_default_graph().get_operations(), 'an import built ops'\n"
    )
    result = _fresh(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert list(tmp_path.iterdir()) == []


def test_the_mnist_reader_imports_no_torch(tmp_path):
    result = _fresh("import sys, inputs.mnist\nassert 'torch' not in sys.modules", tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]


def test_setup_enters_graph_mode_once(tmp_path):
    code = (
        "import tf1_reference, tensorflow as tf\n"
        "assert tf.executing_eagerly()\n"
        "tf1_reference.setup(); tf1_reference.setup()\n"
        "assert not tf.executing_eagerly()\n"
    )
    result = _fresh(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]


def test_a_reference_used_as_a_library_enters_tf1_behaviour_itself(tmp_path):
    """`build_graph` is where a TF1 program starts when a reference is a library: it calls
    `tf1_reference.for_building()`, which outside any graph enters TF1 behaviour, so the
    seed-002 `tf.layers` get Keras 2 without a word from the caller; importing still changes
    nothing (the test above)."""
    code = (
        "import tensorflow as tf\n"
        "from tf1_reference import mnist_dcgan\n"
        "assert tf.executing_eagerly()\n"
        "g = mnist_dcgan.build_graph()\n"
        "assert not tf.executing_eagerly() and len(g.d_vars) == 8, g.d_vars\n"
    )
    result = _fresh(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]


def test_a_reference_built_inside_a_graph_of_a_tf2_program_leaves_it_in_tf2(tmp_path):
    """Inside `tf.Graph().as_default()` a TF2 program builds a reference without leaving TF2
    (lessons 11 and 14 do): `build_graph` then makes sure of Keras 2 alone."""
    code = (
        "import tensorflow as tf\n"
        "from tf1_reference import mnist_dcgan\n"
        "with tf.Graph().as_default():\n"
        "    g = mnist_dcgan.build_graph()\n"
        "assert tf.executing_eagerly() and len(g.d_vars) == 8, g.d_vars\n"
    )
    result = _fresh(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]


def test_keras_3_bound_before_setup_is_named_in_one_sentence(tmp_path):
    """TensorFlow binds tf.compat.v1.layers to a Keras once, at its first use; after a use under
    Keras 3, TF_USE_LEGACY_KERAS comes too late, and setup() says what to do instead."""
    code = (
        "import tensorflow as tf\n"
        "assert not hasattr(tf.compat.v1.layers, 'dense')  # Keras 3: bound for good.\n"
        "from tf1_reference import mnist_dcgan\n"
        "try:\n"
        "    mnist_dcgan.build_graph()\n"
        "except RuntimeError as error:\n"
        "    print(error)\n"
    )
    result = _fresh(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    message = result.stdout.strip()
    assert "already bound to Keras 3" in message and "tf1_reference.setup()" in message, message
    assert message.count(". ") == 0 and "\n" not in message
