"""`--fast` for the seed-002 DCGAN's port: channels-last convolutions, oneDNN's dense products.

Source: the archive's own; PyTorch's channels-last memory format and ports/fast/onednn.py.

Run:
    python -m ports.mnist_dcgan train --fast --out runs/dcgan-fast    # the seed's 20 epochs

Deviations: (from the port's default run)
- `--fast` (opt-in; recorded in hparams.json, and a run resumes only in the mode it was made
  in): `torch.optim.Adam(fused=True)`, as `--fused-adam`; on a CPU, channels-last weights (so
  oneDNN convolves NHWC maps with its brgemm kernels) and the dense layers' products through
  oneDNN (ports/fast/onednn.py). It changes rounding, not the model or its distributions;
  docs/speed.md has its speed.
"""

import torch

from ports.fast import onednn


def modules(G, D, device):
    """--fast on a CPU: channels-last weights, so oneDNN runs every convolution on NHWC maps
    with its brgemm kernels, and the dense layers' products through oneDNN (onednn.py); the
    same modules elsewhere."""
    if torch.device(device).type != "cpu":
        return G, D
    G, D = (module.to(memory_format=torch.channels_last) for module in (G, D))
    onednn.use_onednn(G, D)
    return G, D
