"""The cross-check case of the worked example: gan_tf1.py's graph against gan_pytorch.py.

Run:
    python -m crosscheck --case examples/mnist_gan_2017/case.py:CASE --dtype float64 --adam tf
    python -m crosscheck --case examples/mnist_gan_2017/case.py:CASE --dtype float32 --adam tf

Deviations: none (a cross-check; docs/your-own-model.md walks through every line).
"""

import gan_pytorch as port
import gan_tf1

from crosscheck import case
from inputs import mnist

NAME_MAP = {  # TF variable -> (PyTorch parameter, layout): nn.Linear's weight is TF's transpose.
    "discriminator/D_W1": ("D.fc1.weight", "dense"),
    "discriminator/D_b1": ("D.fc1.bias", "same"),
    "discriminator/D_W2": ("D.fc2.weight", "dense"),
    "discriminator/D_b2": ("D.fc2.bias", "same"),
    "generator/G_W1": ("G.fc1.weight", "dense"),
    "generator/G_b1": ("G.fc1.bias", "same"),
    "generator/G_W2": ("G.fc2.weight", "dense"),
    "generator/G_b2": ("G.fc2.bias", "same"),
}


def torch_step(nets, opts, batch):
    """gan_tf1.py's loop body: D on (X, Z), then G on a fresh Z (the batch's "G" entry)."""
    G, D = nets["G"], nets["D"]
    return port.train_step(G, D, opts["D"], opts["G"], batch["X"], batch["Z"], batch["G"]["Z"])


CASE = case.Case(
    name="mnist_gan_2017",
    graph=gan_tf1.build,  # Builds into the cross-check's graph, in float32 or float64.
    modules=lambda: {"G": port.Generator(), "D": port.Discriminator()},
    name_map=NAME_MAP,
    batches=case.batches_from(
        lambda: {"X": mnist.read_data_sets(download=False).train.images},  # Read on first use.
        batch_size=64,
        noise={"Z": case.uniform(-1.0, 1.0, gan_tf1.Z_dim)},  # sample_Z: U(-1, 1).
        fresh={"G": ["Z"]},  # The G step draws its own Z, as gan_tf1.py does.
    ),
    torch_step=torch_step,
    constants={"keep_prob": 0.5},  # Fed in both steps of gan_tf1.py's loop.
)
