"""bench/: the JSON a run writes, the FLOP count behind the floor, the refusal under load, and
the speed changes to the ports, each of which must leave every number as it was.

No test here asserts a timing: timings depend on the machine and its load.
"""

import json

import numpy as np
import pytest
import torch

from bench import flops, machine, models, readme_table, run
from harness import cli

# Two blocks of five steps per side after two warm-up steps: the shortest run that still shows
# every side taking its turns (each side in a spawned process of its own costs seconds to start).
TINY = [
    "gaussian_gan",
    "--iterations",
    "5",
    "--repeats",
    "2",
    "--warmup",
    "2",
    "--matmul-size",
    "64",
]
REQUIRED = {"model", "reference_ms", "port_ms", "ratio", "floor_ms", "background_load"}


@pytest.fixture
def idle(monkeypatch):
    """Pretend the machine is idle, so the tests run whatever else the machine is doing."""
    monkeypatch.setattr(machine, "background_load", lambda seconds=1.0: 0.0)
    monkeypatch.setattr(machine.LoadMeter, "cores", lambda self: 0.0)


def test_json_schema_of_a_tiny_run_with_the_load_check_bypassed(tmp_path, monkeypatch):
    """bench times the models' own `train` through hooks: every side gets its blocks, and the
    sides never run at once (each block's steps are timed while the others wait)."""
    monkeypatch.setattr(machine, "background_load", lambda seconds=1.0: 0.75)  # A busy machine.
    path = tmp_path / "out" / "bench.json"
    records = run.main(TINY + ["--ignore-load", "--json", str(path)])
    written = json.loads(path.read_text())
    assert isinstance(written, list) and len(written) == 1 == len(records)
    record = written[0]
    assert REQUIRED <= set(record), REQUIRED - set(record)
    assert record["model"] == "gaussian_gan"
    assert record["load_check"].startswith("bypassed")
    assert record["background_load_before"] == 0.75
    assert record["background_load"] >= 0.0
    for key in ("reference_ms", "port_ms", "floor_ms", "port_fused_ms", "port_fast_ms"):
        assert isinstance(record[key], float) and record[key] > 0, key
    assert record["ratio"] == pytest.approx(record["port_ms"] / record["reference_ms"])
    assert record["ratio_fused"] == pytest.approx(record["port_fused_ms"] / record["reference_ms"])
    assert record["ratio_fast"] == pytest.approx(record["port_fast_ms"] / record["reference_ms"])
    gflops = record["matmul_gflops"]["best"]
    assert gflops == max(record["matmul_gflops"]["torch_mm"], record["matmul_gflops"]["tf_matmul"])
    assert record["floor_ms"] == pytest.approx(flops.iteration_flops("gaussian_gan") / gflops / 1e6)
    assert record["repeats"] == 2
    assert set(record["blocks_ms"]) == {"reference", "port", "port_fused", "port_fast"}
    assert all(len(ms) == 2 and min(ms) > 0 for ms in record["blocks_ms"].values())
    assert set(record["steps_per_block"].values()) == {5}
    assert record["torch_threads"] == 1  # Its registry row: the toy runs on one thread.
    for key in ("cpu", "flags", "logical_cores", "tensorflow", "torch", "load_method"):
        assert key in record["machine"], key
    # The kernel paths that ran, from MKL's and oneDNN's own verbose logs.
    paths = record["machine"]["kernel_paths"]
    assert paths["torch"]["onednn_isa"] and paths["torch"]["onednn_convolution"]
    assert "onednn_isa" in paths["tensorflow"] or paths["tensorflow"]["onednn"].startswith("off")
    assert record["machine"]["torch_parallel"][0].startswith("ATen/Parallel")
    table = readme_table.markdown(written)  # The README's table, from this JSON.
    assert table.startswith(f"Measured {record['measured_at']} on ") and "bypassed" in table
    assert "| `gaussian_gan` | " in table and f"| {record['ratio']:.2f} |" in table
    # --docs keeps one file per machine label and rebuilds the page's block from all kept ones.
    doc, kept = tmp_path / "speed.md", tmp_path / "measurements"
    doc.write_text(f"intro\n{readme_table.BEGIN}\nold\n{readme_table.END}\nafter\n")
    other = json.loads(json.dumps(written))
    other[0]["machine"]["label"] += ", with ATEN_CPU_CAPABILITY=avx2"
    readme_table.write_docs([written], kept, doc, log=lambda _: None)
    readme_table.write_docs([other, written], kept, doc, log=lambda _: None)  # Same one again.
    assert len(list(kept.glob("bench-*.json"))) == 2
    text = doc.read_text()
    assert text.startswith("intro\n") and text.endswith("after\n") and "old" not in text
    assert text.count("| `gaussian_gan` | ") == 2 and "ATEN_CPU_CAPABILITY=avx2" in text
    with pytest.raises(cli.UserError, match="nothing.json does not exist"):
        readme_table.read(tmp_path / "nothing.json")


