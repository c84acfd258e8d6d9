"""Run the step-by-step cross-check of one model and print its table; exit 1 on failure.

The comparison report of every model is `python -m report` (report/comparison.py); sample
quality at the originals' budgets is `python -m results` (results/).

Run:
    python -m crosscheck gaussian_gan                                  # 250 steps, own Adam
    python -m crosscheck gaussian_gan --dtype float64 --adam tf        # the 1e-12 check
    python -m crosscheck gaussian_cgan --steps 10 --json diffs.json    # per-step figures
    python -m crosscheck mnist_dcgan --dtype float64 --adam tf         # 20 MNIST steps
"""

import importlib
import json
import sys

from harness import cli, registry, run_folder


def parser():
    result = cli.ArgumentParser(
        prog="python -m crosscheck",
        description="Drive a TF1 reference and its PyTorch port with identical weights, "
        "batches and noise; compare losses, gradients and every variable after each step.",
        epilog="Also: `python -m report [MODEL ...]` writes the report of every model "
        "(see `python -m report --help`); sample quality at the originals' budgets: "
        "`python -m results --help`.",
    )
    result.add_argument("model", choices=registry.NAMES, help="which model to check")
    result.add_argument(
        "--steps",
        type=int,
        default=None,
        help="training steps (one D and one G step each; default: the case's DEFAULT_STEPS, "
        "else 250)",
    )
    result.add_argument(
        "--dtype",
        choices=("float32", "float64"),
        default="float32",
        help="precision of both sides (default float32)",
    )
    result.add_argument(
        "--adam",
        choices=("torch", "tf"),
        default="torch",
        help="PyTorch side's Adam: the port's own torch.optim.Adam (default) "
        "or one that copies TF1's arithmetic exactly",
    )
    result.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the one NumPy generator behind every number (default 0)",
    )
    result.add_argument("--json", metavar="FILE", help="also write per-step differences here")
    return result


def main(argv=None):
    args = parser().parse_args(argv)
    if args.steps is not None and args.steps < 1:
        raise cli.UserError(f"--steps must be a positive count, got {args.steps}.")
    from crosscheck import engine  # Imports TensorFlow and PyTorch: after the flags are read.

    module = importlib.import_module(f"crosscheck.{args.model}")
    steps = args.steps or getattr(module, "DEFAULT_STEPS", 250)
    result = engine.run(module.CASE, steps, dtype=args.dtype, adam=args.adam, seed=args.seed)
    print(engine.format_table(args.model, result))
    shown = [i for i in range(result.steps) if i < 10 or (i + 1) % 50 == 0]
    print("per step, max |TF - PyTorch| over all variables:")
    print("  " + ", ".join(f"{i + 1}: {result.per_step[i]['variables']:.1e}" for i in shown))
    if args.json:
        run_folder.atomic_write(
            args.json,
            lambda p: p.write_text(
                json.dumps(
                    {
                        "model": args.model,
                        "steps": result.steps,
                        "dtype": result.dtype,
                        "adam": result.adam,
                        "before_update": result.before_update,
                        "per_step": result.per_step,
                        "per_variable": result.per_variable,
                        "rows": result.rows,
                        "passed": result.passed,
                    },
                    indent=1,
                )
            ),
        )
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(cli.run(main))
