"""The registry's row of mnist_dcgan: the seed text's tf.layers DCGAN on MNIST (seed 002)."""

from harness import registry


def value_range(hp):
    """What G emits, as quality.metrics.to_unit takes it.

    The DCGAN as written trains its tanh output against real images in [0, 1], so its digits
    are read as [0, 1] (the negatives clipped); with --real-scale tanh as [-1, 1].
    """
    return (-1.0, 1.0) if hp.real_scale == "tanh" else (0.0, 1.0)


MODEL = registry.Model(
    name="mnist_dcgan",
    seed="002",
    original="the seed text (tf.layers), made runnable",
    mnist=True,
    # total_batch = int(55000 / 64) = 859 steps an epoch; the seed's phase 1 is 20 epochs.
    steps_per_epoch=859,
    epochs=20,
    length_flag="--epochs",
    unit="epochs",
    outputs=registry.Outputs("samples_epoch_*.png", "epoch", ("loss_D", "loss_G")),
    # 12 check steps (crosscheck's default is 20) and 60 training steps, samples after them:
    # the two most expensive parts, cut so that a first make demo, which also trains the
    # sample-quality classifier (about 2 minutes), stays under 10 minutes on 2 cores.
    report_demo=registry.Budget(
        12, ("train", "--epochs", "1", "--max-steps", "60", "--sample-every", "1")
    ),
    report_tiny=registry.Budget(
        2, ("train", "--epochs", "1", "--max-steps", "2", "--sample-every", "1")
    ),
    crosscheck_steps=20,
    denormals=registry.ShortRun(("train", "--epochs", "1", "--max-steps", "50"), 50),
    # Seed 002: G dense 100 -> 128 -> 7*7*128, conv2d_transpose 5x5 /2 to 64 x 14 x 14, then to
    # 1 x 28 x 28; D conv2d 5x5 /2 to 64 x 14 x 14, to 128 x 7 x 7, dense 6272 -> 1; batch 64.
    layers=registry.Layers(
        64,
        (
            registry.Dense(100, 128),
            registry.Dense(128, 7 * 7 * 128),
            registry.ConvTranspose(128, 64, 5, 7),
            registry.ConvTranspose(64, 1, 5, 14),
        ),
        (
            registry.Conv(1, 64, 5, 14),
            registry.Conv(64, 128, 5, 7),
            registry.Dense(7 * 7 * 128, 1),
        ),
    ),
    results="results.digits",
    # Seed 002: np.random.uniform(-1, 1); G ends in tanh (see value_range).
    sampling=registry.Sampling("noise_dim", "uniform", "G", "z_placeholder", value_range),
)
