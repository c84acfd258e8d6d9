"""python -m tf1run: the example scripts run as a user runs them, and the parts it is made of.

Each example of tf1run/examples/ runs once in a subprocess from a fresh folder, as
`python -m tf1run [options] SCRIPT.py [ARGS]` from a plain shell would (no
TF_CPP_MIN_LOG_LEVEL in the environment), kept short with --max-steps. The pure parts (the
source scan, the log filter, the contrib layers' numbers, the update detection) are checked in
this process, which conftest.py already put in graph mode.
"""

import math
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from harness import cli
from tf1run import names, scan

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "tf1run" / "examples"
v1 = tf.compat.v1


def tf1run(cwd, *args, env=None):
    """Run `python -m tf1run ARGS` in `cwd` from a plain environment; return the result."""
    env = {k: v for k, v in (env or os.environ).items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "tf1run", *map(str, args)]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def quiet(result):
    """No CUDA-driver errors, per-op warnings or start-up notices reached the user."""
    out = result.stdout + result.stderr
    for noise in ("cuInit", "DT_DOUBLE", "oneDNN custom operations", "absl::InitializeLog"):
        assert noise not in out, out


def checkpoint(prefix):
    return tf.train.load_checkpoint(str(prefix)).get_variable_to_shape_map()


def test_the_2017_mnist_gan_runs_saves_and_plots(tmp_path, mnist_dir):
    result = tf1run(
        tmp_path,
        "--max-steps",
        6,
        "--save",
        "ckpt/gan",
        "--seed",
        3,
        EXAMPLES / "mnist_gan_2017.py",
        "--print-every",
        2,
        env={**os.environ, "MNIST_DATA_DIR": str(mnist_dir)},
    )
    assert result.returncode == 0, result.stderr
    quiet(result)
    block = result.stderr.split("\ntf1run: input_data")[0]
    assert "input_data -> the archive's MNIST reader" in block
    assert "tf.contrib.layers.xavier_initializer -> " in block and "(lines 34, 36, 40, 42)" in block
    assert "tf.Session -> tf1run's Session" in block and "refused" not in block
    assert f"Extracting {mnist_dir}/train-images-idx3-ubyte.gz" in result.stdout
    assert result.stdout.count("Iter: ") == 2  # Steps 0 and 2: 6 training runs are 3 D+G pairs.
    assert result.stderr.rstrip().endswith("stopped the script before its training step 7.")
    assert sorted(p.name for p in (tmp_path / "out_gan").glob("*.png")) == [
        "000000.png",
        "000002.png",
    ]
    assert (tmp_path / "out_gan" / "model.ckpt-2.index").is_file()  # The script's own Saver.
    saved = checkpoint(tmp_path / "ckpt" / "gan")
    assert saved["D_W1"] == [784, 128] and saved["G_W2"] == [128, 784]
    assert {"D_W1/Adam", "G_b2/Adam_1", "beta1_power", "beta2_power_1"} <= set(saved)
    assert len(saved) == 28


def test_0x_names_flags_and_seed(tmp_path):
    script = EXAMPLES / "gaussian_gan_2016.py"
    first = tf1run(
        tmp_path, "--max-steps", 40, "--seed", 0, "--save", "g/m", script, "--logdir", "lg"
    )
    assert first.returncode == 0, first.stderr
    quiet(first)
    for line in (
        "tf.concat in 0.x order -> tf.concat(values, dim)",
        "tf.split in 0.x order -> tf.split(value, num, dim)",
        "tf.nn.sigmoid_cross_entropy_with_logits in 0.x order -> (logits=, labels=)",
        "tf.mul -> tf.multiply (renamed at 1.0)  (line 45)",
        "tf.train.SummaryWriter -> tf.summary.FileWriter",
        "tf.initialize_all_variables -> tf.global_variables_initializer",
        "tf.app.flags -> absl flags",
    ):
        assert line in first.stderr, line
    assert first.stdout.startswith("step 0: d_loss ")
    assert list((tmp_path / "lg").glob("events.out.tfevents.*"))  # --logdir reached FLAGS.
    assert {"D/w0", "D/w1", "G/w0", "G/b1", "D/w0/Adam"} <= set(checkpoint(tmp_path / "g" / "m"))
    (tmp_path / "again").mkdir()
    again = tf1run(tmp_path / "again", "--max-steps", 40, "--seed", 0, "--device", "cpu", script)
    assert again.returncode == 0 and again.stdout == first.stdout  # Same seed, same numbers.


