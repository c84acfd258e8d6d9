"""docs/deviations.md, written from the "Deviations:" list of every model module's docstring.

The module docstrings are the one source of truth for how each reference and port differs from
its original; this page gathers them per model, so a reader sees the TF1 reference's list beside
the port's, and a test fails when the page is stale.

Source: the archive's own module docstrings (tf1_reference/<model>.py, ports/<model>.py and
    the modules beside them: ports/fast/<model>.py, ports/mnist_dcgan_networks.py).

Run:
    python -m report.deviations            # rewrite docs/deviations.md
    python -m report.deviations --check    # exit 1 and say so when the page is stale

Deviations: none (a project tool).
"""

import argparse
import ast
import pathlib
import sys

from harness import registry, run_folder

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "deviations.md"
MODELS = registry.NAMES
SIDES = (("tf1_reference", "TF1 reference"), ("ports", "PyTorch port"))
# Modules beside a reference or port that make some of its differences, listed after it where
# they exist: its networks (ports/mnist_dcgan_networks.py) and its --fast (ports/fast/).
COMPANIONS = (("{model}_networks.py", "its networks"), ("fast/{model}.py", "`--fast`"))


def deviations(path):
    """(the line after "Deviations:", [bullet text, ...]) of a module's docstring."""
    doc = ast.get_docstring(ast.parse(pathlib.Path(path).read_text()))
    if not doc or "\nDeviations:" not in doc:
        raise ValueError(f"{path}: its docstring has no 'Deviations:' section.")
    section = doc.split("\nDeviations:", 1)[1]
    note, _, body = section.partition("\n")
    bullets = []
    for line in body.splitlines():
        if line.startswith("- "):
            bullets.append(line[2:].strip())
        elif line.startswith("  ") and bullets:
            bullets[-1] += " " + line.strip()
        elif line.strip():
            break  # The list ends at the first line that is neither a bullet nor its tail.
    return note.strip(), bullets


def page():
    lines = [
        "# Deviations from the originals",
        "",
        "*Written by `python -m report.deviations` from the module docstrings; edit those.*",
        "",
        "Every difference between a reference or port and its original, with its reason and its",
        "effect on the numbers, as the module that makes it lists it. A port's list is relative",
        "to its TF1 reference (or, for a preset, to the program the preset runs).",
        "",
    ]
    for model in MODELS:
        lines += [f"## `{model}`", ""]
        for package, title in SIDES:
            modules = [(f"{model}.py", title)] + [
                (name.format(model=model), f"{title}, {part}")
                for name, part in COMPANIONS
                if (ROOT / package / name.format(model=model)).is_file()
            ]
            for name, heading in modules:
                note, bullets = deviations(ROOT / package / name)
                lines.append(f"**{heading}** (`{package}/{name}`){' ' + note if note else ''}")
                lines.append("")
                lines += [f"- {bullet}" for bullet in bullets]
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m report.deviations", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--check", action="store_true", help="do not write: exit 1 when docs/deviations.md is stale"
    )
    args = parser.parse_args(argv)
    text = page()
    if args.check:
        if not PAGE.exists() or PAGE.read_text() != text:
            print(
                f"{PAGE.relative_to(ROOT)} is stale: run python -m report.deviations.",
                file=sys.stderr,
            )
            return 1
        return 0
    run_folder.atomic_write(PAGE, lambda p: p.write_text(text))
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
