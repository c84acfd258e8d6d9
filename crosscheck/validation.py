"""A case checked against its graph and its port before any number is drawn: every mismatch
ends in one sentence that names the first problem (and lists every missing and unexpected name)."""

import numpy as np

from crosscheck.case import CaseError
from ports import layouts

LAYOUTS = (
    "same, dense, conv, conv_transpose, dense_nhwc_in:H,W,C, dense_nhwc_out:H,W,C, "
    "nhwc_vector:H,W,C"
)


def names(items, limit=10):
    items = sorted(items)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def check(case, tf_side, torch_side):
    """Raise `CaseError` for the first way the case does not fit its graph or its port."""
    shapes = {v.op.name: v.shape.as_list() for v in tf_side.variables}
    missing, unexpected = set(shapes) - set(case.name_map), set(case.name_map) - set(shapes)
    if missing or unexpected:
        first = (
            f"TF variable '{min(missing)}' has no name-map entry"
            if missing
            else f"name-map entry '{min(unexpected)}' is no trainable variable of the graph"
        )
        lists = [f"missing ({len(missing)}): {names(missing)}"] if missing else []
        lists += [f"unexpected ({len(unexpected)}): {names(unexpected)}"] if unexpected else []
        raise CaseError(f"{first}; " + "; ".join(lists) + ".")
    mapped = {}
    for name, entry in case.name_map.items():
        if not (isinstance(entry, (tuple, list)) and len(entry) == 2):
            raise CaseError(f"name-map entry '{name}' is {entry!r}, not (parameter path, layout).")
        path, layout = entry
        try:
            param = layouts.parameter(torch_side.nets, path)
        except (KeyError, AttributeError):
            head = path.split(".", 1)[0]
            have = (
                names(n for n, _ in torch_side.nets[head].named_parameters())
                if head in torch_side.nets
                else f"modules {names(torch_side.nets)}"
            )
            raise CaseError(
                f"name-map entry '{name}' points at '{path}', which the PyTorch modules do not "
                f"have ({head if head in torch_side.nets else 'the case'} has: {have})."
            ) from None
        try:
            shape = layouts.to_torch(layout, np.zeros(shapes[name])).shape
        except (KeyError, ValueError, IndexError):
            raise CaseError(
                f"name-map entry '{name}' has layout {layout!r}, which does not fit its shape "
                f"{shapes[name]} (layouts: {LAYOUTS})."
            ) from None
        if tuple(shape) != tuple(param.shape):
            raise CaseError(
                f"TF variable '{name}' has shape {shapes[name]}; layout '{layout}' makes it "
                f"{list(shape)}, but {path} has shape {list(param.shape)}."
            )
        if id(param) in mapped:
            raise CaseError(f"name-map entries '{mapped[id(param)]}' and '{name}' both map {path}.")
        mapped[id(param)] = name
    unmapped = [
        f"{head}.{n}"
        for head, net in torch_side.nets.items()
        for n, p in net.named_parameters()
        if p.requires_grad and id(p) not in mapped
    ]
    if unmapped:
        raise CaseError(
            f"PyTorch parameter '{unmapped[0]}' has no TF variable in the name map "
            f"(unmapped ({len(unmapped)}): {names(unmapped)})."
        )
    updated = {v for sub in tf_side.substeps for v in sub.variables}
    untrained = sorted(set(shapes) - updated - set(case.untrained))
    if untrained:
        raise CaseError(
            f"TF variable '{untrained[0]}' is trainable but no train op updates it: the "
            f"var_lists leave out {names(untrained)}; fix the var_list, or list them in the "
            "case's `untrained` if that is meant."
        )