def test_contrib_layers_names_updates_and_a_module_of_the_script(tmp_path):
    result = tf1run(
        tmp_path, "--max-steps", 4, "--save", "dc/m", EXAMPLES / "contrib_dcgan_2017.py"
    )
    assert result.returncode == 0, result.stderr
    quiet(result)
    # Names only the run shows get a line each: through an alias, and in dcgan_ops.py.
    assert "tf1run: tf.contrib.layers.conv2d_transpose at dcgan_ops.py:" in result.stderr
    assert "tf1run: tf.contrib.layers.fully_connected at " not in result.stderr
    assert "tf.contrib.layers.fully_connected -> tf1run's fully_connected" in result.stderr
    saved = checkpoint(tmp_path / "dc" / "m")
    assert saved["generator/fc/weights"] == [32, 784] and saved["generator/fc/biases"] == [784]
    assert saved["generator/deconv0/weights"] == [4, 4, 8, 16]  # [kh, kw, out, in].
    assert saved["discriminator/conv0/weights"] == [4, 4, 1, 8]
    assert saved["discriminator/fc/weights"] == [14 * 14 * 8, 1]
    assert {"generator/bn0/gamma", "discriminator/bn0/beta"} <= set(saved)
    assert "discriminator/bn0/gamma" not in saved  # contrib's scale=False.
    reader = tf.train.load_checkpoint(str(tmp_path / "dc" / "m"))
    moved = reader.get_tensor("discriminator/bn0/moving_mean")
    assert np.all(moved != 0.0)  # UPDATE_OPS ran with each D step.


def test_the_scripts_own_error_is_shown_as_the_scripts(tmp_path):
    result = tf1run(tmp_path, EXAMPLES / "buggy_gan_2017.py")
    assert result.returncode == 1
    quiet(result)
    last = result.stderr.strip().splitlines()[-1]
    assert (
        last.startswith("error in the script ")
        and "buggy_gan_2017.py, line 27: ValueError: " in last
    )
    assert "Dimensions must be equal, but are 748 and 784" in last
    assert "Traceback (the script's own frames):" in result.stderr
    assert "site-packages" not in result.stderr and "tf1run/runner.py" not in result.stderr


def test_an_unsupported_api_is_one_sentence_naming_it_and_its_line(tmp_path):
    result = tf1run(tmp_path, EXAMPLES / "rnn_gan_2017.py")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "rnn_gan_2017.py, line 14: tf.contrib.rnn is not" in last
    assert "tf.nn.rnn_cell" in last and result.stdout == ""


def test_bad_tf1run_arguments_are_one_sentence(tmp_path, capsys):
    from tf1run.__main__ import main

    for argv, fragment in (
        ([str(tmp_path / "missing.py")], "missing.py: no such script"),
        (["--max-steps", "-1", str(EXAMPLES / "rnn_gan_2017.py")], "--max-steps must be 0 or more"),
    ):
        with pytest.raises(SystemExit) as exit_info:
            cli.run(main, argv)
        assert exit_info.value.code == 2
        assert fragment in capsys.readouterr().err.strip().splitlines()[-1]


def test_scan_finds_old_names_through_aliases_and_lists_each_refusal_once():
    source = (
        "import tensorflow as tf\nfrom tensorflow.contrib import layers\n"
        "import tensorflow.contrib.slim as slim\nnn = tf.nn\n"
        "a = tf.concat(1, [x, y])\nb = tf.concat([x, y], 1)\nc = layers.fully_connected(a, 2)\n"
        "d = nn.softmax_cross_entropy_with_logits(a, b)\ne = tf.contrib.rnn.LSTMCell(3)\n"
        "f = tf.contrib.rnn.GRUCell(3)\ng = tf.reverse(a, [False, True])\n"
    )
    found = scan.scan(source)
    assert found["tf.concat(0.x order)"] == [5]  # Line 6 is already the 1.x order.
    assert found["tf.contrib.layers.fully_connected"] == [7]
    assert found["tf.nn.softmax_cross_entropy_with_logits(0.x order)"] == [8]
    assert found["tf.contrib.rnn"] == [9, 10] and found["tf.contrib.slim"] == [3]
    assert found["tf.reverse(0.x order)"] == [11]
    assert not any(name.startswith("tf.contrib.rnn.") for name in found)
    block = scan.block(found, "s.py", "2.21.0")
    assert block.splitlines()[1].startswith("  tensorflow -> tf.compat.v1 of TensorFlow 2.21.0")
    assert block.index("refused") < block.index("tf.contrib.rnn  (lines 9, 10)")


