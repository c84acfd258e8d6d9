"""Speed of every model: ms per training iteration, TF1 reference against PyTorch port, one run.

Source:
    The archive's own. For each model, after a warm-up, it times the TF1 reference's training
    loop (one D step + one G step per iteration) as a user runs it, data included, the port's
    loop likewise, the port with its --fused-adam optimizer and the port with --fast, each in a
    process of its own, taking turns in blocks so that a change of load hits all
    (bench/models.py). It prints the median of the blocks, the ratios to the reference and the
    compute floor: FLOPs per iteration (bench/flops.py) over the best float32 matmul throughput
    measured in the same run (bench/machine.py). The JSON names the machine: CPU model and
    flags, thread counts, library versions, and the BLAS and oneDNN paths that ran, from their
    own verbose logs.

Run:
    python -m bench                                  # all six models (~1 min plus start-up)
    python -m bench mnist_mlp_gan --json runs/bench.json
    python -m bench gaussian_gan --iterations 20 --repeats 5 --ignore-load   # a smoke run
    make bench                                       # all six, JSON in runs/bench.json

Deviations:
    - None: a project tool with no original.

Before timing it measures the machine's background load for a second and refuses (exit 2)
above --max-load cores; it measures the load again over each model's timing and refuses to
report a model timed under load. --ignore-load times anyway and records the loads and the
bypass in the JSON. The JSON is a list with one object per model, each carrying at least
model, reference_ms, port_ms, ratio, floor_ms and background_load, and the machine's description.
"""

import datetime
import json
import pathlib
import statistics
import sys

import torch

from bench import flops, machine, models
from harness import cli, registry, run_folder
import tf1_reference  # noqa: F401  (TF's log level, set before TF loads; the sides inherit it)

BLOCK_SECONDS = (
    0.25  # Each timed block runs about this long; its call count is set from the warm-up.
)
REPEATS = (
    5  # Blocks per figure; the median is reported (at least 5, so one slow block cannot move it).
)
MAX_LOAD = 0.25  # Cores of background CPU use above which figures are refused.
LOAD_PROBE_SECONDS = 1.0  # How long the machine is watched, idle, before any timing.
MATMUL_SIZE = 2048  # Side of the square float32 matmul that measures peak throughput.


def bench_model(model, args, gflops, default_threads):
    """Time one model; return its JSON record.

    The port runs with the CPU threads its own command picks (its registry row's `threads`,
    else PyTorch's default) unless --torch-threads sets them for every model.
    """
    threads = args.torch_threads or registry.check(model).threads or default_threads
    meter = machine.LoadMeter().start()
    blocks, steps = models.time_model(
        model,
        args.seed,
        args.data_dir,
        args.repeats,
        args.warmup,
        args.iterations,
        args.block_seconds,
        torch_threads=threads,
        tf_threads=args.tf_threads,
    )
    record = {"model": model, "background_load": meter.cores()}
    for name, values in blocks.items():
        record[f"{name}_ms"] = statistics.median(values)
    record["ratio"] = record["port_ms"] / record["reference_ms"]
    record["ratio_fused"] = record["port_fused_ms"] / record["reference_ms"]
    record["ratio_fast"] = record["port_fast_ms"] / record["reference_ms"]
    record["flops"] = flops.iteration_flops(model)
    record["floor_ms"] = flops.floor_ms(model, gflops)
    record["port_over_floor"] = record["port_ms"] / record["floor_ms"]
    record["fast_over_floor"] = record["port_fast_ms"] / record["floor_ms"]
    record["reference_over_floor"] = record["reference_ms"] / record["floor_ms"]
    # The training loop alone, extrapolated; start-up excluded.
    record["full_run_iterations"] = models.full_run_steps(model)
    for side in ("reference", "port", "port_fused", "port_fast"):
        record[f"{side}_full_run_min"] = record[f"{side}_ms"] * record["full_run_iterations"] / 6e4
    record["torch_threads"] = threads
    record["blocks_ms"] = blocks
    record.update(steps_per_block=steps, repeats=args.repeats, warmup=args.warmup or 3)
    return record


def refuse_if_loaded(load, args, when):
    """Raise UserError when `load` (cores) exceeds --max-load, unless --ignore-load."""
    if load > args.max_load and not args.ignore_load:
        raise cli.UserError(
            f"background load {load:.2f} cores {when} exceeds --max-load {args.max_load}: "
            "other processes would skew the figures (PyTorch's most), so none are reported; "
            "rerun on an idle machine, or pass --ignore-load to record them with the load."
        )


def format_table(records):
    """The printed table, one line per model."""
    lines = [
        f"{'model':<18} {'TF1 ms':>8} {'port ms':>8} {'ratio':>6} {'fused ms':>8} {'ratio':>6} "
        f"{'fast ms':>8} {'ratio':>6} {'floor ms':>9} {'load':>5}"
    ]
    for r in records:
        lines.append(
            f"{r['model']:<18} {r['reference_ms']:8.3f} {r['port_ms']:8.3f} {r['ratio']:6.2f} "
            f"{r['port_fused_ms']:8.3f} {r['ratio_fused']:6.2f} {r['port_fast_ms']:8.3f} "
            f"{r['ratio_fast']:6.2f} {r['floor_ms']:9.3f} "
            f"{r['background_load']:5.2f}"
        )
    return "\n".join(lines)


