"""The PyTorch side of a conversion: the .pt file's format, reading it, checking it, writing it.

A .pt file is one `torch.save` dict, {"model", "format", "step", "G", "D", "opt_G", "opt_D"}
for the archive's models, and for a case one state_dict per module and one optimizer
state_dict per train op, "opt_<label>" (convert/checkpoint.py describes each number);
`check_torch` refuses one of another model, format, shape or optimizer layout, and
`write_torch` never overwrites. `write_weights` writes `python -m convert initial`'s .npz the
same way.
"""

import pathlib

import numpy as np

from convert import maps
from harness import cli, registry, run_folder

FORMAT = 1  # The PyTorch file's "format"; bump it when its keys change meaning.
# Formats read: this converter's own, and a run checkpoint's (FORMAT 2 of
# harness/checkpoint_format.py), which holds the same "G", "D", "opt_G", "opt_D" beside the
# run's resume state.
READS = (1, 2)
KEYS = ("model", "format", "step", "G", "D", "opt_G", "opt_D")  # What the six's .pt files hold.


def keys_of(model):
    """The keys a .pt of `model` must hold, as far as they are known before its map is built:
    the six's KEYS, and for a case "model" and "format" (check_torch checks the rest)."""
    return KEYS if model in registry.MODELS else ("model", "format")


def load_torch(path, weights_only=False, keys=KEYS):
    """The dict in a .pt file holding `keys`, or `UserError` naming what is wrong with the file.

    With `weights_only`, the "opt_*" keys may be missing (a .pt of weights alone)."""
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
    _require_keys(path, checkpoint, keys, weights_only)
    return checkpoint


def _require_keys(path, checkpoint, keys, weights_only):
    needs = {k for k in keys if k != "step" and not (weights_only and k.startswith("opt_"))}
    if not isinstance(checkpoint, dict) or not needs <= set(checkpoint):
        found = sorted(checkpoint) if isinstance(checkpoint, dict) else type(checkpoint).__name__
        raise cli.UserError(
            f"{path} is not an archive checkpoint: it needs the keys "
            f"{', '.join(k for k in keys if k in needs)}, and holds {found}."
        )


def check_torch(model, path, checkpoint, weights_only=False):
    """Refuse a .pt of another model, format, shape or optimizer layout; return each sub-step's
    Adam step (None: a fresh Adam, or an optimizer without a count).

    With `weights_only` the optimizers go unchecked, whatever they are, and the steps are None.
    """
    import torch

    name = model if model in registry.MODELS else maps.load_case(model).name
    if checkpoint["model"] != name:  # Before the graph is built: a quick refusal.
        theirs = checkpoint["model"]
        raise maps.Mismatch(
            f"{path} holds a {theirs} checkpoint, not {name}; convert it as "
            + (f"{theirs}." if theirs in registry.MODELS else "the case it was saved with.")
        )
    if checkpoint["format"] not in READS:
        raise maps.Mismatch(
            f"{path} is format {checkpoint['format']!r}; this converter reads "
            f"formats {', '.join(map(str, READS))}."
        )
    m = maps.model_map(model)
    if not weights_only:
        m.require_optimizers()
    _require_keys(path, checkpoint, m.keys, weights_only)
    for net in m.nets:
        state = checkpoint[net]
        if not isinstance(state, dict):
            raise maps.Mismatch(f"{path}: {net} is {type(state).__name__}, not a state_dict.")
        maps.refuse_names(f"{path} ({net})", name, m.state_shapes[net], state)
        for key, want in m.state_shapes[net].items():
            got = list(state[key].shape) if torch.is_tensor(state[key]) else None
            if got != want:
                raise maps.Mismatch(
                    f"{path} is not a {name} checkpoint of this shape: {net} "
                    f"{key} has shape {got}, the port's is {want}."
                )
    steps = dict.fromkeys(m.labels)
    for label, opt in m.optimizers.items() if not weights_only else ():
        saved = checkpoint[f"opt_{label}"]
        if saved is not None:
            steps[label] = _check_optimizer(path, name, label, opt, saved)
    return steps


def _check_optimizer(path, name, label, opt, saved):
    """Refuse an optimizer state_dict that does not fit sub-step `label`; its Adam step."""
    import torch

    params = opt["optimizer"].param_groups[0]["params"]
    kind = maps.KIND_NAMES[opt["kind"]]
    groups = saved.get("param_groups") if isinstance(saved, dict) else None
    if not groups or len(groups) != 1 or len(groups[0].get("params", ())) != len(params):
        raise maps.Mismatch(
            f"{path}: opt_{label} is not one {kind} group over {name}'s {len(params)} "
            f"{label} parameters."
        )
    counts = set()
    keys = [key for _, key in maps.SLOT_KEYS[opt["kind"]]]
    for index, param in zip(groups[0]["params"], params):
        entry = saved["state"].get(index)
        if entry is None:
            counts.add(0)
            continue
        for key in keys:
            tensor = entry.get(key)
            got = list(tensor.shape) if torch.is_tensor(tensor) else None
            if got != list(param.shape) and not (tensor is None and opt["kind"] == "momentum"):
                raise maps.Mismatch(
                    f"{path}: opt_{label} {key} of parameter {index} has shape "
                    f"{got}, the port's is {list(param.shape)}."
                )
        if opt["kind"] == "adam":
            counts.add(int(entry["step"]))
    if opt["kind"] != "adam":
        return None
    if len(counts) != 1:
        raise maps.Mismatch(
            f"{path}: opt_{label}'s parameters have different step counts "
            f"{sorted(counts)}; TF keeps one per optimizer."
        )
    return counts.pop()


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
