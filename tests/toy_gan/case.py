"""The toy GAN's cross-check: toy_gan.reference against toy_gan.port (crosscheck/case.py)."""

import numpy as np

from crosscheck import case
from toy_gan import port, reference


def torch_step(nets, opts, batch):
    G, D = nets["generator"], nets["discriminator"]
    return port.train_step(G, D, opts["D"], opts["G"], batch["x"], batch["z"])


CASE = case.Case(
    name="toy_gan",
    graph=lambda dtype: reference.build_graph(reference.HParams(), dtype),
    modules=lambda: {"generator": port.Generator(), "discriminator": port.Discriminator()},
    name_map=port.NAME_MAP,
    batches=case.batches_from(
        lambda: {"x": np.random.default_rng(0).normal(3.0, 0.5, (64, 1))},
        8,
        noise={"z": case.normal(1)},
    ),
    torch_step=torch_step,
    default_steps=20,
)
