"""Cross-check of the conditional GAN: tf1_reference.gaussian_cgan against ports.gaussian_cgan."""

from crosscheck import case
from inputs import gaussian
from ports import gaussian_cgan as port
from tf1_reference import gaussian_cgan as reference


def make_batches(rng, steps):
    """The original's feeding: (X, X1) once, aligned reshuffled batches of 4, z ~ N(0, I)."""
    X, X1 = gaussian.conditional_data(rng)
    batches = []
    while len(batches) < steps:
        for x, x1 in gaussian.iterate_minibatch(X, X1, batch_size=4, random=rng):
            batches.append({"x": x, "x1": x1, "z": rng.normal(size=(4, 2))})
    return batches[:steps]


def torch_step(nets, opts, b):
    G, D = nets["generator"], nets["discriminator"]
    return port.train_step(G, D, opts["D"], opts["G"], b["x"], b["x1"], b["z"])


CASE = case.Case(
    name="gaussian_cgan",
    graph=lambda dtype: reference.build_graph(reference.HParams(), dtype=dtype),
    modules=lambda: {"generator": port.Generator(), "discriminator": port.Discriminator()},
    name_map=port.NAME_MAP,
    batches=make_batches,
    tf_step=lambda sess, g, b: reference.train_step(sess, g, b["x"], b["x1"], b["z"]),
    torch_step=torch_step,
)
