"""The archive's main job, on its embedded default: every model checked and trained both ways.

`make demo` runs the comparison report (report/comparison.py) on the demo budget: each model's
step-by-step cross-check in three settings (20-250 steps) and a short run of the TF1 reference
and of the PyTorch port with the same seed, for every model that needs no download and for
the MNIST models when the MNIST files are present (else they are reported as skipped). It
writes one folder with report.md and its pictures, and ends by printing the summary table and
where the report is.

Source: the archive's own; the models are those of harness/registry/.

Run:
    make demo                                   # or: python -m report.demo  (minutes)
    python -m report.demo gaussian_gan ring_gan --seed 3
    python -m report.demo --out runs/my-report

Deviations: none (a project tool; each model's own deviations are in its module docstring).
"""

import sys

from harness import cli, registry
from report import comparison


def parser():
    result = cli.ArgumentParser(
        prog="python -m report.demo",
        description="Cross-check every model, train each in both frameworks briefly, and write "
        "one report folder (report.md and pictures); print its summary.",
    )
    result.add_argument(
        "models",
        nargs="*",
        default=[],
        metavar="MODEL",
        help=f"models to run (default: all of {', '.join(registry.NAMES)}; the MNIST "
        "ones are skipped, with the reason, when MNIST is missing)",
    )
    result.add_argument("--seed", type=int, default=0, help="seed of every run (default 0)")
    result.add_argument(
        "--out", default=None, help="report folder (default: runs/report/<UTC time>)"
    )
    return result


def main(argv=None):
    args = parser().parse_args(argv)
    argv = [*args.models, "--budget", "demo", "--seed", str(args.seed)]
    return comparison.main(argv + (["--out", args.out] if args.out else []))


if __name__ == "__main__":
    sys.exit(cli.run(main))
