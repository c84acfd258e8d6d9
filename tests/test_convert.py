"""Checkpoint conversion (convert/), for every model.

One run per model, shared by the tests: the reference trains 20 steps from the cross-check's
weights and batches, saves a Saver checkpoint, and trains 20 more; a second TF graph continues
from the checkpoint with one weight one ulp off (the engine's floor); the checkpoint, converted
to a .pt, continues 20 steps in the port with TF-exact Adam. Then:
- TF -> torch -> TF gives back every saved tensor bit for bit;
- the converted generator gives the TF generator's output to 1e-6;
- 20 TF steps, converted, then 20 PyTorch steps match 40 TF steps by the engine's float32 rule.
The command line and --weights-only: tests/test_convert_commands.py; a model of your own
(--case): tests/test_convert_case.py.
"""

import functools
import importlib

import numpy as np
import pytest
import torch

from convert import checkpoint as convert
from convert import tf_side, torch_side
from crosscheck import engine
from crosscheck.tf_side import tf1
from harness import cli, registry

STEPS = 20  # 20 TF steps, then 20 PyTorch steps.
# 1e-6 on the converted generator's output, relative to the output's size where
# that exceeds 1: a float32 forward pass rounds in a different order in each framework, and
# ring_gan's points (|x| up to ~3, 256 inputs) differ by 1.2e-6, 5 ulps, from rounding alone.
TOL_GENERATOR = 1e-6

# model -> (the graph's generator tensor, its feed, the port's generator call) on one batch.
GENERATORS = {
    "gaussian_gan": ("fake_x", lambda g, b: {g.z: b["z"]}, lambda G, b: G(b["z"])),
    "gaussian_cgan": (
        "fake_x1",
        lambda g, b: {g.z: b["z"], g.x: b["x"]},
        lambda G, b: G(b["z"], b["x"]),
    ),
    "ring_gan": ("g", lambda g, b: {g.z: b["z_g"]}, lambda G, b: G(b["z_g"])),
    "mnist_dcgan": (
        "G",
        lambda g, b: {g.z_placeholder: b["z"]},
        lambda G, b: G(b["z"]).permute(0, 2, 3, 1),
    ),  # NCHW -> TF's NHWC
    "mnist_vanilla_gan": ("G_sample", lambda g, b: {g.Z: b["Z_G"]}, lambda G, b: G(b["Z_G"])),
    "mnist_mlp_gan": ("G_output", lambda g, b: {g.z: b["z_G"]}, lambda G, b: G(b["z_G"])),
}


def _max_diff(a, b):
    return float(np.max(np.abs(np.float64(a) - np.float64(b))))


