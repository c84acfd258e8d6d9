"""The converter's command line: from a plain shell, and --weights-only (convert/).

A fresh checkpoint of two models' reference graphs converts in a fresh process with a plain
environment; a checkpoint of another optimizer converts with --weights-only alone, and the
weights it writes back restore into the reference graph; BatchNorm statistics travel with the
weights.
"""

import os
import pathlib
import subprocess
import sys

import pytest
import torch

from convert import checkpoint as convert
from convert import listing, maps, tf_side, torch_side
from crosscheck import tf_side as crosscheck_tf_side
from crosscheck.tf_side import tf1
from harness import cli, registry


def plain_shell(*args, cwd=None):
    """`python *args` as a user's shell runs it: a fresh process without the test's environment
    (no TF_USE_LEGACY_KERAS, which conftest's setup() put into this process), from the root."""
    root, home = pathlib.Path(__file__).resolve().parents[1], os.path.expanduser("~")
    env = {"PATH": f"{pathlib.Path(sys.executable).parent}:/usr/bin:/bin", "HOME": home}
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd or root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("model", ["mnist_dcgan", "mnist_mlp_gan"])  # The two tf.layers graphs.
def test_the_converter_runs_from_a_plain_shell(model, tmp_path):
    m = maps.model_map(model)
    with m.tf1.Session(graph=m.graph) as sess:
        sess.run(m.tf1.variables_initializer(list(m.variables.values())))
        prefix = m.saver.save(sess, str(tmp_path / "tf" / "a.ckpt"), write_meta_graph=False)
    pt, back = tmp_path / "a.pt", tmp_path / "back" / "a.ckpt"
    result = plain_shell("-m", "convert", "tf-to-torch", model, prefix, str(pt))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    report = result.stdout.splitlines()  # The one line as before, then what was done.
    assert report[0] == f"{model}: {prefix} -> {pt} (step 0; Adam updates D 0, G 0)", report
    assert report[-1] == "  left out: nothing", report
    if model == "mnist_dcgan":  # The other direction builds the same graph: once is enough.
        result = plain_shell("-m", "convert", "torch-to-tf", model, str(pt), str(back))
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
        assert pathlib.Path(f"{back}.index").is_file()


@pytest.fixture(scope="module")
def momentum_prefix(tmp_path_factory):
    """gaussian_gan's networks under MomentumOptimizer, not Adam, with a global step: the kind
    of checkpoint only --weights-only converts."""
    import tensorflow as tf

    from tf1_reference import gaussian_gan

    with tf.Graph().as_default():
        gan = gaussian_gan.GAN(tf.float32)
        step = tf1.train.get_or_create_global_step()
        momentum = tf1.train.MomentumOptimizer(0.01, momentum=0.9)
        momentum.minimize(gan.loss_D, var_list=gan.d_vars, global_step=step)
        tf1.train.MomentumOptimizer(0.01, momentum=0.9).minimize(gan.loss_G, var_list=gan.g_vars)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            folder = tmp_path_factory.mktemp("momentum")
            return tf1.train.Saver().save(sess, str(folder / "gan.ckpt"), write_meta_graph=False)


def test_weights_only_converts_a_checkpoint_of_another_optimizer(momentum_prefix, tmp_path, capsys):
    import tensorflow as tf

    with pytest.raises(convert.Mismatch, match="holds gaussian_gan's weights but not its Adam"):
        convert.tf_to_torch("gaussian_gan", momentum_prefix)
    pt, back = tmp_path / "w.pt", tmp_path / "back" / "w.ckpt"
    convert.main(["tf-to-torch", "gaussian_gan", momentum_prefix, str(pt), "--weights-only"])
    report = capsys.readouterr().out.splitlines()
    m = maps.model_map("gaussian_gan")
    weights = len(m.weights)
    assert report[0].endswith(f"{pt} (weights only; step not recorded)")
    assert report[1].startswith(f"  converted: {weights} weights (")
    assert report[2] == (
        f"  left out (--weights-only): {weights} slots of Momentum, 1 counter (global_step); "
        "opt_G and opt_D are None, a fresh Adam when loaded"
    )
    saved = torch.load(pt, weights_only=False)
    assert saved["opt_G"] is saved["opt_D"] is saved["step"] is None

    # Back, weights only, from a .pt without optimizer keys: a Saver over the trainable
    # variables of the reference graph restores it, every number as the Momentum run saved it.
    del saved["opt_G"], saved["opt_D"]
    torch.save(saved, tmp_path / "bare.pt")
    with pytest.raises(cli.UserError, match="is not an archive checkpoint: it needs the keys"):
        torch_side.load_torch(tmp_path / "bare.pt")
    values, steps = convert.torch_to_tf("gaussian_gan", tmp_path / "bare.pt", weights_only=True)
    assert sorted(values) == sorted(m.weights) and steps == {"D": None, "G": None}
    tf_side.write_tf("gaussian_gan", values, back)
    original = tf.train.load_checkpoint(momentum_prefix)
    assert sorted(tf.train.load_checkpoint(str(back)).get_variable_to_shape_map()) == sorted(values)
    with tf.Graph().as_default():
        crosscheck_tf_side.build(registry.case("gaussian_gan"), "float32", fed=False)
        trainable = tf1.trainable_variables()
        with tf1.Session() as sess:
            tf1.train.Saver(var_list=trainable).restore(sess, str(back))
            for variable, value in zip(trainable, sess.run(trainable)):
                assert value.tobytes() == original.get_tensor(variable.op.name).tobytes()


def test_weights_only_keeps_the_batch_norm_statistics_and_leaves_out_adam(tmp_path, capsys):
    m = maps.model_map("mnist_dcgan")
    pt = tmp_path / "d.pt"
    saved = {"model": "mnist_dcgan", "format": torch_side.FORMAT, "step": 7}
    saved |= {net: m.module(net).state_dict() for net in "GD"}
    saved |= {"opt_G": m.side.opt_G.state_dict(), "opt_D": m.side.opt_D.state_dict()}
    torch.save(saved, pt)
    prefix = tmp_path / "tf" / "d.ckpt"
    convert.main(["torch-to-tf", "mnist_dcgan", str(pt), str(prefix), "--weights-only"])
    report = capsys.readouterr().out.splitlines()
    assert report[0].endswith("(weights only: 18 variables, no optimizer state)")
    assert (
        report[1]
        == "  converted: 16 weights, 2 BatchNorm statistics (1,241,858 numbers) from G and D"
    )
    assert report[2] == (
        "  left out: opt_G and opt_D (--weights-only); step 7 (a TF checkpoint holds none); "
        "D batch_normalization.num_batches_tracked (no TF twin)"
    )
    kinds = {v["kind"] for v in listing.describe(prefix)["variables"]}
    assert kinds == {"weight", "statistic"}
