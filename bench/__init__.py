"""Speed measurements: `python -m bench` times every model, TF1 reference against PyTorch port.

bench/run.py is the command (what is timed and how), bench/models.py one training iteration of
each model as its loop runs it, bench/flops.py the FLOP count behind the compute floor,
bench/machine.py the machine's description, background load and matmul throughput, and
bench/mnist_parse.py the time to read MNIST.
"""

from harness import tf_logs  # noqa: F401  (TensorFlow's log level, before TensorFlow loads)
