"""The README's speed table, generated from a `python -m bench --json` file.

Source:
    The archive's own: the speed page's table is generated from a run and says on which
    machine and when.

Run:
    python -m bench --json runs/bench.json && python -m bench.readme_table runs/bench.json
    python -m bench.readme_table runs/bench.json --docs   # keep it, rebuild docs/speed.md's tables

With --docs, each JSON is kept as docs/measurements/bench/bench-<machine>.json (one file per CPU
and kernel path, the latest run of each) and docs/speed.md's marked block is rebuilt from every
kept file, as report/measure.py does for the cross-check tables.

Deviations:
    - None: a project tool with no original.
"""

import argparse
import json
import pathlib

from harness import cli, cpu, run_folder

FOLDER = pathlib.Path("docs") / "measurements" / "bench"  # Kept runs: bench-<slug>.json.
DOC = pathlib.Path("docs") / "speed.md"
BEGIN, END = "<!-- bench.readme_table: begin -->", "<!-- bench.readme_table: end -->"


def markdown(records):
    """A sentence on the machine, its kernel paths, the time and the load, then one table row
    per model."""
    first = records[0]
    machine = first["machine"]
    loads = ", ".join(f"{r['background_load']:.2f}" for r in records)
    threads = ", ".join(f"{r['model']} {r['torch_threads']}" for r in records)
    lines = [
        f"Measured {first['measured_at']} on {machine['label']} ({machine['usable_cores']} usable "
        f"cores; flags {', '.join(machine['flags']) or 'no AVX'}; {_paths(machine)}), "
        f"TensorFlow {machine['tensorflow']}, PyTorch {machine['torch']} (CPU threads: {threads}), "
        f"by `{first['command']}`: median of {first['repeats']} "
        f"interleaved blocks after a warm-up; background load {loads} cores over the models "
        f"(load check {first['load_check']}); float32 matmul peak "
        f"{first['matmul_gflops']['best']:.0f} GFLOP/s (torch.mm "
        f"{first['matmul_gflops']['torch_mm']:.0f}, "
        f"TF MatMul {first['matmul_gflops']['tf_matmul']:.0f}).",
        "",
        "| model | TF1 ms / iteration | port ms | port / TF1 | `--fused-adam` ms | fused / TF1 "
        "| `--fast` ms | fast / TF1 | compute floor ms | port / floor | fast / floor "
        "| full default run, TF1 / port / fast (extrapolated) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        lines.append(
            f"| `{r['model']}` | {r['reference_ms']:.3g} | {r['port_ms']:.3g} | {r['ratio']:.2f} | "
            f"{r['port_fused_ms']:.3g} | {r['ratio_fused']:.2f} | "
            f"{r['port_fast_ms']:.3g} | {r['ratio_fast']:.2f} | "
            f"{r['floor_ms']:.2g} | {_over(r['port_over_floor'])} | "
            f"{_over(r['fast_over_floor'])} | "
            f"{_minutes(r['reference_full_run_min'])} / {_minutes(r['port_full_run_min'])} / "
            f"{_minutes(r['port_fast_full_run_min'])} "
            f"({r['full_run_iterations']:,} iterations) |"
        )
    return "\n".join(lines)


def _paths(machine):
    """The kernel paths bench/machine.py recorded: PyTorch's ATen, MKL and oneDNN, TF's oneDNN."""
    paths = machine.get("kernel_paths", {})
    torch_paths, tf_paths = paths.get("torch", {}), paths.get("tensorflow", {})
    mkl = paths.get("mkl", "not reported")
    mkl = mkl.split(" for ")[-1].split(", Lnx")[0] if " for " in mkl else mkl
    tf_onednn = (
        f"TensorFlow's oneDNN {tf_paths['onednn_isa']}"
        if "onednn_isa" in tf_paths
        else "TensorFlow's oneDNN off (Eigen kernels)"
    )
    return (
        f"PyTorch's ATen kernels {machine['torch_cpu_capability']}, MKL GEMMs ({mkl}), "
        f"oneDNN {torch_paths.get('onednn_isa', 'not reported')} "
        f"(convolution {torch_paths.get('onednn_convolution', '?')}); {tf_onednn}"
    )


def _over(value):
    """A ratio to the compute floor; the toys' floors are ~0, so theirs read as "-"."""
    return f"{value:.1f}" if value < 1000 else "-"


def _minutes(value):
    return f"{value * 60:.0f} s" if value < 2 else f"{value:.1f} min"


def slug(records):
    """The kept file's name for a run: its machine label (CPU, ISA, threads, kernel switches)."""
    label = records[0]["machine"].get("label") or records[0]["machine"]["cpu"]
    return "bench-" + cpu.slug(label)


def read(path):
    """The record list of a `python -m bench --json` file, or a UserError naming the problem."""
    try:
        records = json.loads(pathlib.Path(path).read_text())
    except FileNotFoundError:
        raise cli.UserError(
            f"{path} does not exist; write it with python -m bench --json."
        ) from None
    except ValueError as error:
        raise cli.UserError(f"{path} is not valid JSON ({error}).") from None
    if not isinstance(records, list) or not records or "machine" not in records[0]:
        raise cli.UserError(f"{path}: expected the JSON list that python -m bench --json writes.")
    return records


def write_docs(runs, folder=FOLDER, doc=DOC, log=print):
    """Keep each of `runs` (record lists) in `folder`, then rebuild `doc`'s marked block from
    every kept run, one table per machine and kernel path."""
    doc, folder = pathlib.Path(doc), pathlib.Path(folder)
    run_folder.check_block(doc, BEGIN, END)  # First: nothing is kept for a doc it cannot fill.
    folder.mkdir(parents=True, exist_ok=True)
    for records in runs:
        path = folder / f"{slug(records)}.json"
        run_folder.atomic_write(path, lambda p, r=records: p.write_text(json.dumps(r, indent=1)))
    kept = [json.loads(p.read_text()) for p in sorted(folder.glob("bench-*.json"))]
    block = "\n\n".join(markdown(records) for records in kept)
    run_folder.replace_block(doc, BEGIN, END, block)
    log(f"wrote the tables of {len(kept)} kept run(s) into {doc}")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.readme_table",
        description="The speed table of one or more python -m bench --json files.",
    )
    parser.add_argument(
        "json", nargs="+", metavar="BENCH_JSON", help="a python -m bench --json file"
    )
    parser.add_argument(
        "--docs",
        action="store_true",
        help=f"keep each run in {FOLDER}/ and rebuild {DOC}'s tables from every kept run",
    )
    args = parser.parse_args(argv)
    runs = [read(path) for path in args.json]
    texts = [markdown(records) for records in runs]
    print("\n\n".join(texts))
    if args.docs:
        write_docs(runs)
    return texts[0] if len(texts) == 1 else texts


if __name__ == "__main__":
    cli.run(main)
