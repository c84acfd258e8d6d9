"""The PyTorch side of a conversion: the .pt file's format, reading it, checking it, writing it.

A .pt file is one `torch.save` dict, {"model", "format", "step", "G", "D", "opt_G", "opt_D"}
(convert/checkpoint.py describes each number); `check_torch` refuses one of another model,
format, shape or optimizer layout, and `write_torch` never overwrites. `write_weights` writes
`python -m convert initial`'s .npz the same way.
"""

import pathlib

import numpy as np

from convert import maps
from harness import cli, run_folder

FORMAT = 1  # The PyTorch file's "format"; bump it when its keys change meaning.
# Formats read: this converter's own, and a run checkpoint's (harness/checkpoints.py FORMAT 2),
# which holds the same "G", "D", "opt_G", "opt_D" beside the run's resume state.
READS = (1, 2)
KEYS = ("model", "format", "step", "G", "D", "opt_G", "opt_D")  # What every .pt file holds.


def load_torch(path, weights_only=False):
    """The dict in a .pt file, or `UserError` naming what is wrong with the file.

    With `weights_only`, "opt_G" and "opt_D" may be missing (a .pt of weights alone)."""
    import torch

    path = pathlib.Path(path)
    if not path.is_file():
        raise cli.UserError(f"no PyTorch checkpoint {path}: the file does not exist.")
    try:
        # Not weights_only: the resumable runs may store NumPy generator states beside the
        # tensors. Load only checkpoints you made.
        checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:  # noqa: BLE001  (pickle, zip and EOF errors all mean "not one")
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise cli.UserError(f"{path} is not a readable PyTorch checkpoint ({first}).") from None
    needs = set(KEYS) - {"step"} - ({"opt_G", "opt_D"} if weights_only else set())
    if not isinstance(checkpoint, dict) or not needs <= set(checkpoint):
        found = sorted(checkpoint) if isinstance(checkpoint, dict) else type(checkpoint).__name__
        raise cli.UserError(
            f"{path} is not an archive checkpoint: it needs the keys "
            f"{', '.join(k for k in KEYS if k in needs)}, and holds {found}."
        )
    return checkpoint


def check_torch(model, path, checkpoint, weights_only=False):
    """Refuse a .pt of another model, format, shape or optimizer layout; return Adam steps.

    With `weights_only` the optimizers go unchecked, whatever they are, and the steps are None.
    """
    import torch

    if checkpoint["model"] != model:  # Before the model's graph is built: a quick refusal.
        raise maps.Mismatch(
            f"{path} holds a {checkpoint['model']} checkpoint, not {model}; "
            f"convert it as {checkpoint['model']}."
        )
    if checkpoint["format"] not in READS:
        raise maps.Mismatch(
            f"{path} is format {checkpoint['format']!r}; this converter reads "
            f"formats {', '.join(map(str, READS))}."
        )
    m = maps.model_map(model)
    for net in ("G", "D"):
        state = checkpoint[net]
        if not isinstance(state, dict):
            raise maps.Mismatch(f"{path}: {net} is {type(state).__name__}, not a state_dict.")
        maps.refuse_names(f"{path} ({net})", model, m.state_shapes[net], state)
        for key, want in m.state_shapes[net].items():
            got = list(state[key].shape) if torch.is_tensor(state[key]) else None
            if got != want:
                raise maps.Mismatch(
                    f"{path} is not a {model} checkpoint of this shape: {net} "
                    f"{key} has shape {got}, the port's is {want}."
                )
    steps = {}
    for net, opt in m.optimizers.items():
        saved = None if weights_only else checkpoint[f"opt_{net}"]
        if saved is None:
            steps[net] = None
            continue
        n = len(opt["names"])
        groups = saved.get("param_groups") if isinstance(saved, dict) else None
        if not groups or len(groups) != 1 or len(groups[0].get("params", ())) != n:
            raise maps.Mismatch(
                f"{path}: opt_{net} is not one Adam group over {model}'s {n} {net} parameters."
            )
        counts = set()
        shapes = [list(p.shape) for p in m.module(net).parameters()]
        for index, shape in zip(groups[0]["params"], shapes):
            entry = saved["state"].get(index)
            if entry is None:
                counts.add(0)
                continue
            for key in ("exp_avg", "exp_avg_sq"):
                got = list(entry[key].shape) if torch.is_tensor(entry.get(key)) else None
                if got != shape:
                    raise maps.Mismatch(
                        f"{path}: opt_{net} {key} of parameter {index} has shape "
                        f"{got}, the port's is {shape}."
                    )
            counts.add(int(entry["step"]))
        if len(counts) != 1:
            raise maps.Mismatch(
                f"{path}: opt_{net}'s parameters have different step counts "
                f"{sorted(counts)}; TF keeps one per optimizer."
            )
        steps[net] = counts.pop()
    return steps


def write_torch(checkpoint, out):
    """torch.save `checkpoint` at `out`, written under a temporary name and renamed."""
    import torch

    out = pathlib.Path(out)
    if out.exists():
        raise cli.UserError(
            f"{out} already exists; choose another output file (nothing was overwritten)."
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        run_folder.atomic_write(out, lambda p: torch.save(checkpoint, p))
    except OSError as error:
        raise cli.UserError(
            f"cannot write {out} ({error.strerror}); pass a path in a writable folder."
        ) from None
    return str(out)


def write_weights(weights, out):
    """An .npz of `weights` at `out`, written under a temporary name; refuses an existing one."""
    out = pathlib.Path(out)
    if out.exists():
        raise cli.UserError(f"{out} exists; choose another output (nothing is overwritten).")
    out.parent.mkdir(parents=True, exist_ok=True)

    def write(path):
        with open(path, "wb") as file:
            np.savez(file, **weights)

    run_folder.atomic_write(out, write)
    return out
