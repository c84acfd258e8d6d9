"""The rows of the results tables: which runs make each one, as data.

A row is one (model, flags) setting trained in both frameworks over a few seeds; each of its
runs is one ordinary training command writing `<root>/<row>/<framework>/seed-<S>`. A paired
row starts both frameworks at each seed from the same initial weights, the TF1 reference's own
draws at that seed (`python -m convert initial`, kept in `<root>/<row>/init/seed-<S>.npz` and
loaded by the port through its cross-check name map), so that what separates the two runs of a
seed is only arithmetic and random streams; its merge sets that paired difference beside the
spread across seeds. `convert initial` builds the reference with its default hyper-parameters,
so a paired row's args must leave the variables as they are (a run length or a loss form, not
a layer width). `ROWS` is the archive's own table (the originals' budgets); `load(path)` reads
another one from a JSON list of objects with the same fields, for a smaller study or a test.
The table is a study of the models, in docs/results.md's order, not a property of any one: a
model needs no row (its runs merge into a row named after it), and what the merge must know of
a model (its figures, its run length) is in its registry row.
"""

import dataclasses
import json
import pathlib

from harness import cli, cpu, registry

FRAMEWORKS = ("tf1", "pytorch")  # Run folders' <framework> part, as hparams.json names it.
LABELS = {"tf1": "TF1 reference", "pytorch": "PyTorch port"}  # How the tables name them.
# What a row's merge adds besides its model's figures (see results/extras.py).
EXTRAS = ("coverage-curve", "lyeoni-losses", "cost-lines")


@dataclasses.dataclass(frozen=True)
class Row:
    name: str  # The row's folder under the root and its name in the tables.
    model: str  # A name from harness/registry/.
    seeds: tuple  # One run per seed and framework.
    args: tuple = ()  # The training command's arguments besides --seed and --out.
    cpu_path: str = "native"  # harness/cpu.py PATHS: the kernel paths the commands run under.
    pictures: tuple = ()  # Run-folder file patterns copied, small, beside the table.
    extras: tuple = ()  # Names from EXTRAS.
    optional: bool = False  # Left out of `plan` and `run` unless named.
    paired: bool = False  # Both frameworks start each seed from the reference's initial weights.
    frameworks: tuple = FRAMEWORKS  # Whose runs the row holds (a port-only flag: the port's).
    note: str = ""  # One line for the table's heading: what the row is for.


ROWS = (
    Row(
        "ring_gan-10000",
        "ring_gan",
        (6789, 1, 2, 3, 4, 5, 6, 7),
        ("--num-epochs", "10000"),
        note="how often each framework covers all 8 modes after 10,000 epochs",
    ),
    Row(
        "ring_gan-10000-avx2",
        "ring_gan",
        (6789, 1, 2, 3, 4, 5, 6, 7),
        ("--num-epochs", "10000"),
        cpu_path="avx2",
        note="the same under an AVX2-only CPU's kernel paths",
    ),
    Row(
        "ring_gan-10000-paired",
        "ring_gan",
        (6789, 1, 2, 3),
        ("--num-epochs", "10000"),
        paired=True,
        note="each seed's two runs from the same initial weights: framework against seed",
    ),
    Row(
        "ring_gan-100000",
        "ring_gan",
        (6789,),
        pictures=("_25000.png", "_55000.png"),
        extras=("coverage-curve",),
        note="See_GANs' own run: 100,000 epochs, seed 6789",
    ),
    Row(
        "mnist_vanilla_gan-20000-log",
        "mnist_vanilla_gan",
        (0, 1, 2),
        ("--iterations", "20000", "--loss", "log"),
        note="the blog's raw-log loss",
    ),
    Row(
        "mnist_vanilla_gan-20000-sce",
        "mnist_vanilla_gan",
        (0, 1, 2),
        ("--iterations", "20000", "--loss", "sce"),
        note="the repository's loss on logits",
    ),
    Row(
        "mnist_vanilla_gan-20000-sce-paired",
        "mnist_vanilla_gan",
        (0, 1, 2),
        ("--iterations", "20000", "--loss", "sce"),
        paired=True,
        note="each seed's two runs from the same initial weights: framework against seed",
    ),
    Row(
        "mnist_dcgan-2-as-written",
        "mnist_dcgan",
        (0, 1, 2),
        ("train", "--epochs", "2", "--real-scale", "as-written"),
        note="the default 2 epochs, real images in [0, 1] against a tanh generator",
    ),
    Row(
        "mnist_dcgan-2-tanh",
        "mnist_dcgan",
        (0, 1, 2),
        ("train", "--epochs", "2", "--real-scale", "tanh"),
        note="the default 2 epochs, real images mapped to [-1, 1]",
    ),
    Row(
        "mnist_dcgan-20",
        "mnist_dcgan",
        (0,),
        ("train",),
        pictures=("samples_epoch_*.png",),
        extras=("cost-lines",),
        note="the seed's phase 1: 20 epochs",
    ),
    Row(
        "mnist_mlp_gan-lyeoni",
        "mnist_mlp_gan",
        (0,),
        ("--bs", "100", "--n-epoch", "100"),
        pictures=("sample_10.png", "sample_50.png", "sample_100.png"),
        extras=("lyeoni-losses",),
        note="lyeoni's batch 100, 100 of his 200 epochs",
    ),
    Row("mnist_mlp_gan-10", "mnist_mlp_gan", (0, 1, 2), optional=True, note="the seed's 10 epochs"),
    Row(
        "mnist_mlp_gan-10-fast",
        "mnist_mlp_gan",
        (0, 1, 2),
        ("--fast",),
        optional=True,
        frameworks=("pytorch",),
        note="the port's --fast (other rounding and dropout streams) beside mnist_mlp_gan-10",
    ),
)


