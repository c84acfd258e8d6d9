"""The hyper-parameters of wiseodd's vanilla GAN on MNIST (seed 003), for its reference and port."""

import dataclasses

# gan_tensorflow.py's two loss forms: the blog's log form and the repository's sigmoid
# cross-entropy; the port's --loss also takes gan_pytorch.py's "bce" (ports/mnist_vanilla_gan.py).
LOSSES = ("log", "sce")


@dataclasses.dataclass(frozen=True)
class HParams:
    iterations: int = 1000000  # wiseodd: for it in range(1000000)
    mb_size: int = 128  # wiseodd: mb_size = 128
    Z_dim: int = 100  # wiseodd: Z_dim = 100, sample_Z(m, n) uniform on [-1, 1]
    h_dim: int = 128  # wiseodd: 128 hidden units in G_W1 / D_W1
    lr_D: float = 0.001  # wiseodd: tf.train.AdamOptimizer() default learning rate, D_solver
    lr_G: float = 0.001  # wiseodd: tf.train.AdamOptimizer() default learning rate, G_solver
    sample_every: int = 1000  # wiseodd: if it % 1000 == 0, save a 4x4 grid and print
    loss: str = dataclasses.field(default="log", metadata={"choices": LOSSES})  # blog: log form
