"""Every model module, command and lesson opens with the header the style guide asks for."""

import ast
import dataclasses
import importlib
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODULES = sorted(
    str(path.relative_to(ROOT))
    for folder in ("tf1_reference", "ports", "ports/fast", "bench")
    for path in (ROOT / folder).glob("*.py")
    if path.stem not in {"__init__", "backend", "session", "layouts", "__main__"}
) + ["report/demo.py", "convert/checkpoint.py", "tf1run/__init__.py", "tf1run/contrib.py"]


@pytest.mark.parametrize("path", MODULES)
def test_header_has_source_run_and_deviations(path):
    doc = ast.get_docstring(ast.parse((ROOT / path).read_text()))
    assert doc, f"{path} has no docstring"
    first = doc.splitlines()[0]
    assert first.endswith(".") and len(first) <= 100
    for header in ("Source:", "Run:", "Deviations:"):
        assert f"\n{header}" in f"\n{doc}", f"{path}: no {header!r} section"


def test_every_hparams_field_has_a_source_comment():
    """Each model's HParams, in models/<model>.py, comments every field: the flag's help."""
    from harness import command

    for path in (ROOT / "models").glob("*.py"):
        module = importlib.import_module(f"models.{path.stem}")
        hparams = getattr(module, "HParams", None)
        if hparams is None or hparams.__module__ != module.__name__:
            continue
        comments = command.field_comments(hparams)
        missing = [f.name for f in dataclasses.fields(hparams) if f.name not in comments]
        assert not missing, f"{path.name}: HParams fields without a source comment: {missing}"


def test_deviations_page_is_fresh():
    """docs/deviations.md is written from the module docstrings; it must match them."""
    from report import deviations

    assert deviations.PAGE.read_text() == deviations.page(), (
        "docs/deviations.md is stale: run python -m report.deviations"
    )
    for model in deviations.MODELS:
        for package, _ in deviations.SIDES:
            _, bullets = deviations.deviations(ROOT / package / f"{model}.py")
            assert bullets, f"{package}/{model}.py lists no deviation"


def test_every_link_in_the_markdown_stays_inside_the_repository():
    """A relative link in a page must name a file of the repository (../shared is not cloned)."""
    import re
    import subprocess

    pages = subprocess.run(
        ["git", "ls-files", "*.md"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)", (ROOT / page).read_text()):
            if re.match(r"[a-z]+:", target):
                continue  # A web address.
            path = (ROOT / page).parent / target
            if not path.resolve().is_relative_to(ROOT) or not path.exists():
                broken.append(f"{page}: {target}")
    assert not broken, broken
