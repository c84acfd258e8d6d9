"""`python -m convert inspect`: every variable of any TF1 checkpoint, its optimizer state under it.

Needs no model of the archive: names, shapes and dtypes come from the checkpoint's index, and
every tensor is read once, so a cut or damaged checkpoint is refused rather than listed. Which
variable is optimizer state is read off the names TF1's optimizers give them:
- A slot is `<variable>/<slot name>`, where <variable> is another variable of the checkpoint
  (TF1's slot creator may put the scope `minimize` ran in before it): AdamOptimizer's
  `<var>/Adam` (m) and `<var>/Adam_1` (v), MomentumOptimizer's `<var>/Momentum`,
  RMSPropOptimizer's `<var>/RMSProp` (rms) and `<var>/RMSProp_1` (momentum), and any other name of
  that form (an optimizer given its own `name=`, an ExponentialMovingAverage). The optimizer is
  the slot's name without its `_N` suffix.
- Adam's non-slot variables are `beta1_power` and `beta2_power` (`_1`, `_2`, ... for each later
  Adam). TF colocates them with the first variable of the Adam's var_list, but a checkpoint
  keeps no colocation, so which var_list each belongs to cannot be read from the checkpoint
  alone: they are listed together.
- `moving_mean` and `moving_variance` are BatchNorm statistics, and `global_step` is a counter:
  model state that no optimizer trains, counted apart from the weights.
"""

import json
import re

import numpy as np

from convert import tf_side

# What TF1's optimizers call their slots (adam.py, momentum.py, rmsprop.py `_create_slots`): the
# slot variable is named after the optimizer, made unique in creation order.
SLOT_MEANINGS = {
    "Adam": "m",
    "Adam_1": "v",
    "Momentum": "momentum",
    "RMSProp": "rms",
    "RMSProp_1": "momentum",
    "RMSProp_2": "mg",
}
NON_SLOT = re.compile(r"(^|/)beta[12]_power(_\d+)?$")  # AdamOptimizer's _create_non_slot_variable.
STATISTICS = ("moving_mean", "moving_variance")
COUNTERS = ("global_step",)


def _owner(name, names):
    """The variable whose slot `name` is (`[scope/]<owner>/<slot>`), or None."""
    parts = name.split("/")
    for start in range(len(parts) - 1):  # The longest owner first: no scope before it.
        owner = "/".join(parts[start:-1])
        if owner in names:
            return owner
    return None


def classify(shapes):
    """{name: {"kind", and for optimizer state "owner", "slot", "optimizer"}} of a checkpoint."""
    names, kinds = set(shapes), {}
    for name in sorted(names):
        last = name.rsplit("/", 1)[-1]
        owner = _owner(name, names)
        if owner is not None:
            kinds[name] = {
                "kind": "slot",
                "owner": owner,
                "slot": last,
                "optimizer": re.sub(r"_\d+$", "", last),
            }
        elif NON_SLOT.search(name):
            kinds[name] = {"kind": "non-slot", "optimizer": "Adam"}
        elif last in STATISTICS:
            kinds[name] = {"kind": "statistic"}
        elif last in COUNTERS:
            kinds[name] = {"kind": "counter"}
        else:
            kinds[name] = {"kind": "weight"}
    # A slot of a slot (an average of Adam's m, say) belongs to the weight at the root.
    for entry in kinds.values():
        while entry.get("owner") in kinds and kinds[entry["owner"]]["kind"] == "slot":
            entry["owner"] = kinds[entry["owner"]]["owner"]
    return kinds


