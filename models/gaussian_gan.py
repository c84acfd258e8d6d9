"""The hyper-parameters of xyang35's Gaussian GAN (seed 000), for its TF1 reference and its port."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class HParams:
    epochs: int = 10  # xyang35: for epoch in range(10)
    batch_size: int = 4  # xyang35 / MXNet: batch_size = 4, 250 batches per epoch
    lr_D: float = 0.05  # xyang35: AdamOptimizer(learning_rate=0.05) for loss_D
    lr_G: float = 0.01  # xyang35: AdamOptimizer(learning_rate=0.01) for loss_G
    eval_size: int = 100  # xyang35: 100 fresh z and 100 real points after each epoch
