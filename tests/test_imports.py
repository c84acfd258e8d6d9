"""The project's imports form layers, lowest first, and no cycle: read from the source, not run.

Every module of every package (a folder with an `__init__.py`; tests/ and the example scripts
that tf1run runs are not packages) is parsed with `ast`, and each `import` and `from ... import`
it holds, at module level or inside a function, is an edge to the project module it names
(`from package import name` names the module `package.name` where there is one). Importing a
module also runs its packages' `__init__.py`, so an edge to `a.b.c` is one to `a` and `a.b` too.
A dynamic `importlib.import_module(name)` is not read (harness/registry/ finds the models'
modules by name, so that importing it imports neither framework).

The layers, each importing only from the ones below it (two packages of one layer never import
each other):
1. harness: what every run and tool shares (command line, run folder, hooks, checkpoints'
   format, the registry, the CPU), and no model or framework code of the archive;
2. inputs, figures: the data the originals read and the pictures they draw, as plain arrays;
3. models: each model's framework-free part, its HParams (and the ring GAN's display);
4. tf1_reference, ports: the two frameworks' programs, each blind to the other;
5. tf1run, quality: tools built on one framework (any TF1 script on TF 2.21; the MNIST
   classifier that scores samples);
6. crosscheck: the two frameworks side by side, step by step;
7. convert, report, results, bench: the tools that use the cross-check, a run or both sides;
8. lessons: the pages that draw on all of the above (lesson 9 converts a checkpoint).
"""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
LAYERS = (
    ("harness",),
    ("inputs", "figures"),
    ("models",),
    ("tf1_reference", "ports"),
    ("tf1run", "quality"),
    ("crosscheck",),
    ("convert", "report", "results", "bench"),
    ("lessons",),
)
LAYER = {package: level for level, packages in enumerate(LAYERS) for package in packages}
# Cycles known and left to their owner: convert/listing.py reads checkpoints through
# convert/tf_side.py, whose read_tf imports listing inside the function to classify variables.
KNOWN_CYCLES = [["convert.listing", "convert.tf_side"]]


def project_modules(root=ROOT):
    """{dotted module name: path} of every module in a package of the project."""
    found = {}
    for init in sorted(root.glob("*/__init__.py")):
        for path in sorted(init.parent.rglob("*.py")):
            folders = path.relative_to(root).parents
            if all((root / folder / "__init__.py").is_file() for folder in list(folders)[:-1]):
                parts = path.relative_to(root).with_suffix("").parts
                found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(name, path, modules):
    """The project modules that module `name` (at `path`) imports, with their packages."""
    is_package = path.name == "__init__.py"
    targets = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # A relative import: from the module's own package upwards.
                base = name.split(".")[: len(name.split(".")) - node.level + is_package]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            targets.add(module)
            targets.update(f"{module}.{alias.name}" for alias in node.names)
    edges = set()
    for target in targets:
        parts = target.split(".")
        edges.update(
            ".".join(parts[:i]) for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in modules
        )
    edges.discard(name)
    return edges


def import_graph(root=ROOT):
    modules = project_modules(root)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph):
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def upward(graph):
    """'a.b -> c.d' for every import from a package to one of its own layer or above."""
    wrong = []
    for name, targets in sorted(graph.items()):
        package = name.split(".")[0]
        for target in sorted(targets):
            other = target.split(".")[0]
            if other != package and LAYER[other] >= LAYER[package]:
                wrong.append(f"{name} -> {target}")
    return wrong


def test_every_package_has_a_layer():
    packages = {name.split(".")[0] for name in project_modules()}
    assert packages == set(LAYER), (
        f"packages without a layer: {sorted(packages - set(LAYER))}; "
        f"layers without a package: {sorted(set(LAYER) - packages)}"
    )


def test_no_import_cycle():
    assert [c for c in cycles(import_graph()) if c not in KNOWN_CYCLES] == []


def test_no_import_from_a_lower_layer_to_a_higher_one():
    assert upward(import_graph()) == []


def test_the_checks_see_a_cycle_and_an_upward_import(tmp_path):
    """The checks themselves: a planted cycle and a planted upward import are found."""
    for package, files in {
        "harness": {"a.py": "from harness import b\n", "b.py": "import harness.a\n"},
        "ports": {"c.py": "def f():\n    from ports import fast\n"},
        "ports/fast": {"__init__.py": "", "d.py": "from . import e\n", "e.py": ""},
        "figures": {"g.py": "from ports.fast import d\n"},
    }.items():
        (tmp_path / package).mkdir(parents=True, exist_ok=True)
        (tmp_path / package / "__init__.py").touch()
        for name, text in files.items():
            (tmp_path / package / name).write_text(text)
    graph = import_graph(tmp_path)
    assert graph["ports.c"] == {"ports", "ports.fast"}
    assert graph["ports.fast.d"] == {"ports", "ports.fast", "ports.fast.e"}
    assert cycles(graph) == [["harness.a", "harness.b"]]
    assert upward(graph) == [
        "figures.g -> ports",
        "figures.g -> ports.fast",
        "figures.g -> ports.fast.d",
    ]