def check(row):
    """`row` itself, or a UserError naming the field that is wrong."""
    if not row.name or "/" in row.name or row.name.startswith("."):
        raise cli.UserError(f"row name {row.name!r} must be a plain folder name.")
    try:
        registry.check(row.model)
    except ValueError as error:
        raise cli.UserError(f"row {row.name}: {error}") from None
    if row.cpu_path not in cpu.PATHS:
        raise cli.UserError(
            f"row {row.name}: cpu_path {row.cpu_path!r} is none of {', '.join(cpu.PATHS)}."
        )
    unknown = sorted(set(row.extras) - set(EXTRAS))
    if unknown:
        raise cli.UserError(
            f"row {row.name}: unknown extras {', '.join(unknown)}; choose from {', '.join(EXTRAS)}."
        )
    if not row.seeds or not all(isinstance(s, int) for s in row.seeds):
        raise cli.UserError(f"row {row.name}: seeds must be a non-empty list of integers.")
    if any(a in ("--seed", "--out", "--resume", "--init-weights") for a in row.args):
        raise cli.UserError(
            f"row {row.name}: args must not hold --seed, --out, --resume or --init-weights; the "
            "plan adds them (--init-weights for a paired row)."
        )
    if not row.frameworks or not set(row.frameworks) <= set(FRAMEWORKS):
        raise cli.UserError(
            f"row {row.name}: frameworks must be one or both of {', '.join(FRAMEWORKS)}."
        )
    if row.paired and len(row.frameworks) != 2:
        raise cli.UserError(f"row {row.name}: a paired row needs both frameworks.")
    for field in ("optional", "paired"):
        if not isinstance(getattr(row, field), bool):
            raise cli.UserError(f"row {row.name}: {field} must be true or false.")
    return row


def load(path=None):
    """The rows of the JSON file at `path` (a list of Row fields), or ROWS when None."""
    if path is None:
        return ROWS
    try:
        data = json.loads(pathlib.Path(path).read_text())
    except ValueError as error:
        raise cli.UserError(f"--table {path} is not valid JSON ({error}).") from None
    fields = {f.name for f in dataclasses.fields(Row)}
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise cli.UserError(f"--table {path} must hold a JSON list of row objects.")
    rows = []
    for entry in data:
        unknown = sorted(set(entry) - fields)
        if unknown:
            raise cli.UserError(
                f"--table {path}: unknown row field {unknown[0]!r}; the fields "
                f"are {', '.join(sorted(fields))}."
            )
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in entry.items()}
        try:
            rows.append(check(Row(**values)))
        except cli.UserError as error:
            raise cli.UserError(f"--table {path}: {error}") from None
        except TypeError as error:
            raise cli.UserError(f"--table {path}: {error}.") from None
    return tuple(rows)


def select(rows, names):
    """The rows called `names` (all but the optional ones when none is named)."""
    if not names:
        return [row for row in rows if not row.optional]
    by_name = {row.name: row for row in rows}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise cli.UserError(f"unknown row {unknown[0]!r}; the rows are {', '.join(by_name)}.")
    return [by_name[name] for name in names]


def expected_fields(row):
    """hparams.json values the row's flags fix: `--num-epochs 10000` -> {"num_epochs": "10000"}.

    A bare word (mnist_dcgan's `train`) is the run's phase. Values are compared as text.
    """
    expected, args = {}, list(row.args)
    while args:
        token = args.pop(0)
        if not token.startswith("--"):
            expected["phase"] = token
        elif args and not args[0].startswith("--"):
            expected[token[2:].replace("-", "_")] = args.pop(0)
        elif token.startswith("--no-"):  # A switch off, such as --no-live.
            expected[token[5:].replace("-", "_")] = "False"
        else:  # A switch on, such as --fused-adam.
            expected[token[2:].replace("-", "_")] = "True"
    return expected
