"""Tests for the ring GAN (seed 001): graph inventory, parity with the port, runs, coverage.

The default tests stay short (a few seconds on 2 CPU cores); the 3-seed x 10,000-epoch
result in each framework is marked slow (`pytest -m slow`).
"""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import tensorflow as tf
import torch

from crosscheck import engine
from crosscheck import ring_gan as ring_case
from crosscheck import tf_math
from inputs import ring
from ports import backend as port_backend
from ports import layouts
from ports import ring_gan as port
from tf1_reference import backend as reference_backend
from tf1_reference import ring_gan as reference

tf1 = tf.compat.v1
REPO = pathlib.Path(__file__).resolve().parents[1]

# originals.md section 2.4: the verified variables, in creation order.
VARIABLES = [
    ("generator/g_hidden1/weights:0", [256, 128]),
    ("generator/g_hidden1/biases:0", [128]),
    ("generator/g_hidden2/weights:0", [128, 128]),
    ("generator/g_hidden2/biases:0", [128]),
    ("generator/g_out/weights:0", [128, 2]),
    ("generator/g_out/biases:0", [2]),
    ("discriminator/d_hidden1/weights:0", [2, 128]),
    ("discriminator/d_hidden1/biases:0", [128]),
    ("discriminator/d_hidden2/weights:0", [128, 128]),
    ("discriminator/d_hidden2/biases:0", [128]),
    ("discriminator/d_out/weights:0", [128, 1]),
    ("discriminator/d_out/biases:0", [1]),
]


@pytest.fixture(scope="module")
def graph():
    with tf.Graph().as_default() as g:
        gan = reference.build_graph()
        yield g, gan


def test_inventory_names_shapes_and_count(graph):
    g, gan = graph
    variables = tf1.trainable_variables()
    assert [(v.name, v.shape.as_list()) for v in variables] == VARIABLES
    assert sum(int(np.prod(v.shape.as_list())) for v in variables) == 66691
    assert [v.name for v in gan.g_params] == [n for n, _ in VARIABLES[:6]]
    assert [v.name for v in gan.d_params] == [n for n, _ in VARIABLES[6:]]
    assert gan.z.name == "generator/Placeholder:0" and gan.x.name == "Placeholder:0"
    assert gan.d_x.name == "discriminator/Sigmoid:0"
    assert gan.d_g.name == "discriminator/Sigmoid_1:0"
    assert sum(p.numel() for p in port.Generator().parameters()) == 49666
    assert sum(p.numel() for p in port.Discriminator().parameters()) == 17025
    assert sorted(port.NAME_MAP) == sorted(n[:-2] for n, _ in VARIABLES)


def test_forward_parity_and_raw_log_losses():
    """Same weights and inputs: G, D and both losses agree; no clamp on a saturated D."""
    rng = np.random.default_rng(0)
    with tf.Graph().as_default():
        gan = reference.build_graph(dtype=tf.float64)
        variables = tf1.trainable_variables()
        with tf1.Session() as sess:
            weights = engine.initial_weights(rng, variables)
            for v in variables:
                v.load(weights[v.op.name], sess)
            batch = ring_case.Batches(rng, 1)[0]
            feed = {gan.x: batch["x"], gan.z: batch["z_d"]}
            g, d_x, d_g, d_loss, g_loss = sess.run(
                [gan.g, gan.d_x, gan.d_g, gan.d_loss, gan.g_loss], feed
            )
            # A saturated D: log(1 - 1) must be -inf in both, as the original (no epsilon).
            saturated = sess.run(gan.d_loss, {gan.d_g: np.ones((4, 1)), gan.d_x: np.ones((4, 1))})
    G, D = port.Generator().double(), port.Discriminator().double()
    modules = {"generator": G, "discriminator": D}
    with torch.no_grad():
        for name, (path, layout) in port.NAME_MAP.items():
            layouts.parameter(modules, path).copy_(
                torch.as_tensor(layouts.to_torch(layout, weights[name]))
            )
        fake = G(torch.as_tensor(batch["z_d"]))
        pt_d_x, pt_d_g = D(torch.as_tensor(batch["x"])), D(fake)
        assert np.abs(fake.numpy() - g).max() < 1e-12
        assert np.abs(pt_d_x.numpy() - d_x).max() < 1e-12
        assert np.abs(pt_d_g.numpy() - d_g).max() < 1e-12
        assert abs(port.discriminator_loss(pt_d_x, pt_d_g).item() - d_loss) < 1e-12
        assert abs(port.generator_loss(pt_d_g, "blog").item() - g_loss) < 1e-12
        ones = torch.ones(4, 1, dtype=torch.float64)
        assert np.isposinf(saturated)
        assert torch.isposinf(port.discriminator_loss(ones, ones))


