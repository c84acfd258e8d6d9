"""--fused-adam on the ports: what it passes to torch.optim.Adam, what it records in
the run folder, how far its numbers move from the default Adam's, and its resume rule.

The default Adam (for-each or per-parameter, bit for bit the same) stays the ports' default:
the result tables in the README were measured with it. Fused Adam rounds differently; the
size of that difference is measured here, not hidden.
"""

import json

import pytest
import torch

from ports import backend
from ports import gaussian_gan as port


def test_options_are_unchanged_by_default():
    params = [torch.nn.Parameter(torch.ones(3))]
    assert backend.adam(params, lr=0.1).defaults["foreach"] is None
    assert backend.adam(params, lr=0.1, foreach=True).defaults["foreach"] is True
    assert not backend.adam(params, lr=0.1, foreach=True).defaults["fused"]


def test_fused_replaces_any_foreach_choice():
    assert backend.fused({}) == {"fused": True}
    assert backend.fused({"foreach": True, "lr": 0.1}) == {"fused": True, "lr": 0.1}
    params = [torch.nn.Parameter(torch.ones(3))]
    assert backend.adam(params, True, lr=0.1, foreach=True).defaults["fused"]


def _mlp_g_after(steps, **options):
    from ports import mnist_mlp_gan

    torch.manual_seed(0)
    G = mnist_mlp_gan.Generator(100, 784)
    optimizer = torch.optim.Adam(G.parameters(), lr=2e-4, **options)
    grads = [[torch.randn_like(p) * 1e-3 for p in G.parameters()] for _ in range(4)]
    for step in range(steps):
        for param, grad in zip(G.parameters(), grads[step % 4]):
            param.grad = grad.clone()
        optimizer.step()
    return [p.detach().clone() for p in G.parameters()]


def test_fused_adam_moves_the_weights_by_rounding_only():
    """60 steps of the seed-004 G: the fused kernel's weights stay within 1e-6 of the default's
    (about 1e-7), while the step itself moves them by about 1.2e-2."""
    start = _mlp_g_after(0)
    default, fused = _mlp_g_after(60, foreach=True), _mlp_g_after(60, fused=True)
    difference = max((a - b).abs().max().item() for a, b in zip(default, fused))
    moved = max((a - b).abs().max().item() for a, b in zip(default, start))
    assert difference < 1e-6 and moved > 1e-2, (difference, moved)


def test_a_run_records_fused_adam_and_a_default_run_refuses_it_on_resume(tmp_path, monkeypatch):
    out = tmp_path / "run"
    port.main(["--epochs", "1", "--out", str(out), "--fused-adam", "--checkpoint-every", "100"])
    assert json.loads((out / "hparams.json").read_text())["fused_adam"] is True
    checkpoint = torch.load(out / "checkpoints" / "model.pt", weights_only=True)
    assert checkpoint["opt_D"]["param_groups"][0]["fused"] is True
    default = tmp_path / "default"
    port.main(["--epochs", "1", "--out", str(default), "--checkpoint-every", "100"])
    assert json.loads((default / "hparams.json").read_text())["fused_adam"] is False
    from harness import checkpoint_format, cli

    (
        default / checkpoint_format.FOLDER / checkpoint_format.FINISHED
    ).unlink()  # As if stopped by Ctrl-C.
    with pytest.raises(cli.UserError, match="used the default Adam, not --fused-adam"):
        port.main(["--resume", str(default), "--fused-adam"])
