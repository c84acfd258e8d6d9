"""Seed 002: the tf.layers DCGAN graph against originals.md 3, its port, phases and cross-check."""

import dataclasses
import json

import numpy as np
import pytest
import tensorflow as tf
import torch

from crosscheck import engine
from crosscheck import mnist_dcgan as case
from harness import checkpoint_format, cli
from inputs import mnist
from ports import layouts
from ports import mnist_dcgan as port
from tf1_reference import mnist_dcgan as ref
from tf1_reference import session

tf1 = tf.compat.v1

# originals.md 3.2, verified there by building the seed's graph on TF 2.21.
INVENTORY = [
    ("generator/dense/kernel:0", [100, 128]),
    ("generator/dense/bias:0", [128]),
    ("generator/dense_1/kernel:0", [128, 6272]),
    ("generator/dense_1/bias:0", [6272]),
    ("generator/conv2d_transpose/kernel:0", [5, 5, 64, 128]),
    ("generator/conv2d_transpose/bias:0", [64]),
    ("generator/conv2d_transpose_1/kernel:0", [5, 5, 1, 64]),
    ("generator/conv2d_transpose_1/bias:0", [1]),
    ("discriminator/conv2d/kernel:0", [5, 5, 1, 64]),
    ("discriminator/conv2d/bias:0", [64]),
    ("discriminator/conv2d_1/kernel:0", [5, 5, 64, 128]),
    ("discriminator/conv2d_1/bias:0", [128]),
    ("discriminator/batch_normalization/gamma:0", [128]),
    ("discriminator/batch_normalization/beta:0", [128]),
    ("discriminator/dense/kernel:0", [6272, 1]),
    ("discriminator/dense/bias:0", [1]),
]


def mnist_dir():
    folder = mnist.resolve_data_dir()
    if not (folder / mnist.TRAIN_IMAGES).exists():
        pytest.skip(f"no MNIST files in {folder}; set MNIST_DATA_DIR (the tests never download)")
    return folder


@pytest.fixture
def built():
    with tf.Graph().as_default() as graph:
        yield ref.build_graph(), graph


def test_names_shapes_and_the_1241602_trainable_parameters(built):
    g, _ = built
    variables = tf1.trainable_variables()
    assert [(v.name, v.shape.as_list()) for v in variables] == INVENTORY
    count = lambda vs: sum(int(np.prod(v.shape)) for v in vs)  # noqa: E731
    assert (count(g.g_vars), count(g.d_vars), count(variables)) == (1028481, 213121, 1241602)
    moving = [v.name for v in tf1.global_variables() if "moving" in v.name]
    assert moving == [
        "discriminator/batch_normalization/moving_mean:0",
        "discriminator/batch_normalization/moving_variance:0",
    ]
    assert (g.z_placeholder.name, g.real_images_placeholder.name) == (
        "noise_placeholder:0",
        "real_images_placeholder:0",
    )
    assert g.fake_images_placeholder.name == "fake_images_placeholder:0"
    assert g.G.shape.as_list() == [None, 28, 28, 1]  # 14x14 without the stride fix.
    assert g.D_logit_real.name == "discriminator/dense/BiasAdd:0"
    assert g.D_logit_fake.name == "discriminator_1/dense/BiasAdd:0"


def test_var_lists_are_the_scope_collections_and_a_substring_filter_would_misfile(built):
    g, _ = built
    names = [name for name, _ in INVENTORY]
    assert g.d_vars == tf1.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES, "discriminator")
    assert g.g_vars == tf1.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES, "generator")
    assert [v.name for v in g.d_vars] == [n for n in names if n.startswith("discriminator/")]
    assert [v.name for v in g.g_vars] == [n for n in names if n.startswith("generator/")]
    # carpedm20's "d_" filter (originals.md 3.2): it grabs G's conv2d_transpose variables.
    assert any(n.startswith("generator/") and "d_" in n for n in names)


def test_each_adam_updates_its_own_list_with_the_seeds_constants(built):
    g, graph = built
    updated = {"Adam": set(), "Adam_1": set()}
    with tf1.Session(graph=graph) as sess:
        for op in graph.get_operations():
            if op.type == "ApplyAdam":
                updated[op.name.split("/")[0]].add(op.inputs[0].name)
                assert sess.run(op.inputs[5]) == pytest.approx(0.0002)
                assert sess.run(list(op.inputs[6:9])) == pytest.approx([0.9, 0.999, 1e-8])
    assert updated["Adam"] == {v.name for v in g.d_vars}
    assert updated["Adam_1"] == {v.name for v in g.g_vars}