def test_refuses_before_timing_when_the_machine_is_busy(monkeypatch, capsys):
    monkeypatch.setattr(machine, "background_load", lambda seconds=1.0: 1.5)
    with pytest.raises(SystemExit) as exit:
        cli.run(run.main, TINY)
    assert exit.value.code == 2
    error = capsys.readouterr().err.strip()
    assert "background load 1.50 cores before timing exceeds --max-load" in error
    assert len(error.splitlines()) == 1


def test_refuses_a_model_timed_under_load(monkeypatch, tmp_path):
    """The refusal reads the load measured over the model's timing; the timing itself (the
    schema test runs it for real) and the kernel-path probe are stood in for here."""
    monkeypatch.setattr(machine, "background_load", lambda seconds=1.0: 0.0)
    monkeypatch.setattr(machine.LoadMeter, "cores", lambda self: 0.9)  # Load arrives mid-run.
    monkeypatch.setattr(machine, "kernel_paths", lambda: {})
    timed = ({s.name: [1.0, 1.0] for s in models.SIDES}, {s.name: 5 for s in models.SIDES})
    monkeypatch.setattr(models, "time_model", lambda *args, **kwargs: timed)
    path = tmp_path / "bench.json"
    with pytest.raises(cli.UserError, match="while timing gaussian_gan"):
        run.main(TINY + ["--json", str(path)])
    assert not path.exists()  # Nothing is reported.


def test_unknown_model_is_one_sentence(idle):
    with pytest.raises(cli.UserError, match="unknown model 'mnist_gan'"):
        run.main(["mnist_gan"])


def test_help_names_every_flag():
    text = run.parser().format_help()
    for flag in ("--json", "--ignore-load", "--max-load", "--torch-threads", "--tf-threads"):
        assert flag in text


def test_flops_of_the_vanilla_gan_by_hand():
    """Every matrix product of one wiseodd iteration (batch 128), counted one by one."""
    B = 128
    mac = [  # (rows, inner, columns) of each product
        # D step: G forward on z_D.
        (B, 100, 128),
        (B, 128, 784),
        # D forward on real and on fake; weight gradients of both layers; the input gradient
        # of D's second layer (the first layer's input, an image, needs none); twice.
        *[(B, 784, 128), (B, 128, 1), (128, B, 1), (784, B, 128), (B, 1, 128)] * 2,
        # G step: G forward, D forward, D's input gradients down to the image,
        (B, 100, 128),
        (B, 128, 784),
        (B, 784, 128),
        (B, 128, 1),
        (B, 1, 128),
        (B, 128, 784),
        # G's weight gradients and the input gradient of its second layer.
        (128, B, 784),
        (100, B, 128),
        (B, 784, 128),
    ]
    assert flops.iteration_flops("mnist_vanilla_gan") == sum(2 * a * b * c for a, b, c in mac)


def test_flops_floor_matches_the_issue_probe():
    """A probe's figures: floors 9.3 ms (MLP) and 37 ms (DCGAN) at 438 GFLOP/s."""
    assert flops.floor_ms("mnist_mlp_gan", 438) == pytest.approx(9.3, abs=0.05)
    assert flops.floor_ms("mnist_dcgan", 438) == pytest.approx(37, abs=0.5)
    with pytest.raises(ValueError, match="unknown model .mnist_gan.; choose one of"):
        flops.iteration_flops("mnist_gan")


def test_load_meter_counts_only_other_processes():
    meter = machine.LoadMeter().start()
    sum(i * i for i in range(300_000))  # This process's own work is not background load.
    assert 0.0 <= meter.cores() <= 64