def test_loss_golden_values():
    d_x = torch.tensor([[0.9], [0.6], [0.5], [0.2]], dtype=torch.float64)
    d_g = torch.tensor([[0.1], [0.3], [0.5], [0.7]], dtype=torch.float64)
    expected_d = -np.mean(np.log([0.9, 0.6, 0.5, 0.2]) + np.log([0.9, 0.7, 0.5, 0.3]))
    assert port.discriminator_loss(d_x, d_g).item() == pytest.approx(expected_d, abs=1e-15)
    assert port.generator_loss(d_g, "blog").item() == pytest.approx(
        -np.mean(np.log([0.1, 0.3, 0.5, 0.7])), abs=1e-15
    )
    assert port.generator_loss(d_g, "repo").item() == pytest.approx(
        np.mean(np.log([0.9, 0.7, 0.5, 0.3])), abs=1e-15
    )


@pytest.mark.parametrize(
    "dtype, adam, steps, tolerance",
    [
        ("float64", "tf", 3, engine.TOL_FLOAT64_TF_ADAM),
        ("float32", "tf", 3, engine.TOL_FLOAT32_TF_ADAM),
    ],
)
def test_crosscheck_short_run(dtype, adam, steps, tolerance):
    result = engine.run(ring_case.CASE, steps, dtype=dtype, adam=adam, seed=0)
    assert result.passed, engine.format_table("ring_gan", result)
    assert max(s["variables"] for s in result.per_step) <= tolerance


def test_gmm_sample_matches_the_original_draw_order():
    random = np.random.RandomState(6789)
    counts = random.multinomial(512, ring.RING.mix_coeffs)
    first = random.multivariate_normal(ring.RING.mean[0], np.diag(ring.RING.cov[0]), counts[0])
    points = ring.sample(ring.RING, 512, np.random.RandomState(6789))
    assert points.shape == (512, 2)
    np.testing.assert_array_equal(points[: counts[0]], first)
    assert np.allclose(ring.RING.mean[0], (0.0, 2.0)) and np.allclose(ring.RING.mean[2], (2.0, 0))
    assert ring.RING.cov[0] == (0.02, 0.02)


def test_coverage_on_constructed_points():
    means = np.asarray(ring.RING.mean)
    std = np.sqrt(0.02)
    on_modes = np.repeat(means[:6], 100, axis=0) + 2.9 * std * np.array([1.0, 0.0])
    far = np.array([[0.0, 0.0]] * 396 + [[3.0 * std + 2.0 + 0.01, 0.0]] * 2)
    one_point = means[6:7]  # 2 of 1000 points: 0.2%, below the 1% needed.
    points = np.concatenate([on_modes, far, one_point, one_point + 0.0])
    result = ring.coverage(points, ring.RING)
    assert result["modes"] == 8 and result["modes_covered"] == 6
    assert result["per_mode"] == [100] * 6 + [2, 0]
    assert result["high_quality_fraction"] == pytest.approx(602 / 1000)


def _run(module, tmp_path, *args):
    command = [sys.executable, "-m", module, *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)


def test_seed_repeatability_and_outputs(tmp_path):
    """Twice the same --seed: the same printed lines; frames, GIF and coverage are written."""
    hp = reference.HParams(num_epochs=101, disp_freq=50, num_z=16, hidden_size=8, batch_size=64)
    from harness import run_folder

    logs = []
    for name in ("a", "b"):
        with run_folder.RunFolder(tmp_path / name) as out:
            record = reference.train(hp, reference_backend.Run(out=out, seed=3))
        logs.append((tmp_path / name / "log.txt").read_text())
    assert logs[0] == logs[1] and logs[0].startswith("Epoch: [   0/ 101] , d_loss: ")
    assert {"_50.png", "_100.png", "coverage.png", "generate_animation.gif"} <= {
        p.name for p in (tmp_path / "a").iterdir()
    }
    assert record["modes"] == 8
    port_logs = []
    for name in ("c", "d"):
        with run_folder.RunFolder(tmp_path / name) as out:
            port.train(port.HParams(**vars(hp)), port_backend.Run(out=out, seed=3))
        port_logs.append((tmp_path / name / "log.txt").read_text())
    assert port_logs[0] == port_logs[1]
    metrics = [json.loads(line) for line in (tmp_path / "d" / "metrics.jsonl").open()]
    assert [m["epoch"] for m in metrics if "modes_covered" in m] == [50, 100]


