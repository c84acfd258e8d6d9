"""The archive's models, in one place: every tool and test reads what it knows of a model here.

A model is one `Model` row: its name, its original, its run length, and what each tool needs of
it (the report's budgets, the cross-check table's steps, the results tables' figures and digit
sampling, bench's layer shapes, its port's CPU threads). The rows are this package's modules,
one per model (`harness/registry/<name>.py` defines its MODEL), listed in BUILT_IN in the
archive's order. A model's TF1 reference, PyTorch port and cross-check share its name:
`tf1_reference/<name>.py`, `ports/<name>.py`, `crosscheck/<name>.py` (a row may name other
modules). So adding a model is its row and those three files; `register(Model(...))` adds one
while a program runs (a test's toy, a plugin) and `unregister(name)` takes it out again.

Importing the registry imports none of the models' code (and neither TensorFlow nor PyTorch);
`reference(name)`, `port(name)` and `case(name)` import one on demand.
"""

import dataclasses
import importlib

from harness import cli

BUILT_IN = (  # harness/registry/<name>.py, in the order every table and command lists them.
    "gaussian_gan",
    "gaussian_cgan",
    "ring_gan",
    "mnist_dcgan",
    "mnist_vanilla_gan",
    "mnist_mlp_gan",
)
FRAMEWORKS = {"tf1": "tf1_reference", "pytorch": "ports"}  # framework -> package


@dataclasses.dataclass(frozen=True)
class Outputs:
    """What a run of the model writes that the comparison report draws."""

    picture: str  # Glob of its pictures in the run folder; the last in name order is shown.
    x_key: str  # metrics.jsonl key of the loss curves' x axis.
    loss_keys: tuple  # metrics.jsonl keys of its losses.


@dataclasses.dataclass(frozen=True)
class Budget:
    """How the comparison report (report/comparison.py) checks and trains the model once."""

    steps: int  # Cross-check steps, the same in all three settings.
    argv: tuple = ()  # Flags of the short TF1 run; () is the original's full run.
    port_argv: tuple = None  # The port's flags where they differ from argv.


@dataclasses.dataclass(frozen=True)
class ShortRun:
    """A short run of the port's own command (report/denormals.py)."""

    argv: tuple  # Its flags.
    steps: int  # The D steps (each followed by a G step) that they make.


@dataclasses.dataclass(frozen=True)
class Sampling:
    """How results/score.py feeds the model's generator and reads its digits."""

    z_field: str  # The HParams field holding z's width.
    prior: str  # "uniform" on [-1, 1) or "normal".
    tf_output: str  # build_graph's attribute for G's output ...
    tf_input: str  # ... and for z's placeholder.
    value_range: object  # (low, high) of what G emits, or hp -> (low, high) (metrics.to_unit).


# The original's layer shapes, for bench/flops.py's count of FLOPs per iteration.
@dataclasses.dataclass(frozen=True)
class Dense:
    n_in: int  # Input features.
    n_out: int  # Output features.


@dataclasses.dataclass(frozen=True)
class Conv:
    c_in: int  # Input channels.
    c_out: int  # Output channels.
    kernel: int  # Square kernel side.
    h_out: int  # Output height (= width): the positions the kernel visits.


@dataclasses.dataclass(frozen=True)
class ConvTranspose:
    c_in: int  # Input channels.
    c_out: int  # Output channels.
    kernel: int  # Square kernel side.
    h_in: int  # Input height (= width): each input pixel scatters one kernel.


@dataclasses.dataclass(frozen=True)
class Layers:
    batch: int  # Examples per D step and per G step (the original's batch size).
    generator: tuple  # G's layers, input first.
    discriminator: tuple  # D's layers, input first.


