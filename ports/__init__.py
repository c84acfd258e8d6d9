"""PyTorch ports of the archive's models, one module per model, named as in tf1_reference/.

Importing this package sets one default before PyTorch loads its OpenMP runtime (which reads
it once, at load): `OMP_WAIT_POLICY=PASSIVE`, so that a thread waiting at the end of a parallel
region sleeps instead of spinning. With the default (spinning) policy, on the 2-core CPU with
other processes holding about 1.6 cores, one ring_gan iteration took 1,907 ms on 2 threads
against 27 ms with PASSIVE (and 51 ms on 1 thread): each spinning thread burns the core the
other one needs. The policy changes no number, only how idle threads wait. An explicit
`OMP_WAIT_POLICY` in the environment wins (e.g. ACTIVE, to compare with `python -m bench`).
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
