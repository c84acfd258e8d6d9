"""The session configuration of a TF1 run, chosen with `--device`.

- `original`: the model's own `ConfigProto`, as its tutorial wrote it (xyang35's notebooks pin
  the CPU with `device_count={'GPU': 0}`; See_GANs uses a plain `tf.Session()`).
- `cpu`: every op on the CPU (`device_count={'GPU': 0}`).
- `gpu`: the GPU with `allow_growth` (or a fixed `--gpu-memory-fraction`) and soft placement,
  so an op without a GPU kernel falls back to the CPU instead of failing.
`--log-device-placement` makes TensorFlow print where each op runs, with any of the three.
"""

import sys

import tensorflow as tf

DEVICES = ("original", "cpu", "gpu")


def add_arguments(parser):
    """Add `--device`, `--gpu-memory-fraction` and `--log-device-placement` to a parser."""
    parser.add_argument(
        "--device",
        choices=DEVICES,
        default="original",
        help="session placement: the original's ConfigProto, cpu only, or gpu (default: original)",
    )
    parser.add_argument(
        "--gpu-memory-fraction",
        type=float,
        default=None,
        help="with --device gpu: reserve this fraction of GPU memory instead of allow_growth",
    )
    parser.add_argument(
        "--log-device-placement",
        action="store_true",
        help="print the device every op is placed on",
    )


def config_proto(
    device="original",
    original=None,
    gpu_memory_fraction=None,
    log_device_placement=False,
    gpu_available=None,
    log=None,
):
    """Return the `tf.compat.v1.ConfigProto` for `device` (None means TensorFlow's defaults).

    `original` is the model's own ConfigProto (or None for a plain `tf.Session()`).
    `gpu_available` overrides the GPU probe (tests); `log` receives the one-line notice
    printed when a GPU is asked for and none is present (default: stderr).
    """
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}; choose one of {', '.join(DEVICES)}.")
    if gpu_memory_fraction is not None:
        if device != "gpu":
            raise ValueError("--gpu-memory-fraction only applies with --device gpu.")
        if not 0.0 < gpu_memory_fraction <= 1.0:
            raise ValueError(
                f"--gpu-memory-fraction must lie in (0, 1], got {gpu_memory_fraction}."
            )
    if device == "original":
        config = None if original is None else _copy(original)
    elif device == "cpu":
        config = tf.compat.v1.ConfigProto(device_count={"GPU": 0})
    else:
        if gpu_available is None:
            gpu_available = bool(tf.config.list_physical_devices("GPU"))
        if not gpu_available:
            (log or _stderr)("--device gpu: TensorFlow sees no GPU here; running on the CPU.")
        config = tf.compat.v1.ConfigProto(allow_soft_placement=True)
        if gpu_memory_fraction is None:
            config.gpu_options.allow_growth = True
        else:
            config.gpu_options.per_process_gpu_memory_fraction = gpu_memory_fraction
    if log_device_placement:
        config = config or tf.compat.v1.ConfigProto()
        config.log_device_placement = True
    return config


def from_args(args, original=None):
    """The ConfigProto that parsed command-line `args` ask for."""
    return config_proto(
        args.device,
        original=original,
        gpu_memory_fraction=args.gpu_memory_fraction,
        log_device_placement=args.log_device_placement,
    )


def _copy(config):
    copy = tf.compat.v1.ConfigProto()
    copy.CopyFrom(config)
    return copy


def _stderr(line):
    print(line, file=sys.stderr)
