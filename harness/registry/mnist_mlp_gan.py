"""The registry's row of mnist_mlp_gan: lyeoni's PyTorch MLP GAN on MNIST, as the seed has it
(seed 004)."""

from harness import registry

MODEL = registry.Model(
    name="mnist_mlp_gan",
    seed="004",
    original="lyeoni pytorch-mnist-GAN, as modified in the seed (PyTorch)",
    mnist=True,
    # 60,000 images in batches of 128, the short last one skipped: 468 steps, 10 epochs.
    steps_per_epoch=60_000 // 128,
    epochs=10,
    length_flag="--n-epoch",
    unit="epochs",
    outputs=registry.Outputs("sample_*.png", "epoch", ("loss_d", "loss_g")),
    # 20 check steps; the short run is the seed's first epoch (468 steps; no shorter flag).
    report_demo=registry.Budget(20, ("--n-epoch", "1")),
    # One epoch is 468 steps of the full training set; tests hand in a smaller set.
    report_tiny=registry.Budget(3, ("--n-epoch", "1")),
    crosscheck_steps=100,
    denormals=registry.ShortRun(("--n-epoch", "1"), 468),
    # lyeoni / seed 004: G 100 -> 256 -> 512 -> 1024 -> 784; D 784 -> 1024 -> 512 -> 256 -> 1.
    layers=registry.Layers(
        128,
        (
            registry.Dense(100, 256),
            registry.Dense(256, 512),
            registry.Dense(512, 1024),
            registry.Dense(1024, 784),
        ),
        (
            registry.Dense(784, 1024),
            registry.Dense(1024, 512),
            registry.Dense(512, 256),
            registry.Dense(256, 1),
        ),
    ),
    results="results.digits",
    # lyeoni: torch.randn; G ends in tanh, trained against images in [-1, 1].
    sampling=registry.Sampling("z_dim", "normal", "G_output", "z", (-1.0, 1.0)),
)