@pytest.mark.parametrize("module", ["tf1_reference.ring_gan", "ports.ring_gan"])
def test_help_and_bad_input(module, tmp_path):
    shown = _run(module, tmp_path, "--help")
    assert shown.returncode == 0
    for flag in ("--num-epochs", "--disp-freq", "--g-loss", "--mixture", "--on-nan", "--seed"):
        assert flag in shown.stdout
    bad = _run(module, tmp_path, "--num-epochs", "-3")
    assert bad.returncode == 2 and "--num-epochs" in bad.stderr


def _result_run(module, seed, tmp_path):
    from harness import run_folder

    hp = module.HParams(num_epochs=10000)
    backend = reference_backend if module is reference else port_backend
    with run_folder.RunFolder(tmp_path / f"{module.__name__}-{seed}") as out:
        return module.train(hp, backend.Run(out=out, seed=seed))


# GAN training is chaotic: which seeds cover all 8 modes by 10,000 epochs depends on the CPU's
# kernels, not only on the model (seed 6789: the reference left mode (0, 2) empty on AVX2 paths
# and covered all 8 with TensorFlow's oneDNN kernels; the port collapsed to one mode on an
# Intel Xeon and covered all 8 on two AMD CPUs). So the test judges each framework over seeds,
# with one bound for both: over 44 runs on three CPUs and both kernel paths (docs/results.md), a
# run missed the bound 5 times, in each framework alike; at least 5 of 8 must reach it (a model
# with that miss rate fails this about once in 200).
RESULT_SEEDS = (6789, 1, 2, 3, 4, 5, 6, 7)
RESULT_MIN_RUNS = 5


@pytest.mark.slow
@pytest.mark.parametrize("module", [reference, port], ids=["tf1", "pytorch"])
def test_result_most_seeds_cover_all_modes_by_10000_epochs(module, tmp_path):
    records = []
    for seed in RESULT_SEEDS:
        record = _result_run(module, seed, tmp_path)
        results = pathlib.Path("runs") / "results"
        results.mkdir(parents=True, exist_ok=True)
        name = module.__name__.replace(".", "_")
        (results / f"{name}_{seed}.json").write_text(json.dumps(record, default=float))
        records.append(record)
    good = [r["modes_covered"] == 8 and r["high_quality_fraction"] >= 0.75 for r in records]
    summary = [
        (s, r["modes_covered"], round(r["high_quality_fraction"], 3))
        for s, r in zip(RESULT_SEEDS, records)
    ]
    assert sum(good) >= RESULT_MIN_RUNS, summary


def test_tf_float32_sigmoid_is_eigens_polynomial_not_torchs():
    """TF's float32 sigmoid is Eigen's exp polynomial; crosscheck.tf_math reproduces it bit for bit.

    PyTorch's sigmoid differs by one ulp on about half the inputs. Through the original's raw
    log(sigmoid), that ulp doubles the gradient of a saturated unit (1 - sigmoid(x) of one ulp
    in one framework, two in the other).
    """
    # A multiple of the SIMD width (see crosscheck.tf_math): no element takes the scalar tail.
    x = np.random.default_rng(0).uniform(-30, 30, size=100_000).astype(np.float32)
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        inputs = tf.compat.v1.placeholder(tf.float32)
        outputs = tf.sigmoid(inputs)
        grads = tf.gradients(tf.math.log(outputs), inputs)[0]
        tf_y, tf_grad = sess.run([outputs, grads], {inputs: x})
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.sigmoid(xt)
    (torch_grad,) = torch.autograd.grad(torch.log(yt).sum(), xt)
    np.testing.assert_array_equal(tf_math.eigen_sigmoid(torch.tensor(x)).numpy(), tf_y)
    assert np.mean(tf_y != yt.detach().numpy()) > 0.3
    assert np.abs(tf_y - yt.detach().numpy()).max() <= 1.2e-7  # One ulp near 1.
    scale = np.maximum(np.abs(tf_grad), np.abs(torch_grad.numpy()))
    nonzero = scale > 0
    relative = np.abs(tf_grad - torch_grad.numpy())[nonzero] / scale[nonzero]
    assert relative.max() >= 0.5