# The speed changes to the ports: each must leave every number bit for bit as it was.


def _gaussian_run(threads):
    from ports import gaussian_gan as port

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    G, D = port.Generator(), port.Discriminator(1)
    port.initialize([G, D])
    opt_D = torch.optim.Adam(D.parameters(), lr=0.05)
    opt_G = torch.optim.Adam(G.parameters(), lr=0.01)
    for _ in range(100):
        x, z = (torch.as_tensor(rng.normal(size=(4, 2)), dtype=torch.float32) for _ in "xz")
        port.train_step(G, D, opt_D, opt_G, x, z)
    return [p.detach().clone() for p in [*G.parameters(), *D.parameters()]]


def test_one_thread_gives_the_same_numbers_as_two():
    threads = torch.get_num_threads()
    try:
        one, two = _gaussian_run(1), _gaussian_run(2)
    finally:
        torch.set_num_threads(threads)
    assert all(torch.equal(a, b) for a, b in zip(one, two))


def test_foreach_adam_is_bit_for_bit_the_default_adam():
    torch.manual_seed(0)
    shapes = [(1024, 784), (1024,), (512, 1024), (512,), (1, 256), (1,)]
    grads = [[torch.randn(shape) for shape in shapes] for _ in range(3)]
    results = []
    for foreach in (False, True):
        params = [torch.nn.Parameter(torch.ones(shape)) for shape in shapes]
        optimizer = torch.optim.Adam(params, lr=2e-4, foreach=foreach)
        for step in range(6):
            for param, grad in zip(params, grads[step % 3]):
                param.grad = grad.clone()
            optimizer.step()
        results.append(params)
    assert all(torch.equal(a, b) for a, b in zip(*results))


def test_mlp_d_step_under_no_grad_gives_the_original_gradients():
    """ports.mnist_mlp_gan.train_step against the original's D step, which built G's graph."""
    from ports import mnist_mlp_gan as port

    torch.manual_seed(0)
    G, D = port.Generator(100, 784), port.Discriminator(784)
    twin_G, twin_D = port.Generator(100, 784), port.Discriminator(784)
    twin_G.load_state_dict(G.state_dict())
    twin_D.load_state_dict(D.state_dict())
    x, z_D, z_G = torch.rand(128, 784) * 2 - 1, torch.randn(128, 100), torch.randn(128, 100)
    masks = {
        call: [(torch.rand(128, n) >= 0.3) / 0.7 for n in (1024, 512, 256)]
        for call in ("real", "fake", "G")
    }
    opt_D, opt_G = torch.optim.Adam(D.parameters(), 2e-4), torch.optim.Adam(G.parameters(), 2e-4)
    port.train_step(G, D, opt_D, opt_G, x, z_D, z_G, masks)

    bce = torch.nn.BCELoss()
    twin_opt_D = torch.optim.Adam(twin_D.parameters(), 2e-4)
    real, fake = twin_D(x, masks["real"]), twin_D(twin_G(z_D), masks["fake"])  # G's graph built.
    (bce(real, torch.ones_like(real)) + bce(fake, torch.zeros_like(fake))).backward()
    twin_opt_D.step()
    for ours, original in zip(D.parameters(), twin_D.parameters()):
        assert torch.equal(ours, original)


def test_mnist_batches_fetched_at_once_equal_item_by_item(mnist_dir):
    from inputs import mnist
    from ports import mnist_data

    raw = mnist.read_raw(mnist_dir, download=False)
    one_hot = mnist.dense_to_one_hot(raw.test_labels[:300])
    indices = list(np.random.default_rng(0).permutation(300)[:128])
    for labels in (raw.test_labels[:300], one_hot):
        dataset = mnist_data.TorchMnist(raw.test_images[:300], labels)
        batch, items = dataset.__getitems__(indices), [dataset[int(i)] for i in indices]
        assert all(torch.equal(a[0], b[0]) for a, b in zip(batch, items))
        assert all(
            torch.equal(torch.as_tensor(a[1]), torch.as_tensor(b[1])) for a, b in zip(batch, items)
        )
        images, _ = next(iter(mnist_data.torch_loader(dataset, 128, shuffle=False)))  # __getitems__
        assert torch.equal(images, torch.stack([dataset[i][0] for i in range(128)]))


