"""Cross-check of the Gaussian GAN: tf1_reference.gaussian_gan against ports.gaussian_gan."""

from crosscheck import case
from inputs import gaussian
from ports import gaussian_gan as port
from tf1_reference import gaussian_gan as reference


def make_batches(rng, steps):
    """The original's feeding, from one generator: data once, reshuffled batches of 4, z ~ N."""
    X, batches = gaussian.gaussian_data(rng), []
    while len(batches) < steps:
        for x in gaussian.iterate_minibatch(X, batch_size=4, random=rng):
            batches.append({"x": x, "z": rng.normal(size=(4, 2))})
    return batches[:steps]


def torch_step(nets, opts, b):
    G, D = nets["generator"], nets["discriminator"]
    return port.train_step(G, D, opts["D"], opts["G"], b["x"], b["z"])[:2]


CASE = case.Case(
    name="gaussian_gan",
    graph=lambda dtype: reference.build_graph(reference.HParams(), dtype=dtype),
    modules=lambda: {"generator": port.Generator(), "discriminator": port.Discriminator()},
    name_map=port.NAME_MAP,
    batches=make_batches,
    tf_step=lambda sess, g, b: reference.train_step(sess, g, b["x"], b["z"]),
    torch_step=torch_step,
)