def test_batchnorm_moving_averages_are_never_updated_as_in_the_seed(built):
    g, graph = built
    assert len(tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)) == 4  # D(real), D(fake): 2 each.
    rng = np.random.default_rng(0)
    with tf1.Session(graph=graph) as sess:
        sess.run(tf1.global_variables_initializer())
        ref.train_step(sess, g, rng.uniform(size=(8, 28, 28, 1)), rng.uniform(-1, 1, (8, 100)))
        mean, var = sess.run(
            [
                "discriminator/batch_normalization/moving_mean:0",
                "discriminator/batch_normalization/moving_variance:0",
            ]
        )
    assert not mean.any() and (var == 1).all()


def test_the_seed_as_written_fails_where_originals_says():
    # 3.3.1: without strides on the first conv2d_transpose, D(G) cannot reuse D's dense kernel.
    with tf.Graph().as_default():
        z = tf1.placeholder(tf.float32, [None, 100])
        real = tf1.placeholder(tf.float32, [None, 28, 28, 1])
        with tf1.variable_scope("generator"):
            x = tf.reshape(tf1.layers.dense(tf1.layers.dense(z, 128), 6272), [-1, 7, 7, 128])
            x = tf1.layers.conv2d_transpose(x, 64, (5, 5), padding="same")
            fake = tf.tanh(
                tf1.layers.conv2d_transpose(x, 1, (5, 5), strides=(2, 2), padding="same")
            )
        assert fake.shape.as_list() == [None, 14, 14, 1]
        ref.discriminator(real, False)
        with pytest.raises(
            ValueError, match=r"specified shape \(2048, 1\) and found shape \(6272, 1\)"
        ):
            ref.discriminator(fake, True)
    # 3.3.3: the flat next_batch output does not fit the image placeholder.
    with tf.Graph().as_default() as graph:
        g = ref.build_graph()
        with tf1.Session(graph=graph) as sess:
            sess.run(tf1.global_variables_initializer())
            with pytest.raises(ValueError, match=r"Cannot feed value of shape \(64, 784\)"):
                sess.run(
                    g.loss_D,
                    {
                        g.real_images_placeholder: np.zeros((64, 784)),
                        g.z_placeholder: np.zeros((64, 100)),
                    },
                )


def test_hparams_are_the_seeds_and_shared_by_the_port():
    assert dataclasses.asdict(ref.HParams()) == dict(
        epochs=20,
        batch_size=64,
        learning_rate=0.0002,
        noise_dim=100,
        sample_every=5,
        test_size=1000,
        real_scale="as-written",
    )
    assert ref.HParams().lr_D == ref.HParams().lr_G == 0.0002


def test_name_map_covers_each_trainable_variable_once():
    assert sorted(port.NAME_MAP) == sorted(n.replace(":0", "") for n, _ in INVENTORY)
    paths = [path for path, _ in port.NAME_MAP.values()]
    modules = {"generator": port.Generator(), "discriminator": port.Discriminator()}
    names = {f"{k}.{n}" for k, m in modules.items() for n, _ in m.named_parameters()}
    assert sorted(paths) == sorted(names)
    for name, shape in INVENTORY:
        path, layout = port.NAME_MAP[name.replace(":0", "")]
        array = np.random.default_rng(0).normal(size=shape)
        converted = layouts.to_torch(layout, array)
        assert converted.shape == tuple(layouts.parameter(modules, path).shape)
        assert np.array_equal(layouts.to_tf(layout, converted), array)


def test_nhwc_layouts_make_flatten_then_dense_agree():
    rng = np.random.default_rng(1)
    maps, kernel = rng.normal(size=(3, 7, 7, 128)), rng.normal(size=(6272, 5))
    tf_out = maps.reshape(3, -1) @ kernel  # TF: NHWC flatten (h, w, c), dense [in, out].
    weight = layouts.to_torch("dense_nhwc_in:7,7,128", kernel)
    torch_out = maps.transpose(0, 3, 1, 2).reshape(3, -1) @ weight.T  # NCHW flatten.
    np.testing.assert_allclose(torch_out, tf_out, rtol=1e-12)
    z, kernel, bias = rng.normal(size=(3, 128)), rng.normal(size=(128, 6272)), rng.normal(size=6272)
    tf_map = (z @ kernel + bias).reshape(3, 7, 7, 128)
    w, b = (
        layouts.to_torch("dense_nhwc_out:7,7,128", kernel),
        layouts.to_torch("nhwc_vector:7,7,128", bias),
    )
    np.testing.assert_allclose((z @ w.T + b).reshape(3, 128, 7, 7), tf_map.transpose(0, 3, 1, 2))


