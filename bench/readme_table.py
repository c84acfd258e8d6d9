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
    """A sentence on the machine, the time and the load, then one table row per model."""
    first = records[0]
    machine = first["machine"]
    loads = ", ".join(f"{r['background_load']:.2f}" for r in records)
    lines = [
        f"Measured {first['measured_at']} on {machine['label']} ({machine['usable_cores']} usable "
        f"cores; flags {', '.join(machine['flags']) or 'no AVX'}; PyTorch kernels "
        f"{machine['torch_cpu_capability']}), TensorFlow {machine['tensorflow']}, "
        f"PyTorch {machine['torch']}, by `{first['command']}`: median of {first['repeats']} "
        f"interleaved blocks after a warm-up; background load {loads} cores over the models "
        f"(load check {first['load_check']}); float32 matmul peak "
        f"{first['matmul_gflops']['best']:.0f} GFLOP/s (torch.mm "
        f"{first['matmul_gflops']['torch_mm']:.0f}, "
        f"TF MatMul {first['matmul_gflops']['tf_matmul']:.0f}).",
        "",
        "| model | TF1 ms / iteration | port ms / iteration | port / TF1 | port --fused-adam ms "
        "| fused / TF1 | compute floor ms | full default run, TF1 / port / fused (extrapolated) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        lines.append(
            f"| `{r['model']}` | {r['reference_ms']:.3g} | {r['port_ms']:.3g} | {r['ratio']:.2f} | "
            f"{r['port_fused_ms']:.3g} | {r['ratio_fused']:.2f} | "
            f"{r['floor_ms']:.2g} | "
            f"{_minutes(r['reference_full_run_min'])} / {_minutes(r['port_full_run_min'])} / "
            f"{_minutes(r['port_fused_full_run_min'])} "
            f"({r['full_run_iterations']:,} iterations) |"
        )
    return "\n".join(lines)


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
