"""The hyper-parameters of the seed-002 MNIST DCGAN, for its TF1 reference and its port."""

import dataclasses

from harness import cli


@dataclasses.dataclass(frozen=True)
class HParams:
    epochs: int = 20  # seed: num_epoch = 20, in both training sessions
    batch_size: int = 64  # seed: batch_size = 64; total_batch = int(55000 / 64) = 859
    learning_rate: float = 0.0002  # seed: learning_rate = 0.0002 for both AdamOptimizers
    noise_dim: int = 100  # seed: noise_placeholder shape [None, 100], U(-1, 1) noise
    sample_every: int = 5  # seed: if (epoch+1) % 5 == 0: plot_samples(samples[:16])
    test_size: int = 1000  # seed: test_set.next_batch(1000) and 1000 noise vectors
    # as-written: real images in [0, 1] beside G's tanh output in [-1, 1]; tanh: x * 2 - 1.
    real_scale: str = cli.choice("as-written", "tanh")  # seed: [0, 1] images against tanh

    # The cross-check engine reads one learning rate per network; the seed uses one for both.
    @property
    def lr_D(self):
        return self.learning_rate

    @property
    def lr_G(self):
        return self.learning_rate
