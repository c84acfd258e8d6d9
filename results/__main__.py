"""`python -m results plan | run | merge`: the results tables from runs any scheduler can spread.

Source: the archive's own (a project tool): results/rows.py holds the rows, results/plan.py the
    commands and the local runner, results/merge.py the tables (results/runs.py reads a run
    folder, results/checks.py refuses runs that do not belong in a row, results/coverage.py
    and results/digits.py sum up a model's figures, results/score.py scores digits,
    results/extras.py a row's extras, results/page.py writes the markdown).

Run:
    python -m results plan                          # one training command per run still to do
    python -m results plan ring_gan-10000 | parallel -j 4     # one row, on a 4-core machine
    python -m results plan --status                 # every run's state
    python -m results run mnist_vanilla_gan-20000-sce        # locally, one job at a time
    python -m results merge runs/results --out /tmp/merged   # results.md, results.json, PNGs
    python -m results merge runs/results --docs     # the marked block of docs/results.md

Deviations: none (a project tool with no original).
"""

import pathlib
import sys

from harness import cli
from results import merge as merging
from results import page
from results import plan as planning
from results import rows as row_table

STATES_HELP = (
    "A run folder is done when it holds checkpoints/finished, stopped when it holds a STOPPED "
    "file (a NaN stop: `run` writes it when a started job exits with status 2), interrupted when "
    "it holds a checkpoint but neither, lost when it started but saved no checkpoint."
)


def add_rows(parser):
    parser.add_argument(
        "rows",
        nargs="*",
        metavar="ROW",
        help="rows to include (default: every row not marked optional); "
        "python -m results plan --status lists them",
    )
    parser.add_argument(
        "--root",
        default=str(planning.DEFAULT_ROOT),
        help="folder holding <row>/<framework>/seed-<S> run folders "
        f"(default: {planning.DEFAULT_ROOT})",
    )
    add_table(parser)


def add_table(parser):
    parser.add_argument(
        "--table",
        default=None,
        metavar="FILE",
        help="a JSON list of rows (the fields of results/rows.py Row) instead "
        "of the archive's own table",
    )


def parser():
    result = cli.ArgumentParser(
        prog="python -m results",
        description="The results tables at the originals' budgets: plan prints one training "
        "command per run, run runs them here, merge turns finished run folders into tables.",
        epilog="Rows, layout and states: the docstrings of results/rows.py and results/plan.py.",
    )
    commands = result.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=cli.ArgumentParser
    )
    plan = commands.add_parser(
        "plan",
        help="print one training command per run still to do",
        description="Print one plain training command per line, each with its own --out "
        "folder <root>/<row>/<framework>/seed-<S>, for GNU parallel, a SLURM array or a shell "
        "loop. Done and stopped runs are skipped (not printed); an interrupted run is printed "
        "as the same command with --resume RUN_DIR in place of --out RUN_DIR; a lost run is "
        "named on stderr. For a paired row, each seed's two runs start from the TF1 reference's "
        "initial weights at that seed: the plan prints the python -m convert initial command "
        "writing them to <root>/<row>/init/seed-<S>.npz before the two runs (while that file is "
        "missing and a run still has to start), and both runs get --init-weights FILE. stderr "
        "ends with the count of each state. " + STATES_HELP,
    )
    add_rows(plan)
    plan.add_argument(
        "--python",
        default="python",
        help="the interpreter the printed commands start (default: python)",
    )
    plan.add_argument(
        "--status",
        action="store_true",
        help="print every run's state and folder instead of commands",
    )
    run = commands.add_parser(
        "run",
        help="run the plan here, one job at a time",
        description="Run the plan's commands on this machine, --jobs at a time (default 1: two "
        "PyTorch processes on 2 cores slow each other down), with a progress line per job; a "
        "paired row's runs wait for their seed's initial weights. Each "
        "job's stderr goes to stderr.txt and its machine to machine.json in its run folder; a "
        "started job that exits with status 2 (a NaN stop) gets a STOPPED file. Ctrl-C lets the "
        "running jobs checkpoint and stop; plan then prints their --resume commands. "
        + STATES_HELP,
    )
    add_rows(run)
    run.add_argument(
        "--jobs", type=cli.positive(int), default=1, metavar="N", help="jobs at a time (default: 1)"
    )
    merge = commands.add_parser(
        "merge",
        help="turn finished run folders into tables and small pictures",
        description="Read the run folders under the given folders, group them into rows, refuse "
        "rows whose runs differ in anything but the seed, name unfinished runs, score the MNIST "
        "runs from their final checkpoints, and write the tables: --out writes results.md, "
        "results.json and results/<row>/*.png there; --docs writes each row's row.json and "
        "pictures to docs/results/<row>/ and rebuilds the marked block of docs/results.md from "
        "every row kept there. " + STATES_HELP,
    )
    merge.add_argument(
        "paths", nargs="+", metavar="ROOT_OR_ROW", help="a results root, row folders or run folders"
    )
    merge.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="folder for results.md, results.json and the pictures",
    )
    merge.add_argument(
        "--docs",
        nargs="?",
        const=str(page.DOC),
        default=None,
        metavar="FILE",
        help=f"rebuild the marked block of FILE (default: {page.DOC})",
    )
    add_table(merge)
    merge.add_argument(
        "--samples",
        type=cli.positive(int),
        default=10000,
        metavar="N",
        help="digits generated and scored per MNIST run (default: 10000)",
    )
    merge.add_argument(
        "--data-dir", default=None, help="MNIST folder (default: $MNIST_DATA_DIR, else data/mnist)"
    )
    return result


def main(argv=None):
    args = parser().parse_args(argv)
    table = row_table.load(args.table)
    if args.command == "merge":
        if args.out is None and args.docs is None:
            raise cli.UserError(
                "merge needs --out DIR or --docs (or both) to say where the tables go."
            )
        if args.samples < 2:
            raise cli.UserError(f"--samples must be at least 2, got {args.samples}.")
        from results import score

        def scorer():
            return score.Scorer(
                args.samples, args.data_dir, log=lambda x: print(x, file=sys.stderr)
            )

        out = pathlib.Path(args.out) if args.out else None
        docs = pathlib.Path(args.docs) if args.docs else None
        _, text = merging.merge(
            args.paths, table, scorer, out, docs, log=lambda x: print(x, file=sys.stderr)
        )
        print(text, end="")
        return 0
    planning.check_root(args.root)
    chosen = row_table.select(table, args.rows)
    if args.command == "plan":
        planning.plan(chosen, args.root, args.python, args.status)
        return 0
    return planning.run(chosen, args.root, args.jobs)


if __name__ == "__main__":
    sys.exit(cli.run(main))
