"""Drive a TF1 graph and its PyTorch port with identical numbers, step by step, and compare.

One `np.random.Generator(seed)` makes the initial weights, the data, every batch order, every
z and every dropout mask. TF receives the weights by variable name (`Variable.load`), PyTorch
through the case's name map (ports/layouts.py). Both train on the same batches; after every
step both losses and every variable are compared, and every forward pass of every sub-step is
searched for kink flips (crosscheck/kinks.py). Step 1's gradients are the ones each
framework's optimizer received. The order follows the TF migration guide and Hugging Face's
equivalence tests (docs/anchors.md 2.5): names, forward, losses, gradients, one step, many.

A model plugs in through a `Case` (crosscheck/case.py): the archive's six in
crosscheck/<model>.py, anyone else's in a file of their own (`python -m crosscheck --case`).
"""

import numpy as np

from crosscheck import kinks, validation
from crosscheck.case import Case, CaseError  # noqa: F401  (the public names, from here too)
from crosscheck.tf_side import TFSide, session_config  # noqa: F401
from crosscheck.torch_side import TorchSide  # noqa: F401
from crosscheck.tf_adam import TFAdam  # noqa: F401  (tests alter its epsilon through here)
from crosscheck.verdicts import (  # noqa: F401
    TOL_FLOAT32_TF_ADAM,
    TOL_FLOAT64_TF_ADAM,
    TOL_FLOOR_RATIO,
    TOL_TORCH_ADAM,
    Result,
    format_table,
    judge,
    verdict_rows,
)


def initial_weights(rng, variables):
    """Glorot-uniform for matrices and filters, U(-0.1, 0.1) for vectors, by TF variable name.

    The models start their biases at zero; random ones make the check stronger, since a bias
    mapped to the wrong parameter then shows in the very first forward pass.
    """
    weights = {}
    for variable in variables:
        name, shape = variable.op.name, variable.shape.as_list()
        if len(shape) == 1:
            weights[name] = rng.uniform(-0.1, 0.1, size=shape)
        else:
            receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
            fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            weights[name] = rng.uniform(-limit, limit, size=shape)
    return weights


def _max_diff(a, b):
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))


def sides(case, dtype="float32", adam="tf"):
    """Both sides of `case`, checked against each other (a `CaseError` names any mismatch)."""
    reference = TFSide(case, dtype)
    port = TorchSide(case, dtype, adam, reference.substeps, optimizers=False)
    validation.check(case, reference, port)
    port.build_optimizers(adam)
    return reference, port


def _before_update(reference, port, batch, labels):
    """({"loss_<label>": |diff|, "gradients": max |diff|}, the pass's kink flips): a dry pass
    of the first step on both sides, every train op and optimizer step left out, so no
    sub-step sees another's update."""
    tf_losses, tf_runs = reference.step(batch, 0, dry=True)
    pt_losses, pt_kinks, pt_grads, _ = port.step(batch, tf_runs, dry=True)
    before = {f"loss_{label}": abs(a - b) for label, a, b in zip(labels, tf_losses, pt_losses)}
    tf_grads = {n: g for run in tf_runs for n, g in run["grads"].items()}
    shared = [n for n in tf_grads if n in pt_grads]
    before["gradients"] = max((_max_diff(tf_grads[n], pt_grads[n]) for n in shared), default=0.0)
    return before, kinks.flips(tf_runs, pt_kinks, kinks.column_orders(port.case.name_map))


def run(case, steps, dtype="float32", adam="tf", seed=0, floor=True, progress=None):
    """Run both sides `steps` steps on identical numbers; return a `Result` with verdicts.

    With `floor`, a second TF graph trains from the same weights with ONE weight nudged by one
    unit in the last place; how far TF then drifts from itself is the floor below which no
    port can be held, because training amplifies rounding (GAN training is chaotic).
    `progress`: an optional callable (step done, steps) for a progress bar.
    """
    if steps < 1:
        raise ValueError(f"--steps must be at least 1, got {steps}.")
    rng = np.random.default_rng(seed)
    reference, port = sides(case, dtype, adam)
    weights = initial_weights(rng, reference.variables)
    batches = case.batches(rng, steps)
    if len(batches) < steps:
        raise CaseError(f"the case's batches gave {len(batches)} batches for {steps} steps.")
    reference.rng = rng  # In-graph draws come after the weights and the batches.
    reference.load(weights)
    port.load(weights)
    nudged = None
    if floor:
        nudged = TFSide(case, dtype, draw_source=reference.drawn)
        first = sorted(weights)[0]
        nudged.load(
            {
                **weights,
                first: np.nextafter(weights[first].astype(dtype), np.inf).astype(np.float64),
            }
        )
    labels = [sub.label for sub in reference.substeps]
    orders = kinks.column_orders(case.name_map)
    judged = [n for n in case.name_map if n not in case.gradient_free]
    before, per_step, per_variable = {}, [], dict.fromkeys(case.name_map, 0.0)
    slips = []
    for i in range(steps):
        batch = batches[i]
        if i == 0:  # Each sub-step's loss and gradients before any update, then the step.
            if case.compare_forward is not None:
                before.update(case.compare_forward(reference, port, batch))
            quantities, first_flips = _before_update(reference, port, batch, labels)
            before.update(quantities)
        tf_losses, tf_runs = reference.step(batch, i, replay=i == 0)
        pt_losses, pt_kinks, _, rate_slips = port.step(batch, tf_runs)
        slips += [(labels[index], p, rate) for index, p, rate in rate_slips]
        if len(tf_losses) != len(pt_losses):
            raise CaseError(
                f"the TF step returned {len(tf_losses)} losses and the PyTorch step "
                f"{len(pt_losses)}; both return one loss per sub-step ({labels})."
            )
        tf_values, pt_values = reference.values(), port.values()
        diffs = {name: _max_diff(tf_values[name], pt_values[name]) for name in tf_values}
        for name, diff in diffs.items():
            per_variable[name] = max(per_variable[name], diff)
        record = {f"loss_{label}": abs(a - b) for label, a, b in zip(labels, tf_losses, pt_losses)}
        record["variables"] = max(diffs[name] for name in judged)
        record.update(kinks.flips(tf_runs, pt_kinks, orders))
        if i == 0 and first_flips["kink_flips"]:  # A flip before any update comes first.
            record["kink_flips_before"] = first_flips["kink_flips"]
            record["kink_flips"] += first_flips["kink_flips"]
            record["kink_nearest"] = max(record["kink_nearest"], first_flips["kink_nearest"])
            record["kink_first"] = first_flips["kink_first"]
            record["flip"] = {**first_flips["flip"], "before_update": True}
        if nudged is not None:
            nudged.step(batch, i)
            other = nudged.values()
            record["floor"] = max(_max_diff(tf_values[n], other[n]) for n in judged)
        per_step.append(record)
        if progress is not None:
            progress(i + 1, steps)
    for side in (reference, nudged):
        if side is not None:
            side.close()
    before_tol = None if dtype == "float64" else case.tol_before_update_float32
    rows = verdict_rows(before, per_step, per_variable, dtype, adam, before_tol, slips)
    return Result(steps, dtype, adam, before, per_step, per_variable, rows)
