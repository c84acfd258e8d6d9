"""The converter on models of the user's own, through a cross-check case (`--case`).

The acceptance test: a checkpoint that `python -m tf1run --save` writes from the worked example
(examples/mnist_gan_2017/) converts from a plain shell, loads strictly into the port, gives
TF's G(z) to float32 rounding with its Adam state carried over, and goes back to TF and to
PyTorch again bit for bit. Then a toy case with a Momentum and a plain SGD step, one with an
optimizer the converter does not read, and a name map that does not fit.
"""

import concurrent.futures
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import torch

import crosscheck_toys as toys
from convert import checkpoint as convert
from convert import maps, torch_side
from crosscheck.tf_side import tf1
from harness import cli

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLE = "examples/mnist_gan_2017"
SPEC = f"{EXAMPLE}/case.py:CASE"
STEPS = 20  # tf1run's --max-steps counts a D step and a G step as two: 10 Adam updates each.
TOL_FLOAT32 = 1e-6  # G(z) in [0, 1] after two float32 layers, each framework's own order.


def plain_shell(*args):
    """`python *args` from the checkout's root in a fresh process, as a user's shell runs it:
    PATH, HOME and MNIST_DATA_DIR alone (none of the test process's TF_USE_LEGACY_KERAS)."""
    env = {
        "PATH": f"{pathlib.Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": os.path.expanduser("~"),
        "MNIST_DATA_DIR": os.environ.get("MNIST_DATA_DIR", ""),
    }
    result = subprocess.run(
        [sys.executable, *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, (
        result.stdout[-2000:] + result.stderr[-3000:]
    )
    return result.stdout.splitlines()


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The worked example trained 20 steps by tf1run, saved, inspected and converted."""
    if not (
        pathlib.Path(os.environ.get("MNIST_DATA_DIR", "")) / "train-labels-idx1-ubyte.gz"
    ).exists():
        pytest.skip("no MNIST files; set MNIST_DATA_DIR (the tests never download).")
    folder = tmp_path_factory.mktemp("example")
    prefix, pt = folder / "model", folder / "model.pt"
    plain_shell(
        *("-m", "tf1run", "--max-steps", STEPS, "--seed", 0, "--save", prefix),
        *(f"{EXAMPLE}/gan_tf1.py", "--out", folder / "run", "--iterations", 100),
    )
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:  # Two at a time.
        listing = pool.submit(plain_shell, "-m", "convert", "inspect", prefix)
        report = pool.submit(
            plain_shell, "-m", "convert", "tf-to-torch", "--case", SPEC, prefix, pt
        )
        listing, report = listing.result(), report.result()
    return {"prefix": str(prefix), "pt": pt, "listing": listing, "report": report}


def test_a_tf1run_checkpoint_of_the_worked_example_converts_and_gives_tfs_g_of_z(example):
    import tensorflow as tf

    assert (
        example["listing"][0]
        == f"TF checkpoint {example['prefix']}: 28 variables, every tensor read"
    )
    assert example["report"] == [
        f"mnist_gan_2017: {example['prefix']} -> {example['pt']} "
        "(step 10; Adam updates D 10, G 10)",
        "  converted: 8 weights (214,673 numbers) -> G and D state_dicts",
        "  converted: 16 Adam slots (m, v) -> opt_G and opt_D exp_avg, exp_avg_sq; 4 beta powers "
        "-> step counts D 10, G 10",
        "  added: the model's default learning rates and betas (a TF checkpoint holds none)",
        "  left out: nothing",
    ]
    maps.load_case(SPEC)  # The case's folder on sys.path, its modules seeing TF1 as tf1run gives.
    import gan_pytorch as port
    import gan_tf1

    saved = torch.load(example["pt"], weights_only=False)
    assert sorted(saved) == ["D", "G", "format", "model", "opt_D", "opt_G", "step"]
    assert saved["model"] == "mnist_gan_2017" and saved["step"] == STEPS // 2
    G, D = port.Generator(), port.Discriminator()
    G.load_state_dict(saved["G"], strict=True)
    D.load_state_dict(saved["D"], strict=True)
    D_solver, G_solver = port.optimizers(G, D)  # The port's own Adam(D.parameters()), as is.
    D_solver.load_state_dict(saved["opt_D"])
    G_solver.load_state_dict(saved["opt_G"])
    reader = tf.train.load_checkpoint(example["prefix"])
    for solver, net, name in ((D_solver, D, "discriminator/D_W1"), (G_solver, G, "generator/G_W1")):
        state = solver.state[net.fc1.weight]
        assert int(state["step"]) == STEPS // 2
        assert torch.equal(state["exp_avg"], torch.from_numpy(reader.get_tensor(f"{name}/Adam").T))
        assert torch.equal(
            state["exp_avg_sq"], torch.from_numpy(reader.get_tensor(f"{name}/Adam_1").T)
        )

    z = np.random.default_rng(0).uniform(-1.0, 1.0, size=(64, gan_tf1.Z_dim)).astype(np.float32)
    with tf.Graph().as_default():
        _, Z, _, G_sample, *_ = gan_tf1.build()
        with tf1.Session() as sess:
            tf1.train.Saver().restore(sess, example["prefix"])
            tf_fake = sess.run(G_sample, {Z: z})
    with torch.no_grad():
        pt_fake = G(torch.from_numpy(z)).numpy()
    diff = float(np.max(np.abs(np.float64(tf_fake) - pt_fake)))
    print(f"G(z): max |TF - PyTorch| = {diff:.2e} over {pt_fake.size:,} outputs")
    assert diff <= TOL_FLOAT32 and np.ptp(tf_fake) > 0.1, diff


def test_the_worked_examples_checkpoint_goes_to_tf_and_back_bit_for_bit(example, tmp_path, capsys):
    """In this process (docs/conversion.md's torch-to-tf --case runs from a plain shell in
    tests/test_documented_commands.py)."""
    import tensorflow as tf

    back = tmp_path / "back" / "model"
    convert.main(["torch-to-tf", "--case", SPEC, str(example["pt"]), str(back)])
    report = capsys.readouterr().out.splitlines()
    assert report[0].endswith(
        "(28 variables; step 10, which a TF checkpoint does not hold; Adam updates D 10, G 10)"
    ), report
    original, written = (
        tf.train.load_checkpoint(example["prefix"]),
        tf.train.load_checkpoint(str(back)),
    )
    names = original.get_variable_to_shape_map()
    assert names == written.get_variable_to_shape_map() and len(names) == 28
    for name in names:
        assert original.get_tensor(name).tobytes() == written.get_tensor(name).tobytes(), name
    again, updates = convert.tf_to_torch(SPEC, back)
    assert updates == {"D": STEPS // 2, "G": STEPS // 2}
    first = torch.load(example["pt"], weights_only=False)
    for key in ("G", "D"):
        assert all(torch.equal(again[key][k], t) for k, t in first[key].items()), key
    for key in ("opt_G", "opt_D"):
        assert again[key]["param_groups"] == first[key]["param_groups"]
        for index, entry in first[key]["state"].items():
            assert all(torch.equal(again[key]["state"][index][k], t) for k, t in entry.items())


# A model of two modules, "A" under Momentum (or RMSProp) and "B" under plain SGD.
TOY = """
import numpy as np
import tensorflow.compat.v1 as tf
import torch
from torch import nn

from crosscheck import case

OPTIMIZER = "momentum"
KERNEL = "A.weight"  # The name map's path of A's kernel.


def graph(dtype=tf.float32):
    x = tf.placeholder(dtype, [None, 3], name="x")
    with tf.variable_scope("A"):
        h = tf.nn.relu(tf.layers.dense(x, 4, name="fc"))
    with tf.variable_scope("B"):
        out = tf.layers.dense(h, 1, name="fc")
    loss = tf.reduce_mean(tf.square(out - 1.0))
    if OPTIMIZER == "momentum":
        first = tf.train.MomentumOptimizer(0.05, momentum=0.9)
    else:
        first = tf.train.RMSPropOptimizer(0.01)
    first.minimize(loss, var_list=tf.trainable_variables("A/"))
    tf.train.GradientDescentOptimizer(0.05).minimize(loss, var_list=tf.trainable_variables("B/"))


def loss(nets, x):
    return ((nets["B"](torch.relu(nets["A"](x))) - 1.0) ** 2).mean()


def step(nets, opts, batch):
    losses = []
    for label in ("A", "B"):  # As TF runs them: A's update, then B's on the new A.
        opts[label].zero_grad()
        value = loss(nets, batch["x"])
        value.backward()
        opts[label].step()
        losses.append(value.item())
    return losses


CASE = case.Case(
    name="toy",
    graph=graph,
    modules=lambda: {"A": nn.Linear(3, 4), "B": nn.Linear(4, 1)},
    name_map={
        "A/fc/kernel": (KERNEL, "dense"),
        "A/fc/bias": ("A.bias", "same"),
        "B/fc/kernel": ("B.weight", "dense"),
        "B/fc/bias": ("B.bias", "same"),
    },
    batches=lambda rng, steps: [{"x": rng.normal(size=(8, 3))} for _ in range(steps)],
    torch_step=step,
)
"""


def toy_checkpoint(folder, **replace):
    """(spec, prefix, weights one step later) of the toy trained 3 steps in TF, then saved."""
    spec = f"{toys.write(folder, TOY, name=f'toy_{folder.name}.py', **replace)}:CASE"
    m = maps.model_map(spec)
    x = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)
    feed = {m.graph.get_tensor_by_name("x:0"): x}
    train = [
        m.graph.get_operation_by_name(name)
        for name in (
            replace.get("OPTIMIZER", "momentum")
            .replace("rmsprop", "RMSProp")
            .replace("momentum", "Momentum"),
            "GradientDescent",
        )
    ]
    with m.graph.as_default():
        init = tf1.variables_initializer(list(m.variables.values()))
    weights = {n: v for n, v in m.variables.items() if n in m.case.name_map}
    with tf1.Session(graph=m.graph) as sess:
        sess.run(init)
        for _ in range(3):
            for op in train:  # A's update, then B's on the new A.
                sess.run(op, feed)
        prefix = m.saver.save(sess, str(folder / "toy.ckpt"), write_meta_graph=False)
        for op in train:
            sess.run(op, feed)
        after = dict(zip(weights, sess.run(list(weights.values()))))
    return spec, prefix, x, after


def test_momentum_and_plain_sgd_state_convert_and_continue(tmp_path):
    import tensorflow as tf

    spec, prefix, x, after = toy_checkpoint(tmp_path)
    saved, updates = convert.tf_to_torch(spec, prefix)
    assert sorted(saved) == ["A", "B", "format", "model", "opt_A", "opt_B", "step"]
    assert updates == {"A": None, "B": None} and saved["step"] is None
    reader = tf.train.load_checkpoint(prefix)
    buffer = saved["opt_A"]["state"][0]["momentum_buffer"]
    assert torch.equal(buffer, torch.from_numpy(reader.get_tensor("A/fc/kernel/Momentum").T))
    assert saved["opt_B"]["state"] == {}

    pt = torch_side.write_torch(saved, tmp_path / "toy.pt")  # Before SGD updates it in place.
    case = maps.load_case(spec)
    nets = case.modules()
    for key in ("A", "B"):
        nets[key].load_state_dict(saved[key], strict=True)
    opts = {
        "A": torch.optim.SGD(nets["A"].parameters(), lr=0.05, momentum=0.9),
        "B": torch.optim.SGD(nets["B"].parameters(), lr=0.05),
    }
    for key, opt in opts.items():
        opt.load_state_dict(saved[f"opt_{key}"])
    case.torch_step(nets, opts, {"x": torch.from_numpy(x)})
    for name, (path, layout) in case.name_map.items():
        net, _, param = path.partition(".")
        mine = nets[net].get_parameter(param).detach().numpy()
        assert np.max(np.abs(mine - (after[name].T if layout == "dense" else after[name]))) < 1e-6

    values, steps = convert.torch_to_tf(spec, pt, torch.load(pt, weights_only=False))
    assert steps == {"A": None, "B": None}
    assert sorted(values) == sorted(reader.get_variable_to_shape_map())
    for name, value in values.items():
        assert value.tobytes() == reader.get_tensor(name).tobytes(), name


def fails(capsys, argv, *fragments):
    with pytest.raises(SystemExit) as exit_:
        cli.run(convert.main, argv)
    assert exit_.value.code == 2
    last = capsys.readouterr().err.strip()
    assert "\n" not in last and all(f in last for f in fragments), last
    return last


def test_another_optimizer_converts_with_weights_only_and_is_refused_without(tmp_path, capsys):
    spec, prefix, _, _ = toy_checkpoint(tmp_path, OPTIMIZER="rmsprop")
    out = tmp_path / "toy.pt"
    fails(
        capsys,
        ["tf-to-torch", "--case", spec, prefix, str(out)],
        "updates with ApplyRMSProp, whose state the converter does not convert",
        "pass --weights-only",
    )
    assert not out.exists()
    convert.main(["tf-to-torch", "--case", spec, prefix, str(out), "--weights-only"])
    report = capsys.readouterr().out.splitlines()
    assert report[1] == "  converted: 4 weights (21 numbers) -> A and B state_dicts"
    assert report[2] == "  left out (--weights-only): 4 slots of RMSProp"
    saved = torch.load(out, weights_only=False)
    assert sorted(saved) == ["A", "B", "format", "model", "step"]


def test_a_case_that_does_not_fit_and_a_source_named_twice_are_one_sentence(tmp_path, capsys):
    spec, prefix, _, _ = toy_checkpoint(tmp_path)
    wrong = f"{toys.write(tmp_path, TOY, name='wrong_map.py', KERNEL='A.wieght')}:CASE"
    out = str(tmp_path / "x.pt")
    fails(
        capsys,
        ["tf-to-torch", "--case", wrong, prefix, out],
        "name-map entry 'A/fc/kernel' points at 'A.wieght'",
    )
    fails(capsys, ["tf-to-torch", "--case", spec, "gaussian_gan", prefix, out], "not both")
    fails(capsys, ["torch-to-tf", "x.pt", "back"], "needs MODEL (one of gaussian_gan,", "--case")
    fails(capsys, ["tf-to-torch", "--case", "no_such_file.py:CASE", prefix, out], "no case file")
    saved, _ = convert.tf_to_torch(spec, prefix)
    saved["model"] = "gaussian_gan"
    fails(
        capsys,
        ["torch-to-tf", "--case", spec, torch_side.write_torch(saved, out), str(tmp_path / "b")],
        "holds a gaussian_gan checkpoint, not toy; convert it as gaussian_gan.",
    )