def test_port_batchnorm_has_tf_conventions_and_stays_in_training_mode():
    D = port.Discriminator().double().eval()
    bn = D.batch_normalization
    assert (bn.momentum, bn.eps) == (0.01, 1e-3)
    layers = {}
    D(torch.rand(4, 1, 28, 28, dtype=torch.float64), layers)
    norm2 = layers["norm2"].detach()
    # Batch statistics even after .eval(): each channel has mean beta = 0 and var ~ 1.
    assert norm2.mean(dim=(0, 2, 3)).abs().max() < 1e-12


@pytest.mark.parametrize(
    "extra, expected",
    [
        ([], dict(allow_soft_placement=True, allow_growth=True, fraction=0.0, log=False)),
        (
            ["--gpu-memory-fraction", "0.5"],
            dict(allow_soft_placement=True, allow_growth=False, fraction=0.5, log=False),
        ),
        (
            ["--log-device-placement"],
            dict(allow_soft_placement=True, allow_growth=True, fraction=0.0, log=True),
        ),
    ],
)
def test_device_gpu_builds_the_configproto_on_a_cpu(extra, expected):
    args = ref.COMMAND.parser().parse_args(["train", "--device", "gpu", *extra])
    notices = []
    config = session.config_proto(
        args.device,
        gpu_memory_fraction=args.gpu_memory_fraction,
        log_device_placement=args.log_device_placement,
        gpu_available=False,
        log=notices.append,
    )
    assert config.allow_soft_placement == expected["allow_soft_placement"]
    assert config.gpu_options.allow_growth == expected["allow_growth"]
    assert config.gpu_options.per_process_gpu_memory_fraction == expected["fraction"]
    assert config.log_device_placement == expected["log"]
    assert notices and "no GPU" in notices[0]
    args = ref.COMMAND.parser().parse_args(["train"])
    assert session.from_args(args, original=ref.ORIGINAL_CONFIG) is None


@pytest.mark.parametrize("module, checkpoint", [(ref, "gan.ckpt.index"), (port, "gan.pt")])
def test_three_phases_on_tiny_budgets(module, checkpoint, tmp_path, capsys):
    data = str(mnist_dir())
    common = ["--seed", "3", "--data-dir", data]
    module.main(
        [
            "train",
            "--epochs",
            "2",
            "--max-steps",
            "3",
            "--sample-every",
            "1",
            "--out",
            str(tmp_path / "train"),
            *common,
        ]
    )
    module.main(
        [
            "train-d",
            "--max-steps",
            "2",
            "--restore",
            str(tmp_path / "train"),
            "--out",
            str(tmp_path / "train-d"),
            *common,
        ]
    )
    module.main(
        [
            "test",
            "--test-size",
            "40",
            "--restore",
            str(tmp_path / "train-d"),
            "--out",
            str(tmp_path / "test"),
            *common,
        ]
    )
    log = (tmp_path / "train" / "log.txt").read_text().splitlines()
    assert log[0].startswith("Epoch: 0001 cost= ") and len(log[0].split()[-1]) == 11
    assert len(log) == 2 and log[1].startswith("Model saved in path: ")  # 3 steps: one epoch.
    assert (tmp_path / "train" / "models" / checkpoint).exists()
    assert (tmp_path / "train" / "samples_epoch_0001.png").exists()
    records = [
        json.loads(r) for r in (tmp_path / "train-d" / "metrics.jsonl").read_text().splitlines()
    ]
    assert records[0]["phase"] == "train-d" and records[0]["steps"] == 2
    assert (tmp_path / "train-d" / "models" / checkpoint).exists()
    test_log = (tmp_path / "test" / "log.txt").read_text()
    assert test_log.startswith("Errors: ") and "measures nothing" in test_log
    assert len(list((tmp_path / "test").glob("pair_*.png"))) == 10


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_crosscheck_two_steps(dtype):
    mnist_dir()
    result = engine.run(case.CASE, 2, dtype=dtype, adam="tf", seed=0)
    assert result.passed, engine.format_table("mnist_dcgan", result)
    forward = {q: v for q, v, *_ in result.rows if "forward" in q}
    assert len(forward) == 6 + 8 + 8 + 4
    assert max(forward.values()) < (1e-12 if dtype == "float64" else 1e-5)