@functools.lru_cache(maxsize=None)
def continued_run(model, folder, floor=False):
    """Train, save, convert and continue; every figure the tests judge (once per model).

    TF's own drift from a one-ulp nudge (the engine's floor) costs a third run, so it is
    measured only when the port strays past the float32 tolerance (or `floor` asks for it);
    below the tolerance the engine's rule passes whatever the floor.
    """
    case = registry.case(model)
    rng = np.random.default_rng(0)
    reference, port = engine.sides(case, "float32", "tf")  # The port: TF-exact Adam.
    weights = engine.initial_weights(rng, reference.variables)
    batches = case.batches(rng, 2 * STEPS)
    reference.rng = rng  # In-graph draws, as the engine makes them (the six have none).
    reference.load(weights)
    for i in range(STEPS):
        reference.step(batches[i], i)
    with reference.graph.as_default():
        saver = tf1.train.Saver()
    prefix = saver.save(reference.sess, f"{folder}/{model}.ckpt", write_meta_graph=False)
    tensor, feed, call = GENERATORS[model]
    tf_fake = reference.sess.run(getattr(reference.g, tensor), feed(reference.g, batches[STEPS]))

    checkpoint, updates = convert.tf_to_torch(model, prefix)
    pt = torch_side.write_torch(checkpoint, f"{folder}/{model}.pt")
    loaded = torch.load(pt, weights_only=False)
    port.G.load_state_dict(loaded["G"])
    port.D.load_state_dict(loaded["D"])
    port.opt_D.load_state_dict(loaded["opt_D"])
    port.opt_G.load_state_dict(loaded["opt_G"])
    with torch.no_grad():
        pt_fake = call(port.G, port.tensors(batches[STEPS])).numpy()

    # TF's 20 steps first, then PyTorch's on the same batches, compared step by step.
    judged = [v.op.name for v in reference.variables if v.op.name not in case.gradient_free]
    continued = [batches[i] for i in range(STEPS, 2 * STEPS)]
    tf_path = [(*reference.step(b, STEPS + i), reference.values()) for i, b in enumerate(continued)]
    per_step = []
    for batch, (tf_losses, tf_runs, tf_values) in zip(continued, tf_path):
        pt_losses, *_ = port.step(batch, tf_runs)
        pt_values = port.values()
        per_step.append(
            {
                "loss_D": abs(float(tf_losses[0]) - float(pt_losses[0])),
                "loss_G": abs(float(tf_losses[1]) - float(pt_losses[1])),
                "variables": max(_max_diff(tf_values[n], pt_values[n]) for n in judged),
                "floor": 0.0,
            }
        )
    reference.sess.close()
    if floor or max(max(s.values()) for s in per_step) > engine.TOL_FLOAT32_TF_ADAM:
        nudged = engine.TFSide(case, "float32")  # TF against itself, one ulp apart.
        with nudged.graph.as_default():
            tf1.train.Saver().restore(nudged.sess, prefix)
        first = min(judged)
        values = nudged.values()
        nudged.load({**values, first: np.nextafter(values[first], np.float32(np.inf))})
        for i, record in enumerate(per_step):
            nudged.step(batches[STEPS + i], STEPS + i)
            other = nudged.values()
            record["floor"] = max(_max_diff(tf_path[i][2][n], other[n]) for n in judged)
        nudged.sess.close()
    back, steps = convert.torch_to_tf(model, pt)
    written = tf_side.write_tf(model, back, f"{folder}/{model}-back.ckpt")
    return dict(
        prefix=prefix,
        pt=pt,
        written=written,
        updates=updates,
        steps=steps,
        step=checkpoint["step"],
        generator=_max_diff(tf_fake, pt_fake),
        scale=max(1.0, float(np.max(np.abs(tf_fake)))),
        per_step=per_step,
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return str(tmp_path_factory.mktemp("convert"))


@pytest.fixture
def run(request, folder):
    model = request.param
    if model.startswith("mnist_"):
        request.getfixturevalue("mnist_dir")
    return continued_run(model, folder)


@pytest.mark.parametrize("run", registry.NAMES, indirect=True)
def test_tf_to_torch_to_tf_is_bit_for_bit(run):
    import tensorflow as tf

    original, back = (
        tf.train.load_checkpoint(run["prefix"]),
        tf.train.load_checkpoint(run["written"]),
    )
    names = original.get_variable_to_shape_map()
    assert names == back.get_variable_to_shape_map()
    assert any(n.endswith("/Adam_1") for n in names) and "beta2_power_1" in names
    for name in names:
        a, b = original.get_tensor(name), back.get_tensor(name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert a.tobytes() == b.tobytes(), name
    assert run["updates"] == {"D": STEPS, "G": STEPS} == run["steps"] and run["step"] == STEPS


@pytest.mark.parametrize("run", registry.NAMES, indirect=True)
def test_converted_generator_gives_the_same_output(run):
    assert run["generator"] <= TOL_GENERATOR * run["scale"], (run["generator"], run["scale"])


@pytest.mark.parametrize("run", registry.NAMES, indirect=True)
def test_twenty_tf_steps_then_twenty_in_pytorch_match_forty_in_tf(run):
    rows = engine.judge(run["per_step"])
    table = "\n".join(f"{q}: {v:.3e} (tolerance {t})" for q, v, t, _ in rows)
    assert all(verdict != "FAIL" for *_, verdict in rows), table


def test_beta_powers_give_back_the_update_count():
    from crosscheck import tf_adam

    for beta1, t in ((0.9, 0), (0.9, 1), (0.5, 130), (0.9, 5000)):
        powers = tf_adam.beta_power(beta1, t), tf_adam.beta_power(0.999, t)
        assert tf_adam.updates_of(beta1, 0.999, *powers) == t
    assert tf_adam.beta_power(0.5, 126) == 0.0  # 2^-127 is denormal: TF flushes it to zero.
    assert tf_adam.updates_of(0.9, 0.999, 0.5, 0.5) is None


def test_another_models_checkpoint_is_refused_naming_the_mismatch(folder, tmp_path):
    prefix = continued_run("gaussian_gan", folder)["prefix"]
    with pytest.raises(convert.Mismatch) as error:
        convert.tf_to_torch("gaussian_cgan", prefix)
    message = str(error.value)
    assert "is not a gaussian_cgan checkpoint, first mismatch" in message
    assert "missing (" in message and "netG1/g_W1" in message
    assert "unexpected (" in message and "generator/g_W" in message
    assert message.count(".") <= 3 and "\n" not in message  # One sentence (the path's dot).

    pt = continued_run("gaussian_gan", folder)["pt"]
    with pytest.raises(convert.Mismatch, match="holds a gaussian_gan checkpoint, not ring_gan"):
        convert.torch_to_tf("ring_gan", pt)


def test_another_shape_is_refused(folder, tmp_path):
    pt = continued_run("gaussian_gan", folder)["pt"]
    checkpoint = torch.load(pt, weights_only=False)
    checkpoint["D"]["layer2.weight"] = torch.zeros(4, 5)
    with pytest.raises(
        convert.Mismatch, match=r"D layer2.weight has shape \[4, 5\], the port's is \[3, 5\]"
    ):
        convert.torch_to_tf("gaussian_gan", pt, checkpoint)
    checkpoint = torch.load(pt, weights_only=False)
    del checkpoint["opt_G"]["state"][0]["exp_avg"]
    checkpoint["opt_D"]["state"][1]["step"] = torch.tensor(3.0)
    with pytest.raises(convert.Mismatch, match="different step counts"):
        convert.torch_to_tf("gaussian_gan", pt, checkpoint)


def test_nothing_is_overwritten_and_extra_keys_are_ignored(folder, tmp_path):
    run = continued_run("gaussian_gan", folder)
    before = open(run["pt"], "rb").read()
    with pytest.raises(cli.UserError, match="already exists"):
        torch_side.write_torch({}, run["pt"])
    assert open(run["pt"], "rb").read() == before
    with pytest.raises(cli.UserError, match="already exists"):
        tf_side.write_tf("gaussian_gan", {}, run["prefix"])
    checkpoint = torch.load(run["pt"], weights_only=False)
    checkpoint["rng"] = {"numpy": np.random.default_rng(1).bit_generator.state}
    checkpoint["opt_G"] = None  # A fresh Adam: zero slots and the initial beta powers.
    values, steps = convert.torch_to_tf("gaussian_gan", run["pt"], checkpoint)
    assert steps == {"D": STEPS, "G": None}
    assert values["beta1_power_1"] == np.float32(0.9) and not values["generator/g_W/Adam"].any()


@pytest.mark.parametrize("model", registry.NAMES)
def test_a_port_checkpoint_goes_to_tf_and_back_bit_for_bit(model, tmp_path, request):
    """The other direction: 3 steps of the port's own torch.optim.Adam, to TF and back."""
    if model.startswith("mnist_"):
        request.getfixturevalue("mnist_dir")
    _, port = engine.sides(registry.case(model), "float32", "torch")  # The port's own Adam.
    for batch in registry.case(model).batches(np.random.default_rng(1), 3):
        port.step(batch)
    saved = {
        "model": model,
        "format": torch_side.FORMAT,
        "step": 3,
        "G": port.G.state_dict(),
        "D": port.D.state_dict(),
        "opt_G": port.opt_G.state_dict(),
        "opt_D": port.opt_D.state_dict(),
        "rng": {"extra": "ignored"},
    }
    torch.save(saved, tmp_path / "a.pt")
    values, steps = convert.torch_to_tf(model, tmp_path / "a.pt")
    assert steps == {"D": 3, "G": 3}
    tf_side.write_tf(model, values, tmp_path / "tf" / "a.ckpt")
    back, updates = convert.tf_to_torch(model, tmp_path / "tf")  # A folder holding one prefix.
    assert updates == {"D": 3, "G": 3} and back["step"] == 3
    for net in ("G", "D"):
        assert list(back[net]) == list(saved[net])
        for key, tensor in saved[net].items():
            assert torch.equal(back[net][key], tensor) and back[net][key].dtype == tensor.dtype
        ours, theirs = back[f"opt_{net}"], saved[f"opt_{net}"]
        assert ours["param_groups"] == theirs["param_groups"]
        assert ours["state"].keys() == theirs["state"].keys()
        for index, entry in theirs["state"].items():
            for key, tensor in entry.items():
                assert torch.equal(ours["state"][index][key], tensor), (net, index, key)


def test_both_frameworks_start_from_the_references_initial_weights(tmp_path, mnist_dir):
    """`convert initial` takes the reference's own draws at a seed; --init-weights starts either
    framework from them: the reference then runs exactly as it does without the flag, and the
    port's first losses (computed before any update, on the same data and z) print the same."""
    weights = tmp_path / "init.npz"
    convert.main(
        ["initial", "mnist_vanilla_gan", "--seed", "3", str(weights), "--data-dir", str(mnist_dir)]
    )
    args = ["--iterations", "3", "--sample-every", "2", "--seed", "3", "--data-dir", str(mnist_dir)]
    runs = {}
    for name, package, extra in (
        ("plain", "tf1_reference", []),
        ("tf1", "tf1_reference", ["--init-weights", str(weights)]),
        ("pytorch", "ports", ["--init-weights", str(weights)]),
    ):
        module = importlib.import_module(f"{package}.mnist_vanilla_gan")
        module.main([*args, *extra, "--out", str(tmp_path / name)])
        runs[name] = (tmp_path / name / "log.txt").read_text().splitlines()
    assert runs["tf1"] == runs["plain"]
    assert runs["pytorch"][:3] == runs["tf1"][:3]  # Iter: 0, D loss, G_loss before any update.
    with pytest.raises(cli.UserError, match="--init-weights .*not a readable .npz"):
        module.main(
            [
                *args,
                "--init-weights",
                str(tmp_path / "plain" / "log.txt"),
                "--out",
                str(tmp_path / "bad"),
            ]
        )