def test_full_runs_and_the_block_size_limit():
    """What a full run is, per model, and how many steps a block may hold within one."""
    assert models.full_run_steps("gaussian_gan") == 2500
    assert models.full_run_steps("mnist_vanilla_gan") == 1_000_000
    assert models.full_run_steps("mnist_dcgan") == 20 * 859
    # Five blocks fit in the toy's 2,500 steps (10 epochs) whatever the CPU's speed.
    assert models.block_steps_limit("gaussian_gan", 3, 5) == (2500 - 3 - 10) // 5 - 1
    assert models.block_steps_limit("mnist_vanilla_gan", 3, 5) == models.MAX_BLOCK_STEPS


def test_block_size_comes_from_the_fastest_warm_up_step(monkeypatch):
    """The first warm-up steps build kernels and may draw a grid; sized from their mean, a
    block held a step or two, and the cost of taking the turn weighed on every figure."""
    clock = iter([0.0, 1.0, 1.01, 1.02])  # attach, then three warm-up steps: 1 s, 10 ms, 10 ms.
    monkeypatch.setattr(models.time, "perf_counter", lambda: next(clock))
    timer = models.TimedHooks("a", models.Baton(["a"]), models.multiprocessing.Event(), 3, 5)
    timer._last = next(clock)  # What attach() sets once the model's state exists.
    for _ in range(3):
        timer.step()
    assert timer.block_steps == 25  # 0.25 s blocks of 10 ms steps.


def test_a_side_that_fails_names_itself_and_stops_the_others(tmp_path):
    from inputs import mnist

    for name in (mnist.TRAIN_IMAGES, mnist.TRAIN_LABELS, mnist.TEST_IMAGES, mnist.TEST_LABELS):
        (tmp_path / name).write_bytes(b"not MNIST")  # Present, so nothing is downloaded.
    with pytest.raises(RuntimeError, match="side reference, failed: "):
        models.time_model("mnist_vanilla_gan", data_dir=str(tmp_path), repeats=1, warmup=1)


def test_baton_hands_turns_round_and_skips_finished_sides():
    baton = models.Baton(["a", "b", "c"])
    baton.give("c")
    assert baton.turn == "a"
    baton.give("a")
    assert baton.turn == "b"
    baton.finish("c")
    baton.give("b")
    assert baton.turn == "a"
    baton.finish("a")
    assert baton.turn == "b"


def _two_steps(model, freeze):
    """Two train_steps of `model`'s port from seed 0; returns (parameters, D's .grad after).

    freeze=False replaces Module.requires_grad_ by a no-op, which is the loop as it was before
    the ports froze D in the G step (D's weight gradients computed there, then thrown away).
    """
    import importlib

    port = importlib.import_module(f"ports.{model}")
    torch.manual_seed(0)
    rng = np.random.default_rng(0)

    def tensor(*shape):
        return torch.as_tensor(rng.uniform(-1, 1, shape), dtype=torch.float32)

    G, D, inputs = {
        "gaussian_gan": lambda: (
            port.Generator(),
            port.Discriminator(1),
            lambda: (tensor(4, 2), tensor(4, 2)),
        ),
        "gaussian_cgan": lambda: (
            port.Generator(),
            port.Discriminator(),
            lambda: (tensor(4, 2), tensor(4, 2), tensor(4, 2)),
        ),
        "ring_gan": lambda: (
            port.Generator(8, 16),
            port.Discriminator(16),
            lambda: (tensor(32, 2), tensor(32, 8), tensor(32, 8)),
        ),
        "mnist_vanilla_gan": lambda: (
            port.Generator(10, 16),
            port.Discriminator(16),
            lambda: (tensor(8, 784), tensor(8, 10), tensor(8, 10)),
        ),
        "mnist_mlp_gan": lambda: (
            port.Generator(10, 784),
            port.Discriminator(784),
            lambda: (tensor(8, 784), tensor(8, 10), tensor(8, 10)),
        ),
        "mnist_dcgan": lambda: (
            port.Generator(10),
            port.Discriminator(),
            lambda: (tensor(4, 1, 28, 28), tensor(4, 10)),
        ),
    }[model]()
    opt_D, opt_G = torch.optim.Adam(D.parameters(), 1e-3), torch.optim.Adam(G.parameters(), 1e-3)
    original = torch.nn.Module.requires_grad_
    if not freeze:
        torch.nn.Module.requires_grad_ = lambda self, requires_grad=True: self
    try:
        for _ in range(2):
            port.train_step(G, D, opt_D, opt_G, *inputs())
    finally:
        torch.nn.Module.requires_grad_ = original
    params = [p.detach().clone() for p in [*G.parameters(), *D.parameters()]]
    return params, [p.grad.clone() for p in D.parameters()], D