def test_float32_excess_before_tfs_own_drift_is_a_relu_flip(record_property):
    """Why float32 ring_gan can leave 1e-5 before TF drifts from itself (a property, any CPU).

    TF's float32 MatMul and PyTorch's sum in different orders (oneDNN or Eigen against MKL, at
    the widths this CPU offers), so every pre-activation differs by up to ~1e-6. A ReLU input
    closer to zero than that can be positive in one framework and negative in the other: one
    unit of one sample then adds to one gradient and not the other, a jump of ~1e-5 where
    rounding gave ~1e-7. On the AMD AVX2 machine this happened at step 10 of seed 0; where it
    happens (or whether it does within the window) depends on the CPU's kernels. What must hold
    everywhere: an excess over the tolerance before TF's own drift reaches it comes with a ReLU
    input of opposite signs at that step or before it (in any pass of the D or the G step),
    within rounding of zero, and TF's bit-exact float32 sigmoid (crosscheck.tf_math) does not
    remove it.
    """
    steps, tol = 20, engine.TOL_FLOAT32_TF_ADAM
    result = engine.run(ring_case.CASE, steps, dtype="float32", adam="tf", seed=0)
    assert result.passed, engine.format_table("ring_gan", result)
    window = next((i for i, s in enumerate(result.per_step) if s["floor"] > tol / 10), steps)
    over = [i for i in range(window) if result.per_step[i]["variables"] > tol]
    if not over:
        # No excess on this CPU within the window: the two stay within the tolerance there and
        # within the floor rule after it (result.passed above), and no flip far from zero.
        record_property("ring_gan float32", f"no excess in the first {window} steps")
        assert max(s["variables"] for s in result.per_step[:window]) <= tol
        assert result.kink_step is None
        return
    first = over[0]
    record_property("ring_gan float32", f"excess at step {first + 1}, explained by a flip")
    flip = result.kink_step - 1  # The flip at or before the excess that explains it.
    assert 0 <= flip <= first
    assert 1 <= result.per_step[flip]["kink_flips"]
    assert result.per_step[flip]["kink_first"] <= tol  # Only units at the kink flip.
    assert max(s["variables"] for s in result.per_step[:flip]) <= tol
    with tf_math.tf_exact_elementwise():
        exact = engine.run(ring_case.CASE, first + 1, dtype="float32", adam="tf", seed=0)
    # With TF's own sigmoid in PyTorch, an excess within these steps is again a ReLU flip.
    assert exact.passed, engine.format_table("ring_gan (TF's sigmoid)", exact)
    excess = [i for i, s in enumerate(exact.per_step) if s["variables"] > tol]
    assert not excess or exact.kink_step - 1 <= excess[0]


def test_kink_flip_rule_explains_only_flips_near_zero():
    """The verdict rule on made-up records: an excess with a flip near zero is explained; an
    excess with no flip fails; a flip far from zero fails even without an excess."""
    tol = engine.TOL_FLOAT32_TF_ADAM

    def record(variables, flips=0, nearest=0.0):
        return {
            "loss_D": 0.0,
            "loss_G": 0.0,
            "variables": variables,
            "floor": 1e-9,
            "kink_flips": flips,
            "kink_nearest": nearest,
        }

    def verdicts(per_step):
        return {verdict for *_, verdict in engine.judge(per_step)}

    calm = [record(1e-7)] * 3
    assert "FAIL" not in verdicts(calm + [record(3e-5, flips=1, nearest=1e-7), record(3e-4)])
    assert "explained" in verdicts(calm + [record(3e-5, flips=1, nearest=1e-7)])
    assert "FAIL" in verdicts(calm + [record(3e-5)])
    assert "FAIL" in verdicts(calm + [record(1e-7, flips=1, nearest=0.3)])
    assert "FAIL" in verdicts([record(1e-7, flips=1, nearest=tol * 2)] + calm)
