"""The public shape of a cross-check: a `Case` pairs a TF1 graph with its PyTorch port.

A case is what `python -m crosscheck --case FILE.py:NAME` runs, and what each of the archive's
six models is (crosscheck/<model>.py). It says five things; everything else is read off the
TF graph or has a default that fits the common two-network GAN:

    CASE = case.Case(
        graph=build,            # (dtype) -> anything: builds placeholders, losses, train ops
        modules=lambda: {"G": Generator(), "D": Discriminator()},   # the port's networks
        name_map={"D_W1": ("D.fc1.weight", "dense"), ...},  # TF variable -> parameter, layout
        batches=case.batches_from({"X": images}, 128, noise={"Z": case.uniform(-1, 1, 100)}),
        torch_step=step,        # (nets, opts, batch) -> losses, one per sub-step
    )

Read off the graph (crosscheck/graph_reading.py): the train ops (each `minimize`), in the
order they were built, which variables each updates (its var_list), the loss each minimizes,
and each optimizer's constants (Adam's lr, beta1, beta2, epsilon; plain and momentum SGD).
A sub-step is one train op; its label is the name-map head of the variables it updates
("D" for "D.fc1.weight"; "discriminator" becomes "D" and "generator" "G").

A batch is a dict from placeholder name to array, fed to every sub-step that needs that
placeholder; a value that is itself a dict, under a sub-step's label, overrides entries for
that sub-step alone: {"X": x, "Z": z_D, "G": {"Z": z_G}} feeds z_G to the G step.
`torch_step` gets the same dict as tensors (`substep(batch, "G")` merges a sub-step's view).

Dropout and random ops inside the graph (`tf.nn.dropout` with `keep_prob` or `rate`,
`tf.random_normal`, `tf.random_uniform` and their TF 2 names) are made to take fed values
while `graph` runs, and PyTorch's `F.dropout`, `torch.randn` and `torch.rand` return the same
values during `torch_step` (crosscheck/fed_random.py): no rewrite of the user's code.
"""

import dataclasses
from collections.abc import Callable, Mapping

import numpy as np

from harness import cli

TOL_BEFORE_UPDATE_FLOAT32 = 1e-6  # Losses and gradients of step 1: one forward, no history.
SHORT = {"discriminator": "D", "generator": "G"}  # Name-map heads shown as sub-step labels.


class CaseError(cli.UserError):
    """A case that does not fit its graph or its port: one sentence naming the first problem."""


@dataclasses.dataclass
class Case:
    """A TF1 graph, its PyTorch port, how the two map onto each other, and how to feed them."""

    graph: Callable  # (dtype) -> g: builds the TF1 graph into the default graph; or () -> g.
    modules: Callable  # () -> {name: nn.Module}, freshly built (its parameters get overwritten).
    name_map: Mapping  # TF variable name -> ("module.path.to.param", layout) (ports/layouts.py).
    batches: Callable  # (rng, steps) -> `steps` batch dicts, every number from `rng`.
    torch_step: Callable  # (nets, opts, batch of tensors) -> one loss per sub-step, in order.
    name: str = "case"  # What the table's title calls it.
    tf_step: Callable = None  # (sess, g, batch) -> losses; default: one sess.run per sub-step.
    feeds: Callable = None  # (g, batch, label) -> feed dict; default: placeholders by name.
    constants: Mapping = dataclasses.field(default_factory=dict)  # Fed every run: keep_prob.
    order: tuple = ()  # Sub-step labels in running order; default: the train ops' build order.
    adam: Mapping = dataclasses.field(default_factory=dict)  # label -> {"lr": ...}: overrides.
    optimizers: Callable = None  # (params by label, mode) -> {label: torch optimizer}.
    buffer_map: Mapping = dataclasses.field(default_factory=dict)  # TF non-trainables -> buffers.
    untrained: tuple = ()  # Trainable TF variables that no train op updates, on purpose.
    default_steps: int = 250  # Steps when --steps is not given.
    # Variables whose exact gradient is zero (a bias just before BatchNorm): Adam turns their
    # rounding-noise gradients into steps of about lr, so they are reported, never judged.
    gradient_free: tuple = ()
    tol_before_update_float32: float = TOL_BEFORE_UPDATE_FLOAT32  # A deep case may need more.
    # (TFSide, TorchSide, first batch) -> {"forward <tensor>": max |diff|}, judged before update.
    compare_forward: Callable = None
    fed_random: bool = True  # Make dropout and random ops in the graph take fed values.


def substep(batch, label):
    """The batch as sub-step `label` sees it: top-level entries, overridden by batch[label]."""
    view = {key: value for key, value in batch.items() if not isinstance(value, Mapping)}
    view.update(batch.get(label, {}))
    return view


def normal(*shape, mean=0.0, std=1.0):
    """Noise N(mean, std^2) of `shape` per example, for `batches_from`."""
    return lambda rng, n: rng.normal(mean, std, size=(n, *shape))


def uniform(low, high, *shape):
    """Noise U(low, high) of `shape` per example, for `batches_from`."""
    return lambda rng, n: rng.uniform(low, high, size=(n, *shape))


def batches_from(data, batch_size, noise=None, fresh=None, drop_last=True):
    """(rng, steps) -> batches from arrays: the data in a new permutation every epoch.

    data: {placeholder name: array of N examples}, cut into `batch_size` rows together; or a
        function returning that dict, called on first use (a case file then reads no data
        when it is imported).
    noise: {placeholder name: `normal(...)` or `uniform(...)`}, drawn for every batch.
    fresh: {label: names}: noise drawn anew for that sub-step (a G step with its own z).
    """
    noise, fresh = dict(noise or {}), dict(fresh or {})
    for label, names in fresh.items():
        unknown = set(names) - set(noise)
        if unknown:
            raise CaseError(f"batches_from: fresh[{label!r}] names {sorted(unknown)}, not noise.")

    def arrays():
        given = data() if callable(data) else data
        arrays = {name: np.asarray(array) for name, array in given.items()}
        sizes = {len(array) for array in arrays.values()}
        if len(sizes) != 1:
            raise CaseError(
                f"batches_from: the data arrays have different lengths {sorted(sizes)}."
            )
        if not 0 < batch_size <= min(sizes):
            raise CaseError(
                f"batches_from: batch size {batch_size} does not fit {min(sizes)} examples."
            )
        return arrays, sizes.pop()

    def make(rng, steps):
        data, size = arrays()
        per_epoch = size // batch_size if drop_last else -(-size // batch_size)
        batches = []
        for step in range(steps):
            if step % per_epoch == 0:
                order = rng.permutation(size)
            rows = order[(step % per_epoch) * batch_size :][:batch_size]
            batch = {name: array[rows].astype(np.float64) for name, array in data.items()}
            batch.update({name: draw(rng, len(rows)) for name, draw in noise.items()})
            for label, names in fresh.items():
                batch[label] = {name: noise[name](rng, len(rows)) for name in names}
            batches.append(batch)
        return batches

    return make