def parser():
    result = cli.ArgumentParser(
        prog="python -m bench",
        description=__doc__.split("\n")[0],
        epilog="What is timed and how: the module docstring of bench/run.py.",
    )
    result.add_argument(
        "models",
        nargs="*",
        metavar="MODEL",
        help=f"models to time (default: all six: {', '.join(registry.NAMES)})",
    )
    result.add_argument(
        "--json",
        metavar="FILE",
        help="write the results here, a JSON list with one object per model",
    )
    result.add_argument(
        "--iterations",
        type=cli.positive(int),
        default=None,
        metavar="N",
        help="steps per timed block (default: as many as fill --block-seconds)",
    )
    result.add_argument(
        "--block-seconds",
        type=float,
        default=BLOCK_SECONDS,
        metavar="S",
        help=f"length of one timed block, in seconds (default {BLOCK_SECONDS})",
    )
    result.add_argument(
        "--repeats",
        type=cli.positive(int),
        default=REPEATS,
        metavar="N",
        help=f"timed blocks per figure, the median is reported (default {REPEATS})",
    )
    result.add_argument(
        "--warmup",
        type=int,
        default=None,
        metavar="N",
        help="untimed steps before the blocks (default 3)",
    )
    result.add_argument(
        "--torch-threads",
        type=cli.positive(int),
        default=None,
        metavar="N",
        help="torch.set_num_threads(N) for every port (default: each port's own choice, "
        "its registry row's threads)",
    )
    result.add_argument(
        "--tf-threads",
        type=cli.positive(int),
        default=None,
        metavar="N",
        help="intra- and inter-op threads of the reference's session (default: the original's "
        "ConfigProto)",
    )
    result.add_argument(
        "--max-load",
        type=float,
        default=MAX_LOAD,
        metavar="CORES",
        help=f"refuse to report above this background load, in cores (default {MAX_LOAD})",
    )
    result.add_argument(
        "--ignore-load",
        action="store_true",
        help="time and report under any load; the JSON records the bypass and the loads",
    )
    result.add_argument(
        "--matmul-size",
        type=cli.positive(int),
        default=MATMUL_SIZE,
        metavar="N",
        help=f"side of the float32 matmul that measures peak GFLOP/s (default {MATMUL_SIZE})",
    )
    result.add_argument(
        "--seed", type=int, default=0, help="seed of the weights and data (default 0)"
    )
    result.add_argument(
        "--data-dir", default=None, help="MNIST folder (default: $MNIST_DATA_DIR, else data/mnist)"
    )
    return result


def main(argv=None):
    args = parser().parse_args(argv)
    if args.warmup is not None and args.warmup < 0:
        raise cli.UserError(f"--warmup must be 0 or more, got {args.warmup}.")
    if not 0 < args.block_seconds <= 60:
        raise cli.UserError(f"--block-seconds must lie in (0, 60], got {args.block_seconds}.")
    for model in args.models:
        registry.check(model)
    chosen = args.models or list(registry.NAMES)
    default_threads = torch.get_num_threads()
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = machine.background_load(LOAD_PROBE_SECONDS)
    refuse_if_loaded(load_before, args, "before timing")
    description = machine.describe()
    matmul = machine.matmul_throughput(args.matmul_size)
    print(
        f"{description['cpu']}, {description['usable_cores']} cores, torch "
        f"{description['torch']} ({description['torch_threads']} threads), TF "
        f"{description['tensorflow']}; background load {load_before:.2f} cores; float32 matmul "
        f"{matmul['torch_mm']:.0f} GFLOP/s (torch.mm), {matmul['tf_matmul']:.0f} (TF MatMul)",
        file=sys.stderr,
    )
    records = []
    for model in chosen:
        print(f"timing {model} ...", file=sys.stderr)
        record = bench_model(model, args, matmul["best"], default_threads)
        refuse_if_loaded(record["background_load"], args, f"while timing {model}")
        record.update(
            measured_at=started.isoformat(timespec="seconds"),
            background_load_before=load_before,
            load_check="bypassed (--ignore-load)"
            if args.ignore_load
            else f"passed (max {args.max_load} cores)",
            max_load=args.max_load,
            matmul_gflops=matmul,
            tf_threads=args.tf_threads or "original ConfigProto",
            machine=description,
            command=" ".join(["python -m bench"] + (argv if argv is not None else sys.argv[1:])),
        )
        records.append(record)
    print(
        f"ms per iteration (one D step + one G step), median of {args.repeats} blocks; "
        f"floor at {matmul['best']:.0f} GFLOP/s; load in cores"
    )
    print(format_table(records))
    if args.json:
        text = json.dumps(records, indent=1)
        path = pathlib.Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        run_folder.atomic_write(path, lambda temporary: temporary.write_text(text + "\n"))
    return records


if __name__ == "__main__":
    cli.run(main)
