"""PyTorch ports of the archive's models, one module per model, named as in tf1_reference/.

On a shared machine, start a port with `OMP_WAIT_POLICY=PASSIVE` in the environment: OpenMP
threads waiting at the end of a parallel region then sleep instead of spinning, where spinning
threads burn the cores that other processes need (a ring_gan iteration took 70 times longer
under load with spinning threads; docs/speed.md has the figures and their machine). On an idle
machine PASSIVE costs instead, since every parallel region wakes its threads (1.6-2x on the
toys). The ports therefore keep the default; the test suite,
which shares its cores with TensorFlow's thread pools in one process, sets PASSIVE
(tests/conftest.py). The policy changes no number, only how idle threads wait.
"""

import contextlib


@contextlib.contextmanager
def frozen(module):
    """`module`'s parameters with requires_grad False inside the block, trainable again after.

    Every port runs its G step's loss and backward under `frozen(D)`: TF's G step (minimize
    over G's variables) never computes D's weight gradients, and with D's parameters frozen
    autograd skips them too. G's gradients are the same, bit for bit (tests/test_bench.py).
    """
    module.requires_grad_(False)
    try:
        yield module
    finally:
        module.requires_grad_(True)
