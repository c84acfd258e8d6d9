"""The README's speed table, generated from a `python -m bench --json` file.

Source:
    The archive's own: the speed page's table is generated from a run and says on which
    machine and when.

Run:
    python -m bench --json runs/bench.json && python -m bench.readme_table runs/bench.json

Deviations:
    - None: a project tool with no original.
"""

import json
import sys

from harness import cli


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


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        print("usage: python -m bench.readme_table BENCH_JSON\n\n" + __doc__.split("\n")[0])
        return None if argv and argv[0] in ("-h", "--help") else sys.exit(2)
    with open(argv[0]) as file:
        records = json.load(file)
    if not isinstance(records, list) or not records:
        raise cli.UserError(
            f"{argv[0]}: expected the JSON list that python -m bench --json writes."
        )
    text = markdown(records)
    print(text)
    return text


if __name__ == "__main__":
    cli.run(main)
