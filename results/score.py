"""Sample quality of a finished MNIST run, from its final checkpoint.

The generator is rebuilt from the run folder alone: hparams.json gives the model's HParams, and
the final checkpoint its weights. A TF1 run's graph is the reference's own `build_graph`,
restored with a `tf.compat.v1.train.Saver` from `checkpoints/` (the latest `model.ckpt-N`); a
port's generator is its own `Generator` class loaded with the "G" state dict of
`checkpoints/model.pt`. Each run then draws `samples` digits from z of the merge's own
(`np.random.default_rng(SAMPLE_SEED)`, the model's prior: its registry row's `sampling`, which
also says how G's output is read), so every run of a model is scored on the same z and no
run's own random streams are touched, and quality/ scores them: Inception score, Frechet
distance to the test set, classes with at least 5% of the digits. The same figures for the
real test images (the ceiling), one digit's images and uniform noise (the floors) go beside
them.
"""

import dataclasses

import numpy as np

from harness import cli, registry

SAMPLE_SEED = 0  # z for scoring: the same for every run of a model.
BATCH = 1000  # Digits generated per call.
FLOOR_SEED = 0  # The uniform-noise floor's pixels.


def hparams_of(module, saved):
    """The module's HParams from a run's hparams.json values."""
    fields = {f.name for f in dataclasses.fields(module.HParams)}
    return module.HParams(**{k: v for k, v in saved.items() if k in fields})


def noise(model, hp, n, rng):
    """`n` z vectors as the model's generator is fed (its registry row's `sampling`)."""
    sampling = registry.check(model).sampling
    shape = (n, getattr(hp, sampling.z_field))
    if sampling.prior == "uniform":
        return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)
    return rng.normal(size=shape).astype(np.float32)


def generate(folder, saved, n):
    """`n` digits (n, 784) in [0, 1] from the final checkpoint of the run in `folder`."""
    from quality import metrics

    model, framework = saved["model"], saved["framework"]
    if registry.check(model).sampling is None:
        raise cli.UserError(f"{folder}: {model} is not an MNIST model; nothing to score.")
    if saved.get("preset", "tf1") != "tf1":
        raise cli.UserError(
            f"{folder}: a --preset {saved['preset']} run has another generator "
            "layout; only the default preset's runs are scored."
        )
    module = registry.module(model, framework)
    hp = hparams_of(module, saved)
    z = noise(model, hp, n, np.random.default_rng(SAMPLE_SEED))
    build = _tf1_generator if framework == "tf1" else _port_generator
    generator, close = build(folder, module, hp, model)
    try:
        images = np.concatenate([generator(z[i : i + BATCH]) for i in range(0, n, BATCH)])
    finally:
        close()
    return metrics.to_unit(images.reshape(n, 784), registry.value_range(model, hp))


def _tf1_generator(folder, module, hp, model):
    """(z -> G(z), close) from the reference's graph and the run's latest Saver checkpoint."""
    import tensorflow as tf

    import tf1_reference

    tf1_reference.setup()  # TF1 behaviour before the graph is built.

    tf1 = tf.compat.v1
    prefix = tf1.train.latest_checkpoint(str(folder / "checkpoints"))
    if prefix is None:
        raise cli.UserError(f"{folder}: no TF checkpoint in checkpoints/; it cannot be scored.")
    graph = tf.Graph()
    with graph.as_default():
        g = module.build_graph(hp)
        saver = tf1.train.Saver()
    session = tf1.Session(graph=graph, config=tf1.ConfigProto(device_count={"GPU": 0}))
    saver.restore(session, prefix)
    sampling = registry.check(model).sampling
    output, z_input = getattr(g, sampling.tf_output), getattr(g, sampling.tf_input)
    return (lambda z: session.run(output, {z_input: z})), session.close


def _port_generator(folder, module, hp, model):
    """(z -> G(z), close) from the port's Generator and the "G" state dict of model.pt."""
    import torch

    path = folder / "checkpoints" / "model.pt"
    if not path.is_file():
        raise cli.UserError(f"{folder}: no checkpoints/model.pt; it cannot be scored.")
    G = module.generator_of(hp)
    G.load_state_dict(torch.load(path, map_location="cpu", weights_only=True)["G"])
    G.eval()

    @torch.no_grad()
    def run(z):
        return G(torch.from_numpy(z)).numpy()

    return run, lambda: None


class Scorer:
    """The classifier, the test set's statistics, the ceiling and floors; scores images."""

    def __init__(self, samples, data_dir=None, log=print):
        from inputs import mnist
        from quality import classifier, metrics

        self.samples = samples
        self.model, record = classifier.load(data_dir=data_dir, log=log)
        self.classifier = {k: record.get(k) for k in ("test_accuracy", "sha256", "path")}
        raw = mnist.read_raw(data_dir, download=False)
        self.statistics = metrics.reference_statistics(self.model, raw.test_images)
        ones = raw.test_images[raw.test_labels == 1]
        noise_images = np.random.default_rng(FLOOR_SEED).uniform(0.0, 1.0, (samples, 784))
        self.lines = {
            "real test images (ceiling)": self.evaluate(raw.test_images),
            f"{samples:,} images of the digit 1 (floor)": self.evaluate(
                np.resize(ones, (samples,) + ones.shape[1:])
            ),
            f"{samples:,} images of uniform noise (floor)": self.evaluate(noise_images),
        }

    def evaluate(self, images):
        from quality import metrics

        return dataclasses.asdict(metrics.evaluate(self.model, images, self.statistics))

    def score(self, folder, saved):
        """(figures as a dict, the generated digits) for the finished run in `folder`."""
        images = generate(folder, saved, self.samples)
        return self.evaluate(images), images
