"""Adding a model is one registry row and its files: a seventh model goes through every tool.

The toy GAN of tests/toy_gan/ (its TF1 reference, its PyTorch port and its cross-check case,
one dense layer in each network) gets one `registry.register(Model(...))` for this module and
is taken out afterwards. Every tool then takes it by name as it takes the archive's six, and
no file of the repository changes: `python -m crosscheck`'s code path, `convert` both ways and
`convert initial`, bench's set-up of each side and its FLOP count, and the comparison report's
section on the tiny budget.
"""

import pathlib
import re
import subprocess

import numpy as np
import pytest
import tensorflow as tf

from harness import hooks, registry

ROOT = pathlib.Path(__file__).resolve().parents[1]
TOY = registry.Model(
    name="toy_gan",
    seed="none",
    original="tests/toy_gan (a toy, no original)",
    mnist=False,
    steps_per_epoch=1,
    epochs=40,
    length_flag="--steps",
    unit="steps",
    outputs=registry.Outputs("step_*.png", "step", ("loss_D", "loss_G")),
    report_demo=registry.Budget(20),
    report_tiny=registry.Budget(3, ("--steps", "20")),
    crosscheck_steps=20,
    denormals=registry.ShortRun(("--steps", "20"), 20),
    layers=registry.Layers(8, (registry.Dense(1, 1),), (registry.Dense(1, 1),)),
    reference="toy_gan.reference",
    port="toy_gan.port",
    case="toy_gan.case",
)


def changed_files():
    return subprocess.run(
        ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def toy():
    """The toy registered for the module's tests; the repository's files as they were after."""
    from convert import maps

    before = changed_files()
    registry.register(TOY)
    try:
        yield TOY.name
    finally:
        registry.unregister(TOY.name)
        maps.load_case.cache_clear()  # The converter keeps each model's map by name.
        maps.model_map.cache_clear()
    assert TOY.name not in registry.NAMES
    assert changed_files() == before, "a tool wrote into the repository for the seventh model"


def test_the_registry_takes_it_like_the_six(toy):
    assert registry.NAMES[-1] == toy and registry.check(toy) is TOY
    assert registry.reference(toy).MODEL == registry.port(toy).MODEL == toy
    assert registry.case(toy).name_map is registry.port(toy).NAME_MAP
    with pytest.raises(ValueError, match="is registered already"):
        registry.register(TOY)


def test_crosscheck_runs_it_by_name(toy, capsys):
    from crosscheck import __main__ as crosscheck

    status = crosscheck.main([toy, "--steps", "5", "--dtype", "float64", "--adam", "tf"])
    printed = capsys.readouterr().out
    assert status == 0 and toy in printed and "PASS" in printed


def test_convert_takes_its_checkpoints_both_ways(toy, tmp_path):
    import torch

    from convert import checkpoint
    from toy_gan import reference

    tf1 = tf.compat.v1
    prefix = tmp_path / "tf" / "model.ckpt"
    with tf.Graph().as_default():
        g = reference.build_graph(reference.HParams())
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            for _ in range(3):  # Adam's slots and beta powers move away from their start.
                z = np.ones((8, 1))
                session.run([g.d_optim], {g.x: np.full((8, 1), 3.0), g.z: z})
                session.run([g.g_optim], {g.z: z})
            saved = tf1.train.Saver().save(session, str(prefix))
    pt, back = tmp_path / "toy.pt", tmp_path / "back" / "model.ckpt"
    assert checkpoint.main(["tf-to-torch", toy, saved, str(pt)]) == 0
    state = torch.load(pt, weights_only=False)
    original = tf.train.load_checkpoint(saved)
    assert state["model"] == toy and state["step"] == 3
    np.testing.assert_array_equal(
        state["G"]["fc.weight"].numpy(), original.get_tensor("generator/g_w").T
    )
    assert checkpoint.main(["torch-to-tf", toy, str(pt), str(back)]) == 0
    returned = tf.train.load_checkpoint(str(back))
    names = original.get_variable_to_shape_map()
    assert set(returned.get_variable_to_shape_map()) == set(names)
    for name in names:
        np.testing.assert_array_equal(returned.get_tensor(name), original.get_tensor(name))
    assert checkpoint.main(["initial", toy, "--seed", "3", str(tmp_path / "init.npz")]) == 0
    assert set(np.load(tmp_path / "init.npz")) == set(registry.port(toy).NAME_MAP)


def test_bench_sets_up_and_steps_each_side(toy, tmp_path):
    from bench import flops, models

    for side in models.SIDES:
        stop_after = hooks.Hooks(on_nan="continue", progress=False, max_steps=3)
        models.train_side(toy, side, 0, None, stop_after, tmp_path / side.name)  # Ends at 3.
        assert stop_after.done == 3
    # A 1 -> 1 dense layer is 2 B FLOPs forward: 4 F_G - F_G0 + 8 F_D - 2 F_D0 = 9 F at B = 8.
    assert flops.iteration_flops(toy) == 9 * 2 * 8
    assert models.full_run_steps(toy) == 40 and models.block_steps_limit(toy, 3, 5) == 6


def test_the_report_writes_its_section(toy, tmp_path):
    from report import comparison

    reports, quality = comparison.build(
        tmp_path, [toy], budget="tiny", quality=False, log=lambda _: None
    )
    text = (tmp_path / "report.md").read_text()
    section = text.split(f"## `{toy}`")[1]
    assert len(re.findall(r"^\| 3 \| float", section, re.MULTILINE)) == 3
    assert re.search(r"loss_D \d\.\d{3} / \d\.\d{3}, loss_G \d\.\d{3} / \d\.\d{3}", text)
    assert quality is None and not reports[0].skipped and not reports[0].stopped
    assert reports[0].checks["float64", "tf"].passed
    for picture in ("parity", "samples", "losses"):
        assert (tmp_path / f"{toy}_{picture}.png").is_file()
    for framework in ("tf1", "pytorch"):
        assert reports[0].pictures[f"{framework} picture"].endswith("step_020.png")
