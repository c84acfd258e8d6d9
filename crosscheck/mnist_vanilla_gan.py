"""Cross-check of seed 003: tf1_reference.mnist_vanilla_gan against ports.mnist_vanilla_gan.

Real MNIST batches as the original fed them (`next_batch(128)` on the 55,000 training
images, flat pixels in [0, 1]) and two fresh uniform z batches per step, all drawn from the
engine's one generator; the blog's log-form losses, Adam 1e-3 on both sides.
"""

from crosscheck import case
from inputs import mnist
from ports import mnist_vanilla_gan as port
from tf1_reference import mnist_vanilla_gan as reference

HP = reference.HParams()


def make_batches(rng, steps):
    """`steps` batches {X, Z_D, Z_G}: next_batch(128) images and U(-1, 1) z, float64."""
    train = mnist.read_data_sets(download=False, rng=rng).train
    batches = []
    for _ in range(steps):
        X_mb, _ = train.next_batch(HP.mb_size)
        batches.append(
            {
                "X": X_mb.astype("float64"),
                "Z_D": rng.uniform(-1.0, 1.0, size=(HP.mb_size, HP.Z_dim)),
                "Z_G": rng.uniform(-1.0, 1.0, size=(HP.mb_size, HP.Z_dim)),
            }
        )
    return batches


def torch_step(nets, opts, b):
    G, D = nets["generator"], nets["discriminator"]
    return port.train_step(G, D, opts["D"], opts["G"], b["X"], b["Z_D"], b["Z_G"], HP.loss)


CASE = case.Case(
    name="mnist_vanilla_gan",
    graph=lambda dtype: reference.build_graph(HP, dtype=dtype),
    modules=lambda: {"generator": port.Generator(), "discriminator": port.Discriminator()},
    name_map=port.NAME_MAP,
    batches=make_batches,
    tf_step=lambda sess, g, b: reference.train_step(sess, g, b["X"], b["Z_D"], b["Z_G"]),
    torch_step=torch_step,
)