@dataclasses.dataclass(frozen=True)
class Model:
    name: str  # The name every file, command and run folder uses.
    seed: str  # The seed text it comes from (the seed texts NNN_*.txt of the archive's sources).
    original: str  # The program it reproduces.
    mnist: bool  # Whether it reads the MNIST files (its commands take --data-dir).
    steps_per_epoch: int  # Training steps (one D and one G step) per pass over its data.
    epochs: int  # The original's default run length, in passes over the data (or its count).
    length_flag: str  # The flag that sets the run's length in its commands.
    unit: str  # What that flag counts.
    outputs: Outputs  # What its runs write that the comparison report draws.
    report_demo: Budget  # `python -m report`'s demo budget (make demo).
    report_tiny: Budget  # `python -m report --budget tiny`: a few steps, to make every part.
    crosscheck_steps: int  # Steps of docs/crosscheck.md's measured table (report/measure.py).
    denormals: ShortRun  # The port's short run whose subnormals report/denormals.py counts.
    layers: Layers  # The original's layer shapes at its defaults (bench/flops.py).
    threads: int = None  # The port's PyTorch CPU threads where fewer are faster; None: one a core.
    results: str = None  # Module of its results figures (results.coverage, results.digits).
    sampling: Sampling = None  # How its digits are drawn for scoring (results.digits).
    reference: str = ""  # Its TF1 reference's module; "" is tf1_reference.<name>.
    port: str = ""  # Its PyTorch port's module; "" is ports.<name>.
    case: str = ""  # The module whose CASE is its cross-check; "" is crosscheck.<name>.

    def __post_init__(self):
        defaults = {"reference": "tf1_reference", "port": "ports", "case": "crosscheck"}
        for field, package in defaults.items():
            if not getattr(self, field):
                object.__setattr__(self, field, f"{package}.{self.name}")


MODELS = {}  # name -> Model, in BUILT_IN's order, then those registered at run time.
NAMES = ()  # The models' names (rebound by register and unregister: read registry.NAMES).
MNIST = ()  # The names of the models that read MNIST.


def _listed():
    global NAMES, MNIST
    NAMES = tuple(MODELS)
    MNIST = tuple(name for name, model in MODELS.items() if model.mnist)


def register(model):
    """Add `model` (a `Model`) to the registry for the rest of the process; returns it.

    Every tool then takes it by name as it takes the archive's own: `python -m crosscheck`'s
    code path, convert, bench's set-up, the comparison report."""
    if not isinstance(model, Model):
        raise TypeError(f"register takes a registry.Model, not {type(model).__name__}.")
    if model.name in MODELS:
        raise ValueError(f"a model named {model.name!r} is registered already.")
    MODELS[model.name] = model
    _listed()
    return model


def unregister(name):
    """Take the model `name` out of the registry (the undo of `register`)."""
    check(name)
    del MODELS[name]
    _listed()


def check(name):
    """The Model called `name`; a UserError (a ValueError) naming the choices for any other."""
    if name not in MODELS:
        raise cli.UserError(f"unknown model {name!r}; choose one of {', '.join(NAMES)}.")
    return MODELS[name]


def module_name(name, framework):
    """The dotted name of the model's TF1 reference ("tf1") or PyTorch port ("pytorch")."""
    model = check(name)
    if framework not in FRAMEWORKS:
        raise ValueError(f"unknown framework {framework!r}; choose tf1 or pytorch.")
    return model.reference if framework == "tf1" else model.port


def module(name, framework):
    """The model's TF1 reference ("tf1") or PyTorch port ("pytorch"), imported."""
    return importlib.import_module(module_name(name, framework))


def reference(name):
    return module(name, "tf1")


def port(name):
    return module(name, "pytorch")


def case(name):
    """The model's cross-check case (the CASE of crosscheck/<name>.py, or of its row's module)."""
    return importlib.import_module(check(name).case).CASE


def results(name):
    """The module that sums up the model's finished runs in the results tables, or None."""
    figures = check(name).results
    return importlib.import_module(figures) if figures else None


def value_range(name, hp):
    """(low, high) of what the model's generator emits under `hp` (its Sampling)."""
    given = check(name).sampling.value_range
    return given(hp) if callable(given) else tuple(given)


for _name in BUILT_IN:
    MODELS[_name] = importlib.import_module(f"harness.registry.{_name}").MODEL
_listed()
