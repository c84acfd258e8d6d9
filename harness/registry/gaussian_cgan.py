"""The registry's row of gaussian_cgan: xyang35's conditional GAN on a 2-D Gaussian (seed 000)."""

from harness import registry

MODEL = registry.Model(
    name="gaussian_cgan",
    seed="000",
    original="xyang35 CGAN-tensorflow.ipynb",
    mnist=False,
    # 1,000 points in batches of 4: 250 steps an epoch, 10 epochs (xyang35).
    steps_per_epoch=250,
    epochs=10,
    length_flag="--epochs",
    unit="epochs",
    outputs=registry.Outputs("epoch_*.png", "epoch", ("loss_D",)),
    report_demo=registry.Budget(250),  # The short runs are the full run: 10 epochs.
    report_tiny=registry.Budget(3, ("--epochs", "2")),
    crosscheck_steps=250,  # One epoch.
    denormals=registry.ShortRun(("--epochs", "1"), 250),
    # xyang35 CGAN: G z W1 + x W2 (two 2 x 2 products); D on [x1, x] 4 -> 6 -> 4 -> 1; batch 4.
    layers=registry.Layers(
        4,
        (registry.Dense(2, 2), registry.Dense(2, 2)),
        (registry.Dense(4, 6), registry.Dense(6, 4), registry.Dense(4, 1)),
    ),
    # A step of 4-row tensors has nothing to split across cores (docs/speed.md).
    threads=1,
)