def test_refusals_name_where_the_job_went():
    assert "tf.nn.rnn_cell" in names.refusal("tf.contrib.rnn.LSTMCell")
    assert "batch_norm" in names.refusal("tf.contrib.layers.embed_sequence")
    assert names.refusal("tf.contrib.layers.convolution2d") is None
    assert names.refusal("tf.nn.relu") is None


def test_contrib_initializers_and_regularizer_are_contribs_formulas():
    from tf1run import contrib

    with tf.Graph().as_default(), v1.Session() as sess:
        uniform = contrib.xavier_initializer(seed=1)([784, 128])
        normal = contrib.xavier_initializer(uniform=False, seed=1)([784, 128])
        conv = contrib.variance_scaling_initializer(seed=1)([5, 5, 64, 32])  # FAN_IN, factor 2.
        w = v1.constant([[1.0, -2.0], [3.0, 0.5]])
        u, n, c, l2 = sess.run([uniform, normal, conv, contrib.l2_regularizer(0.1)(w)])
    assert np.abs(u).max() <= math.sqrt(6.0 / (784 + 128)) and u.std() > 0.04
    assert abs(n.std() / (math.sqrt(1.3 / 456) * 0.8796) - 1) < 0.02  # Truncated at 2 stddev.
    assert abs(c.std() / (math.sqrt(1.3 * 2.0 / (5 * 5 * 64)) * 0.8796) - 1) < 0.02
    assert l2 == pytest.approx(0.1 * (1 + 4 + 9 + 0.25) / 2)


def test_batch_norm_moves_its_averages_by_the_bessel_corrected_variance():
    from tf1run import batch_norm

    x = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)
    with tf.Graph().as_default(), v1.Session() as sess:
        y = batch_norm.batch_norm(v1.constant(x), decay=0.9, updates_collections=None)
        names_made = [v.op.name for v in v1.global_variables()]
        sess.run(v1.global_variables_initializer())
        out = sess.run(y)
        moving = sess.run(v1.global_variables()[2])  # moving_variance
    assert names_made == ["BatchNorm/beta", "BatchNorm/moving_mean", "BatchNorm/moving_variance"]
    assert np.allclose(out, (x - x.mean(0)) / np.sqrt(x.var(0) + 0.001), atol=1e-5)
    assert np.allclose(moving, 0.9 + 0.1 * x.var(0, ddof=1), atol=1e-6)


def test_a_training_step_is_a_run_that_reaches_an_optimizer_update():
    from tf1run import session

    with tf.Graph().as_default():
        w = v1.Variable(1.0)
        loss = w * w
        step = v1.train.AdamOptimizer(0.1).minimize(loss)
        assert session.reaches_update([step]) and not session.reaches_update([loss.op])
        assert not session.reaches_update([v1.assign(w, 2.0).op])  # A plain assign is no step.


def test_input_data_never_downloads(tmp_path, monkeypatch):
    from tf1run import input_data

    monkeypatch.setattr(input_data, "DATA_DIR", str(tmp_path / "empty"))
    with pytest.raises(names.Refused, match="neither in MNIST_data nor in .*never downloads"):
        input_data.read_data_sets("MNIST_data", one_hot=True)


def test_the_docs_page_lists_every_name_of_the_tables():
    page = (ROOT / "docs" / "tf1run.md").read_text()
    tables = [*names.RENAMED, *names.RENAMED.values(), *names.ARGUMENTS, *names.INFRASTRUCTURE]
    tables += [*names.CONTRIB_LAYERS, *names.CONTRIB_ALIASES]
    tables += [f"tf.contrib.{module}" for module in names.CONTRIB_HINTS]
    missing = [name for name in tables if f"`{name}`" not in page]
    assert not missing, f"docs/tf1run.md does not name {missing}"
