"""Run the step-by-step cross-check of one model, or of a case of your own; exit 1 on failure.

Run:
    python -m crosscheck gaussian_gan                                  # 250 steps, own Adam
    python -m crosscheck gaussian_gan --dtype float64 --adam tf        # the 1e-12 check
    python -m crosscheck gaussian_cgan --steps 10 --json diffs.json    # per-step figures
    python -m crosscheck mnist_dcgan --dtype float64 --adam tf         # 20 MNIST steps
    python -m crosscheck --case my_case.py:CASE --dtype float64 --adam tf   # your own model

How to write a case for your own TF1 model and its port: docs/your-own-model.md. The
comparison report of every model is `python -m report`; sample quality is `python -m results`.
"""

import json
import sys

from harness import cli, registry, run_folder


def parser():
    result = cli.ArgumentParser(
        prog="python -m crosscheck",
        description="Drive a TF1 graph and its PyTorch port with identical weights, batches, "
        "noise and dropout masks; compare losses, gradients and every variable after each step.",
        epilog="A model of your own: --case FILE.py:NAME (docs/your-own-model.md). Also: "
        "`python -m report [MODEL ...]` writes the report of every model; sample quality at "
        "the originals' budgets: `python -m results --help`.",
    )
    result.add_argument(
        "model", nargs="?", choices=registry.NAMES, help="which of the archive's models to check"
    )
    result.add_argument(
        "--case",
        metavar="FILE.py:NAME",
        help="check a case of your own instead: a file (or package.module) and the name of "
        "its crosscheck.case.Case",
    )
    result.add_argument(
        "--steps",
        type=int,
        default=None,
        help="training steps (one D and one G step each; default: the case's default_steps, "
        "250 unless it says)",
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
        help="PyTorch side's Adam: torch.optim.Adam (default) "
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
    if (args.model is None) == (args.case is None):
        raise cli.UserError(
            "name one of the archive's models or give --case FILE.py:NAME, not both."
        )
    if args.steps is not None and args.steps < 1:
        raise cli.UserError(f"--steps must be a positive count, got {args.steps}.")
    import tf1_reference

    tf1_reference.setup()  # TF1 behaviour before the case (and its graph function) imports TF.
    from crosscheck import engine, loading

    case = registry.case(args.model) if args.model else loading.load(args.case)
    name = args.model or case.name
    steps = args.steps or case.default_steps
    bar = _progress(steps)
    result = engine.run(case, steps, dtype=args.dtype, adam=args.adam, seed=args.seed, progress=bar)
    print(engine.format_table(name, result))
    shown = [i for i in range(result.steps) if i < 10 or (i + 1) % 50 == 0]
    print("per step, max |TF - PyTorch| over all variables:")
    print("  " + ", ".join(f"{i + 1}: {result.per_step[i]['variables']:.1e}" for i in shown))
    if args.json:
        document = {
            "model": name,
            "steps": result.steps,
            "dtype": result.dtype,
            "adam": result.adam,
            "before_update": result.before_update,
            "per_step": result.per_step,
            "per_variable": result.per_variable,
            "rows": result.rows,
            "passed": result.passed,
        }
        run_folder.atomic_write(args.json, lambda p: p.write_text(json.dumps(document, indent=1)))
    return 0 if result.passed else 1


def _progress(steps):
    """A tqdm bar on a terminal for checks of many steps; nothing in a log."""
    if steps < 20 or not sys.stderr.isatty():
        return None
    import tqdm

    bar = tqdm.tqdm(total=steps, unit="step", leave=False)

    def update(done, total):
        bar.update(done - bar.n)
        if done == total:
            bar.close()

    return update


if __name__ == "__main__":
    sys.exit(cli.run(main))
