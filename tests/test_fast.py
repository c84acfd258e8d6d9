"""--fast on the ports: what it turns on, what a run records, its resume rules, and the law of
the dropout masks it draws for seed 004.

--fast may change rounding (fused Adam) and random streams (seed 004's masks), never the model
or its distributions; the default stays bit for bit what it was (tests/test_seed004_exact.py,
the cross-checks). Whether its sample quality matches the default's is a matter of runs over
seeds, reported in docs/speed.md, not of a test.
"""

import dataclasses
import importlib
import json

import numpy as np
import pytest
import torch

from harness import checkpoint_format, cli, registry
from ports import backend, gaussian_gan
from ports import mnist_mlp_gan as mlp
from ports.fast import mnist_mlp_gan as mlp_fast
from ports.fast import onednn, whole_step


@pytest.mark.parametrize("model", registry.NAMES)
def test_every_port_takes_fast(model):
    """Every port's run has --fast, and its fast paths live beside it in ports/fast/."""
    module = importlib.import_module(f"ports.{model}")
    assert "fast" in {field.name for field in dataclasses.fields(backend.Run)}
    assert "--fast" in module.COMMAND.parser().format_help()
    assert module.fast is importlib.import_module(f"ports.fast.{model}")


def test_a_fast_run_records_itself_and_resumes_only_with_fast(tmp_path):
    fast, default = tmp_path / "fast", tmp_path / "default"
    gaussian_gan.main(["--epochs", "1", "--out", str(fast), "--fast", "--checkpoint-every", "100"])
    gaussian_gan.main(["--epochs", "1", "--out", str(default), "--checkpoint-every", "100"])
    assert json.loads((fast / "hparams.json").read_text())["fast"] is True
    assert "fast" not in json.loads((default / "hparams.json").read_text())  # As before --fast.
    saved = torch.load(fast / checkpoint_format.FOLDER / "model.pt", weights_only=True)
    assert saved["opt_D"]["param_groups"][0]["fused"] is True  # Fused Adam, as --fused-adam.
    for run in (fast, default):
        (
            run / checkpoint_format.FOLDER / checkpoint_format.FINISHED
        ).unlink()  # As if stopped by Ctrl-C.
    with pytest.raises(cli.UserError, match="made in the default mode.*without --fast"):
        gaussian_gan.main(["--resume", str(default), "--fast"])
    with pytest.raises(cli.UserError, match="made with --fast.*resume it with --fast"):
        gaussian_gan.main(["--resume", str(fast)])


def test_fast_masks_have_f_dropouts_law_and_values():
    masks = mlp_fast.FastMasks(0, 128, [1024, 512, 256], 0.3)
    drawn = masks.draw("cpu")
    assert sorted(drawn) == ["D", "G", "fake", "real"]
    assert [tuple(m.shape) for m in drawn["real"]] == [(128, 1024), (128, 512), (128, 256)]
    for both, real, fake in zip(drawn["D"], drawn["real"], drawn["fake"]):
        assert torch.equal(both, torch.cat([real, fake]))  # The joint D step's rows.
    reference = torch.nn.functional.dropout(torch.ones(100_000), 0.3).unique()
    values = torch.cat([m.flatten() for call in ("real", "fake", "G") for m in drawn[call]])
    assert torch.equal(values.unique(), reference)  # 0 and F.dropout's 1 / 0.7 in float32.
    kept = (values > 0).double().mean().item()
    assert abs(kept - 0.7) < 4 * np.sqrt(0.21 / len(values))  # Bernoulli(0.7), 688,128 draws.
    again = masks.draw("cpu")
    assert not torch.equal(again["real"][0], drawn["real"][0])  # Fresh masks every step.


@pytest.mark.parametrize("p", [0.3, 0.0, 0.5, 0.999])
def test_fast_masks_compare_raw_words_as_numpys_float32_draws_would(p):
    widths = [1024, 512, 256]
    drawn = mlp_fast.FastMasks(5, 128, widths, p).draw("cpu")
    rng = np.random.Generator(np.random.PCG64(5))
    keep = rng.random((3, 128, sum(widths)), dtype=np.float32) >= np.float32(p)
    got = np.stack([torch.cat(drawn[call], dim=1).numpy() for call in ("real", "fake", "G")])
    assert np.array_equal(got > 0, keep)  # The very masks of the float32 draw, unit for unit.
    odd = mlp_fast.FastMasks(5, 3, [3], p).draw("cpu")  # An odd count of words: still three masks.
    assert [tuple(m.shape) for m in odd["G"]] == [(3, 3)]


