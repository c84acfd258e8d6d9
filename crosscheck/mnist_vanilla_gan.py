"""Cross-check of seed 003: tf1_reference.mnist_vanilla_gan against ports.mnist_vanilla_gan.

Real MNIST batches as the original fed them (`next_batch(128)` on the 55,000 training
images, flat pixels in [0, 1]) and two fresh uniform z batches per step, all drawn from the
engine's one generator; the blog's log-form losses, Adam 1e-3 on both sides.
"""

from crosscheck import engine
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


def tf_feeds(g, batch):
    return {g.X: batch["X"], g.Z: batch["Z_D"]}, {g.Z: batch["Z_G"]}


def torch_losses(G, D, batch):
    D_loss = port.D_loss_of(D(batch["X"]), D(G(batch["Z_D"])), HP.loss)
    return D_loss, port.G_loss_of(D(G(batch["Z_G"])), HP.loss)


def kinks(reference_side, port_side, batch):
    """The input of every ReLU: G(z) for both z's, D(X) and D(G(Z_D)) (one hidden layer each)."""
    g, t = reference_side.g, port_side.tensors(batch)
    G, D = port_side.G, port_side.D
    out = []
    for key in ("Z_D", "Z_G"):
        # Graph order: add (G's hidden layer), add_2 (D on X), add_4 (D on G(Z)).
        tf_g, tf_real, tf_fake = reference_side.run_layers(
            ["add:0", "add_2:0", "add_4:0"], {g.X: batch["X"], g.Z: batch[key]}
        )
        with port.torch.no_grad():
            out += [
                (f"G({key}) h", tf_g, G.fc1(t[key]).numpy()),
                (f"D(G({key})) h", tf_fake, D.fc1(G(t[key])).numpy()),
            ]
            if key == "Z_D":
                out.append(("D(X) h", tf_real, D.fc1(t["X"]).numpy()))
    return out


CASE = engine.Case(
    reference=reference,
    port=port,
    make_batches=make_batches,
    tf_step=lambda sess, g, b: reference.train_step(sess, g, b["X"], b["Z_D"], b["Z_G"]),
    tf_feeds=tf_feeds,
    torch_step=lambda G, D, oD, oG, b: port.train_step(
        G, D, oD, oG, b["X"], b["Z_D"], b["Z_G"], HP.loss
    ),
    torch_losses=torch_losses,
    var_lists=lambda g: (g.theta_D, g.theta_G),
    losses=lambda g: (g.D_loss, g.G_loss),
    kinks=kinks,
)