def describe(path):
    """The listing of the checkpoint `path` names (a prefix or a folder), as JSON-ready data."""
    prefix, reader, shapes, dtypes = tf_side.open_checkpoint(path)
    for name in shapes:  # One at a time, to refuse a cut or damaged checkpoint in little memory.
        tf_side.read_tensors(prefix, reader, [name])
    kinds = classify(shapes)
    variables = []
    for name in sorted(shapes):
        shape = [int(d) for d in shapes[name]]
        scope = name.split("/", 1)[0] if "/" in name else ""
        size = int(np.prod(shape, dtype=np.int64))
        variables.append(
            {"name": name, "shape": shape, "dtype": dtypes[name].name, "size": size, "scope": scope}
            | kinds[name]
        )
    optimizers = {}
    for v in variables:
        if v["kind"] in ("slot", "non-slot"):
            o = optimizers.setdefault(v["optimizer"], {"slots": set(), "on": set(), "non_slot": []})
            if v["kind"] == "slot":
                o["slots"].add(v["slot"])
                o["on"].add(v["owner"])
            else:
                o["non_slot"].append(v["name"])
    optimizers = {
        name: {"slots": sorted(o["slots"]), "weights": len(o["on"]), "non_slot": o["non_slot"]}
        for name, o in optimizers.items()
    }
    sums = {
        kind: sum(v["size"] for v in variables if v["kind"] in kinds_)
        for kind, kinds_ in (
            ("weights", {"weight"}),
            ("statistics", {"statistic"}),
            ("counters", {"counter"}),
            ("optimizer_state", {"slot", "non-slot"}),
        )
    }
    sums["total"] = sum(sums.values())
    return {
        "checkpoint": prefix,
        "variables": variables,
        "optimizers": optimizers,
        "parameters": sums,
    }


def _count(n, noun):
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _shape(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


def text(listing):
    """The listing as a reader wants it: per scope, each weight with its slots under it."""
    variables = listing["variables"]
    slots = {}
    for v in variables:
        if v["kind"] == "slot":
            slots.setdefault(v["owner"], []).append(v)
    counted = _count(len(variables), "variable")
    lines = [f"TF checkpoint {listing['checkpoint']}: {counted}, every tensor read"]
    owned = [v for v in variables if v["kind"] not in ("slot", "non-slot")]
    width = max([len(v["name"]) for v in owned] + [8])
    for scope in sorted({v["scope"] for v in owned}, key=lambda s: (s == "", s)):
        members = [v for v in owned if v["scope"] == scope]
        size = sum(v["size"] for v in members)
        title = f"{scope}/" if scope else "(root scope)"
        lines += ["", f"{title}  {_count(len(members), 'variable')}, {_count(size, 'parameter')}"]
        for v in members:
            note = {"statistic": "  (BatchNorm statistic)", "counter": "  (counter)"}
            lines.append(
                f"  {v['name']:<{width}}  {_shape(v['shape']):<16} {v['dtype']:<8} "
                f"{v['size']:>10,}{note.get(v['kind'], '')}"
            )
            labels = []
            for s in slots.get(v["name"], ()):
                meaning = SLOT_MEANINGS.get(s["slot"])
                own = s["name"] == f"{v['name']}/{s['slot']}"  # Else a scope comes first.
                labels.append(
                    (s["slot"] if own else s["name"])
                    + (f" ({meaning})" if meaning else "")
                    + ("" if s["shape"] == v["shape"] else f" {_shape(s['shape'])}")
                    + ("" if s["dtype"] == v["dtype"] else f" {s['dtype']}")
                )
            if labels:
                lines.append("      + " + ", ".join(labels))
    non_slot = [v for v in variables if v["kind"] == "non-slot"]
    if non_slot:
        lines += ["", "Adam's non-slot variables (whose var_list each belongs to is not saved):"]
        lines += [
            f"  {v['name']:<{width}}  {_shape(v['shape']):<16} {v['dtype']}" for v in non_slot
        ]
    lines.append("")
    for name, o in sorted(listing["optimizers"].items()):
        slot_names = ", ".join(o["slots"]) or "none"
        lines.append(
            f"Optimizer {name}: slots {slot_names} on {_count(o['weights'], 'variable')}"
            + (f", {_count(len(o['non_slot']), 'non-slot variable')}" if o["non_slot"] else "")
        )
    p = listing["parameters"]
    extra = [
        f"{p['statistics']:,} in BatchNorm statistics" if p["statistics"] else "",
        f"{p['counters']:,} in counters" if p["counters"] else "",
    ]
    lines.append(
        f"Parameters: {p['weights']:,} in weights"
        + "".join(f" (+ {x})" for x in extra if x)
        + f"; {p['total']:,} with optimizer state."
    )
    return "\n".join(lines)


def main(args):
    """Print the listing of `args.checkpoint`, as text or (--json) as JSON."""
    listing = describe(args.checkpoint)
    print(json.dumps(listing, indent=1) if args.json else text(listing))
    return 0