@pytest.mark.parametrize("p", [1.0, -0.1])
def test_fast_masks_refuse_a_dropout_outside_0_to_1(p):
    with pytest.raises(ValueError, match="dropout must be at least 0 and below 1"):
        mlp_fast.FastMasks(0, 8, [16], p)


def test_joint_d_step_is_the_two_d_calls_to_rounding():
    """--fast's D step on real and fake as one batch: the same losses and weights to rounding."""
    masks = mlp_fast.FastMasks(0, 16, [1024, 512, 256], 0.3)
    runs = []
    for joint in (False, True):
        torch.manual_seed(0)
        G, D = mlp.Generator(100, 784), mlp.Discriminator(784)
        opt_G = torch.optim.Adam(G.parameters(), lr=2e-4)
        opt_D = torch.optim.Adam(D.parameters(), lr=2e-4)
        masks.set_state(mlp_fast.FastMasks(0, 16, [1024, 512, 256], 0.3).state())
        data = torch.Generator().manual_seed(1)
        losses = []
        for _ in range(3):
            x = torch.rand(16, 784, generator=data) * 2 - 1
            z_D, z_G = torch.randn(2, 16, 100, generator=data)
            drawn = masks.draw("cpu")
            if joint:
                step = mlp_fast.joint_step(G, D, (opt_D, opt_G), x, masks=drawn, z_D=z_D, z_G=z_G)
            else:
                step = mlp.train_step(G, D, opt_D, opt_G, x, z_D, z_G, drawn)
            losses.append(step)
        weights = [p.detach().clone() for p in (*G.parameters(), *D.parameters())]
        runs.append((np.array(losses), weights))
    (losses, weights), (joint_losses, joint_weights) = runs
    np.testing.assert_allclose(joint_losses, losses, rtol=1e-5)
    for a, b in zip(weights, joint_weights):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-6)


def test_fast_masks_state_round_trips_through_a_checkpoint(tmp_path):
    masks = mlp_fast.FastMasks(3, 8, [16, 8, 4], 0.3)
    masks.draw("cpu")
    torch.save({"tracked": [masks.state()]}, tmp_path / "state.pt")
    expected = masks.draw("cpu")
    masks.draw("cpu")
    masks.set_state(torch.load(tmp_path / "state.pt", weights_only=True)["tracked"][0])
    again = masks.draw("cpu")
    assert all(torch.equal(a, b) for call in expected for a, b in zip(expected[call], again[call]))


@pytest.mark.skipif(not onednn.available(), reason="this PyTorch build has no oneDNN")
def test_onednn_linear_is_f_linear_to_rounding_and_keeps_the_layers_parameters():
    torch.manual_seed(0)
    ours, theirs = torch.nn.Linear(784, 1024), torch.nn.Linear(784, 1024)
    theirs.load_state_dict(ours.state_dict())
    onednn.use_onednn(ours)
    assert list(ours.state_dict()) == ["weight", "bias"]  # Checkpoints are unchanged.
    x = torch.randn(128, 784)
    x_ours, x_theirs = x.clone().requires_grad_(), x.clone().requires_grad_()
    upstream = torch.randn(128, 1024)
    out_ours, out_theirs = ours(x_ours), theirs(x_theirs)
    out_ours.backward(upstream)
    out_theirs.backward(upstream)
    pairs = [
        (out_ours, out_theirs),
        (x_ours.grad, x_theirs.grad),
        (ours.weight.grad, theirs.weight.grad),
        (ours.bias.grad, theirs.bias.grad),
    ]
    for a, b in pairs:  # float32 sums of 128-1024 terms: rounding only.
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-4 * b.abs().max().item())


