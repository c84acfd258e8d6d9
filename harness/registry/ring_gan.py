"""The registry's row of ring_gan: TwistedW/See_GANs' GAN on a ring of 8 Gaussians (seed 001)."""

from harness import registry

MODEL = registry.Model(
    name="ring_gan",
    seed="001",
    original="TwistedW/See_GANs GAN.py (the blog's version)",
    mnist=False,
    # See_GANs counts one D and one G step as an "epoch"; main.py runs 100,000.
    steps_per_epoch=1,
    epochs=100_000,
    length_flag="--num-epochs",
    unit="epochs (steps)",
    outputs=registry.Outputs("_*.png", "epoch", ("d_loss", "g_loss")),
    # The blog's first frame (1,000 epochs: a curved band), not yet the ring.
    report_demo=registry.Budget(250, ("--num-epochs", "1000", "--disp-freq", "500")),
    report_tiny=registry.Budget(3, ("--num-epochs", "20", "--disp-freq", "10")),
    crosscheck_steps=500,
    denormals=registry.ShortRun(("--num-epochs", "1000", "--disp-freq", "1000"), 1000),
    # See_GANs: G 256 -> 128 -> 128 -> 2; D 2 -> 128 -> 128 -> 1; batch 512.
    layers=registry.Layers(
        512,
        (registry.Dense(256, 128), registry.Dense(128, 128), registry.Dense(128, 2)),
        (registry.Dense(2, 128), registry.Dense(128, 128), registry.Dense(128, 1)),
    ),
    # The modes covered and the high-quality fraction of its display's points.
    results="results.coverage",
)
