"""The hyper-parameters of xyang35's conditional Gaussian GAN (seed 000): the GAN notebook's.

CGAN-tensorflow.ipynb trains with GAN-tensorflow.ipynb's loop and values (10 epochs of batches
of 4, Adam 0.05 for D and 0.01 for G, 100 evaluation points), so its `HParams` is the GAN's.
"""

from models import gaussian_gan

HParams = gaussian_gan.HParams