def _whole_step_case(model):
    """(G, D, opt_D, opt_G, inputs, eager step, --fast's compiled step) of a port, seeded."""
    port = importlib.import_module(f"ports.{model}")
    torch.manual_seed(0)
    rng = np.random.default_rng(0)

    def tensor(*shape, low=-1.0):
        return torch.as_tensor(rng.uniform(low, 1.0, shape), dtype=torch.float32)

    if model == "gaussian_gan":
        G, D = port.Generator(), port.Discriminator(1)
        inputs = (tensor(8, 2), tensor(8, 2))
    elif model == "gaussian_cgan":
        G, D = port.Generator(), port.Discriminator()
        inputs = (tensor(8, 2), tensor(8, 2), tensor(8, 2))
    elif model == "ring_gan":
        G, D = port.Generator(16, 8), port.Discriminator(8)
        inputs = (tensor(64, 2), tensor(64, 16), tensor(64, 16))
    else:
        G, D = port.Generator(100, 128), port.Discriminator(128)
        inputs = (tensor(16, 784, low=0.0), tensor(16, 100), tensor(16, 100))
    port.initialize([G, D])
    hp = port.HParams()
    if model == "ring_gan":
        opt_D, opt_G = port.make_optimizers(G, D, hp)
        eager = lambda: port.train_step(G, D, opt_D, opt_G, *inputs)  # noqa: E731
        losses = (port.discriminator_loss, port.generator_loss)

        def compiled():  # Iteration's compiled step, on the given noise.
            rest = port.fast.Iteration(
                G, D, (opt_D, opt_G), losses=losses, hp=hp, seed=0, device="cpu"
            )
            return lambda *batch: torch.stack(rest.step(*batch)).tolist()

    else:
        opt_D = torch.optim.Adam(D.parameters(), lr=hp.lr_D)
        opt_G = torch.optim.Adam(G.parameters(), lr=hp.lr_G)
        eager = lambda: port.train_step(G, D, opt_D, opt_G, *inputs)[:2]  # noqa: E731
        if model == "mnist_vanilla_gan":
            losses = (port.D_loss_of, port.G_loss_of)
        else:
            losses = (port.discriminator_loss, port.generator_loss)

        def compiled():
            return port.fast.whole_step(G, D, (opt_D, opt_G), losses=losses)

    return G, D, opt_D, opt_G, inputs, eager, compiled


@pytest.mark.parametrize(
    "model", ["gaussian_gan", "gaussian_cgan", "ring_gan", "mnist_vanilla_gan"]
)
def test_whole_step_is_the_eager_step_to_rounding_and_fills_adams_own_state(model):
    """--fast's compiled step (ports/fast/whole_step.py) against the port's own eager step,
    from the same weights on the same batches: the same losses and weights up to float32
    rounding, and Adam's state where torch.optim.Adam keeps it, so checkpoints hold the same
    entries."""
    G, D, opt_D, opt_G, inputs, eager, _ = _whole_step_case(model)
    G2, D2, opt_D2, opt_G2, _, _, compiled = _whole_step_case(model)
    step = compiled()
    for _ in range(3):
        expected = eager()
        got = step(*inputs)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    for mine, theirs in zip(
        [*G2.parameters(), *D2.parameters()], [*G.parameters(), *D.parameters()]
    ):
        torch.testing.assert_close(mine, theirs, rtol=1e-4, atol=1e-6)
    for mine, theirs in ((opt_D2, opt_D), (opt_G2, opt_G)):
        ours, torchs = mine.state_dict()["state"], theirs.state_dict()["state"]
        assert ours.keys() == torchs.keys()
        for index, state in torchs.items():
            assert ours[index].keys() == state.keys() and float(ours[index]["step"]) == 3.0
            torch.testing.assert_close(
                ours[index]["exp_avg_sq"], state["exp_avg_sq"], rtol=1e-4, atol=1e-9
            )


def test_whole_step_refuses_an_adam_it_does_not_write_out():
    G, D = gaussian_gan.Generator(), gaussian_gan.Discriminator(1)
    opt_D = torch.optim.Adam(D.parameters(), weight_decay=0.1)
    opt_G = torch.optim.Adam(G.parameters())
    with pytest.raises(ValueError, match="without weight decay or amsgrad"):
        whole_step.WholeStep(G, D, opt_D, opt_G, None, None, compile=False)
