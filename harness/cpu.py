"""Which CPU a run is on, which kernels TensorFlow and PyTorch take there, how to take another's.

The archive's figures move with the CPU: TensorFlow turns on oneDNN's graph rewrites and kernels
by default only where the CPU has AVX-512 VNNI or BF16, AVX-VNNI or AMX (on an AVX2-only CPU it
runs Eigen's kernels), and PyTorch picks its elementwise kernels (ATen), MKL's GEMMs and oneDNN's
convolutions by the instructions it finds. Each choice rounds differently, and GAN training turns
rounding into other trajectories, so every published figure names the CPU it came from.

Some of these choices have switches, so one machine can run another kind's paths (`PATHS`):
- `TF_ENABLE_ONEDNN_OPTS=0|1`: TensorFlow's oneDNN rewrites and kernels off or on, on any CPU.
- `ATEN_CPU_CAPABILITY=avx2`: PyTorch's own vectorised kernels at AVX2 width on an AVX-512 CPU.
- `MKL_ENABLE_INSTRUCTIONS=AVX2`: MKL's GEMMs limited to AVX2.
- `ONEDNN_MAX_CPU_ISA=AVX2`: oneDNN's kernels (PyTorch's convolutions, TensorFlow's when on)
  limited to AVX2.
What no switch can do: give an AVX2 CPU AVX-512 or AMX kernels, or change the instructions the
TensorFlow wheel's Eigen code was compiled for. So an AVX-512 machine can run both kinds' paths,
and an AVX2 machine only both TensorFlow graph paths (oneDNN's fusions on and off).
"""

import hashlib
import os
import platform
import re
import sys

# The environment that makes this CPU take another kind's kernels (see the module docstring).
PATHS = {
    "native": {},  # What TensorFlow and PyTorch choose on this CPU.
    # An AVX2-only CPU (the AMD EPYC of the archive's first figures): oneDNN off in TF,
    # AVX2 kernels in PyTorch's ATen, MKL and oneDNN.
    "avx2": {
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "ATEN_CPU_CAPABILITY": "avx2",
        "MKL_ENABLE_INSTRUCTIONS": "AVX2",
        "ONEDNN_MAX_CPU_ISA": "AVX2",
    },
    # TensorFlow's oneDNN graph rewrites and kernels on, as on an AVX-512 VNNI/BF16 or AMX CPU.
    "onednn": {"TF_ENABLE_ONEDNN_OPTS": "1"},
}
SWITCHES = sorted({name for env in PATHS.values() for name in env})
# CPU flags that decide the kernels (/proc/cpuinfo names), in the order a reader wants them.
FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile")
# TensorFlow turns oneDNN on by default where the CPU has one of these.
ONEDNN_DEFAULT_FLAGS = ("avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile")


def _cpuinfo():
    try:
        with open("/proc/cpuinfo") as info:
            return info.read()
    except OSError:
        return ""


def model():
    """The CPU's model name from /proc/cpuinfo, with its family and model numbers (a virtual
    machine may name only the vendor: "AMD EPYC (family 26, model 2)"), else the platform's."""
    fields = {}
    for line in _cpuinfo().splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    if "model name" not in fields:
        return platform.processor() or "unknown"
    numbers = [f"{k} {fields[k]}" for k in ("cpu family", "model") if k in fields]
    return fields["model name"] + (
        f" ({', '.join(numbers).replace('cpu ', '')})" if numbers else ""
    )


def flags():
    """Which of `FLAGS` this CPU has."""
    for line in _cpuinfo().splitlines():
        if line.startswith("flags"):
            present = set(line.split(":", 1)[1].split())
            return [flag for flag in FLAGS if flag in present]
    return []


def isa(cpu_flags=None):
    """ "AMX", "AVX-512" or "AVX2" (or "older than AVX2"): the widest kernels this CPU runs."""
    cpu_flags = flags() if cpu_flags is None else cpu_flags
    if "amx_tile" in cpu_flags:
        return "AVX-512 + AMX"
    if "avx512f" in cpu_flags:
        return "AVX-512"
    return "AVX2" if "avx2" in cpu_flags else "older than AVX2"


def tf_onednn():
    """Whether TensorFlow's oneDNN rewrites are on in this process: TF_ENABLE_ONEDNN_OPTS when
    set, else TensorFlow's default for this CPU."""
    if "tensorflow" in sys.modules:  # Then ask TensorFlow itself.
        from tensorflow.python.util import _pywrap_util_port

        return bool(_pywrap_util_port.IsMklEnabled())
    setting = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
    if setting is not None:
        return setting.strip().lower() in ("1", "true")
    return any(flag in flags() for flag in ONEDNN_DEFAULT_FLAGS)


def switches():
    """The kernel switches set in this process's environment, as NAME=value strings."""
    return [f"{name}={os.environ[name]}" for name in SWITCHES if name in os.environ]


def label(threads=None):
    """One line naming the machine a figure came from: CPU, ISA, threads, TF and PyTorch paths."""
    threads = threads or os.cpu_count()
    parts = [
        model(),
        isa(),
        f"{threads} threads",
        f"TensorFlow oneDNN {'on' if tf_onednn() else 'off'}",
    ]
    set_here = switches()
    if set_here:
        parts.append("with " + " ".join(set_here))
    return ", ".join(parts)


def describe():
    """The machine as a dict, for JSON records (bench, results)."""
    return {
        "cpu": model(),
        "isa": isa(),
        "flags": flags(),
        "cpu_count": os.cpu_count(),
        "tf_onednn": tf_onednn(),
        "switches": switches(),
    }


def main(argv=None):
    """`python -m harness.cpu [--path NAME -- COMMAND ...]`: name this machine, or run COMMAND
    with the environment of another CPU kind's kernel paths."""
    import argparse
    import subprocess

    parser = argparse.ArgumentParser(
        prog="python -m harness.cpu",
        description="Name this CPU and the kernel paths TensorFlow and PyTorch take on it; with "
        "--path, run a command under another CPU kind's paths.",
        epilog="Paths: "
        + "; ".join(
            f"{name}: {' '.join(f'{k}={v}' for k, v in env.items()) or 'as this CPU chooses'}"
            for name, env in PATHS.items()
        ),
    )
    parser.add_argument(
        "--path",
        choices=sorted(PATHS),
        default=None,
        help="the kernel paths to run COMMAND under (default: only name the CPU)",
    )
    parser.add_argument(
        "command",
        nargs=argparse.REMAINDER,
        help="after --: the command to run, e.g. -- python -m pytest -q",
    )
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if args.path is None:
        if command:
            parser.error("a command needs --path to say which paths to run it under")
        print(label())
        return 0
    if not command:
        parser.error(f"--path {args.path}: give the command to run after --")
    os.environ.update(PATHS[args.path])
    print(f"{args.path} paths: {label()}", file=sys.stderr, flush=True)
    return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main())


def slug(label, limit=80):
    """A file name for a machine's label: lower-case words joined by '-', at most `limit`
    characters; a longer one is cut and ends in 8 hex digits of the whole label's hash, so two
    labels that differ only past the cut (an AMX Xeon's, with and without a switch) stay apart."""
    text = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    if len(text) <= limit:
        return text
    return text[: limit - 9].rstrip("-") + "-" + hashlib.sha1(label.encode()).hexdigest()[:8]
