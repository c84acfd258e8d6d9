"""The registry's row of mnist_vanilla_gan: wiseodd's vanilla GAN on MNIST (seed 003)."""

from harness import registry

MODEL = registry.Model(
    name="mnist_vanilla_gan",
    seed="003",
    original="wiseodd gan_tensorflow.py (the blog's named variables)",
    mnist=True,
    # next_batch(128) on 55,000 images: 429 steps and a bit an epoch; 1e6 iterations.
    steps_per_epoch=55_000 // 128,
    epochs=1_000_000,
    length_flag="--iterations",
    unit="iterations",
    outputs=registry.Outputs("[0-9][0-9][0-9].png", "iteration", ("D_loss", "G_loss")),
    # wiseodd's first two grids (iterations 0 and 1000), and three between them.
    report_demo=registry.Budget(100, ("--iterations", "1001", "--sample-every", "250")),
    report_tiny=registry.Budget(3, ("--iterations", "21", "--sample-every", "10")),
    crosscheck_steps=100,
    denormals=registry.ShortRun(("--iterations", "1000", "--sample-every", "1000"), 1000),
    # wiseodd: G 100 -> 128 -> 784; D 784 -> 128 -> 1; batch 128.
    layers=registry.Layers(
        128,
        (registry.Dense(100, 128), registry.Dense(128, 784)),
        (registry.Dense(784, 128), registry.Dense(128, 1)),
    ),
    results="results.digits",
    # wiseodd: sample_Z uniform on [-1, 1]; G ends in a sigmoid.
    sampling=registry.Sampling("Z_dim", "uniform", "G_sample", "Z", (0.0, 1.0)),
)
