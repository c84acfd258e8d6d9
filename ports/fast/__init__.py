"""`--fast`: the ports' opt-in speed, one module per model beside its port, and what they share.

`--fast` changes rounding or random streams, never a model or its distributions, and a default
run stays bit for bit what it was. Every port under `--fast` takes fused Adam (as `--fused-adam`,
ports/backend.py) and calls `ports/fast/<model>.py` where the flag is on; that module holds the
model's own fast paths and lists them under its Deviations (docs/deviations.md gathers them
beside the port's). Shared by several: `whole_step.py` (a D step and a G step, Adam included,
compiled as one function) and `onednn.py` (`nn.Linear`'s products through oneDNN).
docs/speed.md has what each gains, on which machine.
"""
