"""PyTorch ports of the archive's models, one module per model, named as in tf1_reference/.

On a shared machine, start a port with `OMP_WAIT_POLICY=PASSIVE` in the environment: OpenMP
threads waiting at the end of a parallel region then sleep instead of spinning. Measured on the
2-core CPU with other processes holding about 1.6 cores, one ring_gan iteration took 1,907 ms on
2 threads with spinning threads against 27 ms with PASSIVE: each spinning thread burns the core
the other one needs. On an idle machine PASSIVE costs instead (every parallel region wakes its
threads): `python -m bench` measured ring_gan 34.6 ms against 20.9 ms with the default policy,
and mnist_vanilla_gan 18.9 against 9.5. The ports therefore keep the default; the test suite,
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