@pytest.mark.parametrize(
    "model",
    [
        "gaussian_gan",
        "gaussian_cgan",
        "ring_gan",
        "mnist_vanilla_gan",
        "mnist_mlp_gan",
        "mnist_dcgan",
    ],
)
def test_freezing_d_in_the_g_step_changes_no_number_and_skips_ds_gradients(model):
    frozen, frozen_grads, D = _two_steps(model, freeze=True)
    unfrozen, unfrozen_grads, _ = _two_steps(model, freeze=False)
    assert all(torch.equal(a, b) for a, b in zip(frozen, unfrozen))
    # Frozen: D's .grad still holds its own step's gradients; unfrozen, the G step added to them.
    assert any(not torch.equal(a, b) for a, b in zip(frozen_grads, unfrozen_grads))
    assert all(p.requires_grad for p in D.parameters())  # D is trainable again after the step.


def _flat_adam_run(optimizer_class, shapes, lr, betas, steps, seed=0, resume_with=None):
    """`steps` Adam steps on parameters of `shapes` with gradients of many magnitudes; with
    `resume_with`, the optimizer's state_dict goes through torch.save into a fresh optimizer of
    that class half-way, as a resumed run's does."""
    import io

    torch.manual_seed(seed)
    params = [torch.nn.Parameter(torch.randn(shape)) for shape in shapes]
    grads = [
        [torch.randn(shape) * 10.0 ** torch.randint(-7, 1, ()).item() for shape in shapes]
        for _ in range(13)
    ]
    optimizer = optimizer_class(params, lr=lr, betas=betas)
    for step in range(steps):
        if resume_with is not None and step == steps // 2:
            buffer = io.BytesIO()
            torch.save(optimizer.state_dict(), buffer)
            buffer.seek(0)
            optimizer = resume_with(params, lr=lr, betas=betas)
            optimizer.load_state_dict(torch.load(buffer, weights_only=True))
        for param, grad in zip(params, grads[step % 13]):
            param.grad = grad.clone()
        if step == 7:
            params[-1].grad = None  # A step without one gradient: the per-tensor fallback.
        optimizer.step()
    return params, optimizer.state_dict()


@pytest.mark.parametrize(
    "model, lr, betas",
    [
        ("gaussian_gan", 0.05, (0.9, 0.999)),
        ("gaussian_cgan", 0.05, (0.9, 0.999)),
        ("ring_gan", 2e-4, (0.5, 0.999)),
        ("mnist_vanilla_gan", 1e-3, (0.9, 0.999)),
    ],
)
def test_flat_adam_is_bit_for_bit_torch_adam_and_shares_its_checkpoints(model, lr, betas):
    import importlib

    from ports import flat_adam

    port = importlib.import_module(f"ports.{model}")
    G, D = port.Generator(), port.Discriminator()
    for module in (G, D):
        shapes = [tuple(p.shape) for p in module.parameters()]
        expected, expected_state = _flat_adam_run(torch.optim.Adam, shapes, lr, betas, 120)
        for optimizer_class, resume_with in (
            (flat_adam.FlatAdam, None),
            (flat_adam.FlatAdam, flat_adam.FlatAdam),
            (flat_adam.FlatAdam, torch.optim.Adam),  # A checkpoint read by torch's own Adam.
            (torch.optim.Adam, flat_adam.FlatAdam),
        ):
            params, state = _flat_adam_run(optimizer_class, shapes, lr, betas, 120, 0, resume_with)
            assert all(torch.equal(a, b) for a, b in zip(params, expected)), optimizer_class
            assert state["param_groups"] == expected_state["param_groups"]
            for index, entries in expected_state["state"].items():
                for name, value in entries.items():
                    ours = state["state"][index][name]
                    assert ours.dtype == value.dtype and torch.equal(ours, value), (index, name)
