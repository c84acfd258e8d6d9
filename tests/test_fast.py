"""--fast on the ports: what it turns on, what a run records, its resume rules, and the law of
the dropout masks it draws for seed 004.

--fast may change rounding (fused Adam) and random streams (seed 004's masks), never the model
or its distributions; the default stays bit for bit what it was (tests/test_seed004_exact.py,
the cross-checks). Whether its sample quality matches the default's is a matter of runs over
seeds, reported in docs/speed.md, not of a test.
"""

import importlib
import inspect
import json

import numpy as np
import pytest
import torch

from harness import checkpoints, cli, registry
from ports import command, gaussian_gan, onednn
from ports import mnist_mlp_gan as mlp


@pytest.mark.parametrize("model", registry.NAMES)
def test_every_port_takes_fast(model):
    module = importlib.import_module(f"ports.{model}")
    assert "fast" in inspect.signature(module.train).parameters
    assert "--fast" in command.parser(model, module.HParams, module.__doc__).format_help()


def test_a_fast_run_records_itself_and_resumes_only_with_fast(tmp_path):
    fast, default = tmp_path / "fast", tmp_path / "default"
    gaussian_gan.main(["--epochs", "1", "--out", str(fast), "--fast", "--checkpoint-every", "100"])
    gaussian_gan.main(["--epochs", "1", "--out", str(default), "--checkpoint-every", "100"])
    assert json.loads((fast / "hparams.json").read_text())["fast"] is True
    assert "fast" not in json.loads((default / "hparams.json").read_text())  # As before --fast.
    saved = torch.load(fast / checkpoints.FOLDER / "model.pt", weights_only=True)
    assert saved["opt_D"]["param_groups"][0]["fused"] is True  # Fused Adam, as --fused-adam.
    for run in (fast, default):
        (run / checkpoints.FOLDER / checkpoints.FINISHED).unlink()  # As if stopped by Ctrl-C.
    with pytest.raises(cli.UserError, match="made in the default mode.*without --fast"):
        gaussian_gan.main(["--resume", str(default), "--fast"])
    with pytest.raises(cli.UserError, match="made with --fast.*resume it with --fast"):
        gaussian_gan.main(["--resume", str(fast)])


def test_fast_masks_have_f_dropouts_law_and_values():
    masks = mlp.FastMasks(0, 128, [1024, 512, 256], 0.3)
    drawn = masks.draw("cpu")
    assert sorted(drawn) == ["G", "fake", "real"]
    assert [tuple(m.shape) for m in drawn["real"]] == [(128, 1024), (128, 512), (128, 256)]
    reference = torch.nn.functional.dropout(torch.ones(100_000), 0.3).unique()
    values = torch.cat([m.flatten() for call in drawn.values() for m in call])
    assert torch.equal(values.unique(), reference)  # 0 and F.dropout's 1 / 0.7 in float32.
    kept = (values > 0).double().mean().item()
    assert abs(kept - 0.7) < 4 * np.sqrt(0.21 / len(values))  # Bernoulli(0.7), 688,128 draws.
    again = masks.draw("cpu")
    assert not torch.equal(again["real"][0], drawn["real"][0])  # Fresh masks every step.


def test_fast_masks_state_round_trips_through_a_checkpoint(tmp_path):
    masks = mlp.FastMasks(3, 8, [16, 8, 4], 0.3)
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