@pytest.mark.parametrize("module", [ref, port])
@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["train-d"], "pass --restore RUN_FOLDER"),
        (["test", "--restore", "/nonexistent/run"], "no checkpoint"),
        (["train", "--max-steps", "0"], "must be a positive number"),
        (["fit"], "invalid choice: 'fit'"),
        (["train", "--real-scale", "minus-one"], "invalid choice: 'minus-one'"),
    ],
)
def test_bad_input_ends_in_one_sentence(module, argv, fragment, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.run(module.main, [*argv, "--out", str(tmp_path / "run")])
    assert exit_info.value.code == 2
    assert fragment in capsys.readouterr().err
    assert not (tmp_path / "run" / "log.txt").exists()


@pytest.mark.parametrize("module", [ref, port])
def test_corrupt_mnist_file_names_the_file(module, tmp_path, capsys):
    (tmp_path / "mnist").mkdir()
    for name in (mnist.TRAIN_IMAGES, mnist.TRAIN_LABELS, mnist.TEST_IMAGES, mnist.TEST_LABELS):
        (tmp_path / "mnist" / name).write_bytes(b"not gzip")
    with pytest.raises(SystemExit):
        cli.run(
            module.main,
            ["train", "--data-dir", str(tmp_path / "mnist"), "--out", str(tmp_path / "run")],
        )
    assert mnist.TRAIN_IMAGES in capsys.readouterr().err


def _streams(module, folder):
    if module is ref:
        return json.loads((folder / "models" / "gan.ckpt.streams.json").read_text())
    return torch.load(folder / "models" / "gan.pt", weights_only=False)["streams"]


@pytest.mark.parametrize("module", [ref, port])
def test_train_d_continues_the_train_phase_streams(module, tmp_path):
    """The seed's second session runs in the first one's process: the reader goes on where it
    was and NumPy's generator goes on drawing; nothing is replayed from the seed."""
    data = str(mnist_dir())
    common = ["--seed", "3", "--data-dir", data]
    module.main(
        ["train", "--epochs", "1", "--max-steps", "3", "--out", str(tmp_path / "a"), *common]
    )
    module.main(
        [
            "train-d",
            "--max-steps",
            "2",
            "--restore",
            str(tmp_path / "a"),
            "--out",
            str(tmp_path / "b"),
            *common,
        ]
    )
    first, second = _streams(module, tmp_path / "a"), _streams(module, tmp_path / "b")
    assert first["reader"]["index_in_epoch"] == 3 * 64
    assert second["reader"]["index_in_epoch"] == 5 * 64  # Continued, not restarted at 0.
    assert second["reader"]["rng"] == first["reader"]["rng"]  # Same epoch order.
    assert second["sample_noise"] == first["sample_noise"]  # Drawn once, in the first phase.
    # Two more noise batches of 64 x 100 uniform draws, continuing the first phase's stream.
    checkpoint_format.set_numpy_global_state(first["numpy_global"])
    np.random.uniform(-1.0, 1.0, size=[2, 64, 100])
    assert checkpoint_format.numpy_global_state() == second["numpy_global"]


def test_phase_checkpoint_is_one_tf_tools_read(tmp_path):
    """The seed's saver.save writes the meta graph and TF's `checkpoint` file; both work after
    the temporary folder is renamed into place."""
    ref.main(
        [
            "train",
            "--epochs",
            "1",
            "--max-steps",
            "2",
            "--seed",
            "1",
            "--data-dir",
            str(mnist_dir()),
            "--out",
            str(tmp_path / "run"),
        ]
    )
    folder = str(tmp_path / "run" / "models")
    prefix = tf.train.latest_checkpoint(folder)
    assert prefix is not None and prefix.endswith("gan.ckpt")
    names = dict(tf.train.list_variables(prefix))
    assert names["discriminator/conv2d/kernel"] == [5, 5, 1, 64]
    with tf.Graph().as_default(), tf1.Session() as sess:
        saver = tf1.train.import_meta_graph(prefix + ".meta")
        saver.restore(sess, prefix)
        kernel = sess.run("generator/dense/kernel:0")
    assert kernel.shape == (100, 128)


def _bits(tensor):
    return tensor.detach().view(torch.int32 if tensor.dtype == torch.float32 else torch.int64)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_ds_leaky_relu_is_the_maximum_form_bit_for_bit_where_0_2x_differs_from_x(dtype):
    """D's `F.leaky_relu(x, 0.2)` against the seed's `torch.maximum(x * 0.2, x)`: the same bits
    forward and backward on every input but the ties (0.2x == x: +-0, +-inf), denormals and
    the extremes included."""
    torch.manual_seed(0)
    info = torch.finfo(dtype)
    special = [info.tiny, -info.tiny, info.tiny / 8, -info.tiny / 8, info.max, -info.max, 1.0, -1.0]
    x = torch.cat([torch.randn(64 * 64 * 14 * 14, dtype=dtype), torch.tensor(special, dtype=dtype)])
    upstream = torch.randn_like(x)
    seed_form, ours = x.clone().requires_grad_(), x.clone().requires_grad_()
    expected = torch.maximum(seed_form * 0.2, seed_form)
    result = torch.nn.functional.leaky_relu(ours, negative_slope=port.D_SLOPE)
    expected.backward(upstream)
    result.backward(upstream)
    assert not (x * 0.2 == x).any()
    assert torch.equal(_bits(result), _bits(expected))
    assert torch.equal(_bits(ours.grad), _bits(seed_form.grad))


def test_ds_leaky_relu_ties_as_tfs_maximum_gradient():
    """At the ties of `tf.maximum(x * 0.2, x)` (the reference's D: x = +-0, +-inf), TF's
    gradient goes to the first argument: 0.2. `F.leaky_relu` gives 0.2 at +-0 and -inf, but 1
    at +inf (x > 0); `torch.maximum` splits a tie, 0.6."""
    values = np.array([0.0, -0.0, 1.5, -1.5, -np.inf, np.inf], dtype=np.float32)
    with tf.Graph().as_default(), tf1.Session() as sess:
        x = tf1.placeholder(tf.float32, [6])
        tf_grad = sess.run(tf.gradients(tf.maximum(x * 0.2, x), x)[0], {x: values})
    ours = torch.tensor(values, requires_grad=True)
    torch.nn.functional.leaky_relu(ours, negative_slope=port.D_SLOPE).sum().backward()
    split = torch.tensor(values, requires_grad=True)
    torch.maximum(split * 0.2, split).sum().backward()
    np.testing.assert_array_equal(tf_grad, np.float32([0.2, 0.2, 1.0, 0.2, 0.2, 0.2]))
    np.testing.assert_array_equal(ours.grad.numpy()[:5], tf_grad[:5])
    assert ours.grad[5] == 1.0  # +inf: the one tie where the port's gradient is not TF's.
    np.testing.assert_array_equal(split.grad.numpy()[:2], np.float32([0.6, 0.6]))


def _first_step_gradients(dtype="float64"):
    """TF's and the port's gradients on the first real batch, with D's first bias at zero as the
    models' own initializer leaves it: black 5x5 patches then give conv1 = 0, a tie."""
    mnist_dir()
    rng = np.random.default_rng(0)
    reference, ours = engine.sides(case.CASE, dtype, "tf")
    weights = engine.initial_weights(rng, reference.variables)
    weights["discriminator/conv2d/bias"] = np.zeros_like(weights["discriminator/conv2d/bias"])
    reference.load(weights)
    ours.load(weights)
    batch = case.CASE.batches(rng, 1)[0]
    try:
        _, runs = reference.step(batch, 0, dry=True)
        tf_grads = {name: g for run in runs for name, g in run["grads"].items()}
        return tf_grads, ours.step(batch, runs, dry=True)[2]
    finally:
        reference.close()


def test_first_step_with_a_zero_bias_gets_tfs_gradient_only_with_tfs_tie_rule(monkeypatch):
    """The models start with zero biases, so in a real run's first step about half of conv1's
    outputs are exactly 0 (black patches of the digits): there the tie rule decides D's first
    bias gradient. With `F.leaky_relu` it is TF's to rounding; with `torch.maximum` it is not."""
    name = "discriminator/conv2d/bias"
    tf_grads, torch_grads = _first_step_gradients()
    assert max(np.abs(tf_grads[n] - torch_grads[n]).max() for n in tf_grads) < 1e-12
    split = lambda x, negative_slope: torch.maximum(x * negative_slope, x)  # noqa: E731
    monkeypatch.setattr(port.nn.functional, "leaky_relu", split)
    tf_grads, split_grads = _first_step_gradients()
    assert np.abs(tf_grads[name] - split_grads[name]).max() > 1e-3 * np.abs(tf_grads[name]).max()
