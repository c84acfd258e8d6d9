"""Kink flips: a ReLU-like unit that took one branch in TF and the other in PyTorch.

TF's float32 products and PyTorch's sum in different orders, so every pre-activation differs
by rounding. An input closer to zero than that can be positive in one framework and negative
in the other: that unit then passes its gradient whole in one and scaled (or not at all) in
the other, a jump of a whole slope where rounding gave an ulp. Such a flip can happen in any
forward pass of any sub-step: G's own layers, D on real data, D on G's output in the D step
and again in the G step. Each TF kink op a training run computed is matched to the PyTorch
kink call of the same sub-step whose output is nearest (the order of calls does not matter),
and their branch indicators are compared unit by unit.
"""

import numpy as np

from crosscheck import graph_reading
from ports import layouts


def _views(tf_value, torch_value, orders):
    """PyTorch's value in TF's layout: as it is; NCHW -> NHWC for a 4-D map; a flat (c, h, w)
    vector's columns in TF's (h, w, c) order, for each flattened map the name map knows."""
    if torch_value.shape == tf_value.shape:
        yield None, torch_value
        if torch_value.ndim == 2:
            for order in orders.get(torch_value.shape[1], ()):
                yield order, torch_value[:, order]
    if torch_value.ndim == 4 and torch_value.transpose(0, 2, 3, 1).shape == tf_value.shape:
        yield "nhwc", torch_value.transpose(0, 2, 3, 1)


def column_orders(name_map):
    """{width: [column order]} of every flattened (H, W, C) map a name map's layouts name."""
    orders = {}
    for _, layout in name_map.values():
        if ":" in layout:
            h, w, c = (int(d) for d in layout.partition(":")[2].split(","))
            order = layouts.to_tf(f"nhwc_vector:{h},{w},{c}", np.arange(h * w * c))
            known = orders.setdefault(h * w * c, [])
            if not any(np.array_equal(order, o) for o in known):
                known.append(order)
    return orders


def _apply(view, x):
    if view is None:
        return x
    if isinstance(view, str):
        return x.transpose(0, 2, 3, 1)
    return x[:, view]


def match(tf_kinks, torch_kinks, orders=None):
    """[(TF kink, PyTorch indicator in TF's layout)] for each TF kink op matched by output."""
    pairs = []
    for i, (_, tf_out, _) in enumerate(tf_kinks):
        for j, (torch_out, _) in enumerate(torch_kinks):
            for view, value in _views(tf_out, torch_out, orders or {}):
                distance = float(np.max(np.abs(tf_out - value))) if tf_out.size else 0.0
                pairs.append((distance, i, j, view))
    pairs.sort(key=lambda p: p[0])
    used_tf, used_torch, matched = set(), set(), []
    for _, i, j, view in pairs:
        if i in used_tf or j in used_torch:
            continue
        used_tf.add(i)
        used_torch.add(j)
        matched.append((tf_kinks[i], _apply(view, torch_kinks[j][1])))
    return matched


def flips(tf_runs, torch_substeps, orders=None):
    """{"kink_flips": count, "kink_nearest": the largest |x| among them, "kink_first": the
    largest |x| in the first sub-step that flipped, "flip": where that one lies (sub-step,
    tensor, variable, unit, both x), "kink_unmatched": TF kink ops with no PyTorch twin}, over
    every training run of one step."""
    count, nearest, unmatched = 0, 0.0, 0
    first, worst = 0.0, None  # The largest |x| of the first sub-step that flipped, and where.
    for index, run in enumerate(tf_runs):
        calls = torch_substeps[index] if index < len(torch_substeps) else []
        matched = match(run["kinks"], calls, orders)
        unmatched += len(run["kinks"]) - len(matched)
        first_here = worst is None
        for (op, _, tf_x), torch_x in matched:
            flipped = (tf_x > 0) != (torch_x > 0)
            if not flipped.any():
                continue
            count += int(flipped.sum())
            where = np.flatnonzero(flipped)
            # How far from zero: the side where x > 0 reads x itself (a ReLU's other side reads 0).
            far = np.maximum(np.abs(tf_x.reshape(-1)[where]), np.abs(torch_x.reshape(-1)[where]))
            nearest = max(nearest, float(far.max()))
            # Later sub-steps run on weights the first flip already moved: only the first
            # flipping sub-step of a step says how near zero a flip lies.
            if first_here and float(far.max()) >= first:
                k = where[np.argmax(far)]
                first = float(far.max())
                worst = {
                    "substep": run["label"],
                    "tensor": op.name,
                    "variable": graph_reading.nearest_variable(op),
                    "unit": [int(u) for u in np.unravel_index(k, tf_x.shape)],
                    "tf": float(tf_x.reshape(-1)[k]),
                    "pytorch": float(torch_x.reshape(-1)[k]),
                }
    return {
        "kink_flips": count,
        "kink_nearest": nearest,
        "kink_first": first,
        "flip": worst,
        "kink_unmatched": unmatched,
    }


def describe(flip):
    """Where a flip sat, in a few words: sub-step, layer (its variable's scope), unit."""
    variable = flip["variable"]
    generic = ("kernel", "bias", "weights", "biases", "gamma", "beta")
    layer = variable.rsplit("/", 1)[0] if variable.endswith(generic) else variable
    layer = layer or flip["tensor"]
    when = " before any update" if flip.get("before_update") else ""
    return f"{flip['substep']} step{when}, {layer}{flip['unit']}"


def detail(flip):
    """The flip in full: the op, and the branch indicator x on both sides."""
    return (
        f"{flip['substep']} step{' before any update' if flip.get('before_update') else ''}, "
        f"{flip['tensor']}{flip['unit']} (the layer of "
        f"{flip['variable'] or '?'}): x = {flip['tf']:+.2e} in TF, "
        f"{flip['pytorch']:+.2e} in PyTorch"
    )
