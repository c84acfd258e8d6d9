"""What the cross-check reads off a TF1 graph: its train ops, var_lists, losses, optimizer
constants, the ops a `Session.run` computes, and its kinks (ReLU-like ops).

TF1's `Optimizer.minimize(loss, var_list=...)` leaves a fixed shape in the graph: one Apply op
per variable, named `<optimizer>/update_<variable>/Apply<Kind>`, whose inputs are the variable,
its slots, the optimizer's constants and the gradient; the train op is the op named
`<optimizer>` (a NoOp, or an AssignAdd of the global step). The gradient comes from
`tf.gradients(loss)`, whose first op sits in the name scope `gradients*/<loss op>_grad/`.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from crosscheck.case import SHORT, CaseError

# Apply op type -> (optimizer kind, {constant: input name}).
APPLY = {
    "ApplyAdam": ("adam", {"lr": "lr", "beta1": "beta1", "beta2": "beta2", "epsilon": "epsilon"}),
    "ApplyGradientDescent": ("sgd", {"lr": "alpha"}),
    "ApplyMomentum": ("momentum", {"lr": "lr", "momentum": "momentum"}),
}
APPLY.update({f"Resource{kind}": value for kind, value in list(APPLY.items())})
GRADIENT_INPUT = {"adam": "grad", "sgd": "delta", "momentum": "grad"}
# Optimizer kind -> {slot: Apply op input}, and the non-slot inputs (Adam's beta powers).
SLOT_INPUTS = {"adam": {"m": "m", "v": "v"}, "sgd": {}, "momentum": {"momentum": "accum"}}
POWER_INPUTS = {"adam": ("beta1_power", "beta2_power"), "sgd": (), "momentum": ()}
KINK_TYPES = {"Relu", "LeakyRelu", "Maximum", "Minimum"}  # Piecewise-linear, kink at a tie.


@dataclasses.dataclass
class SubStep:
    """One train op: what it updates, what it minimizes, and its optimizer's constants."""

    label: str  # "D", "G", or the name-map head of the variables it updates.
    train_op: object  # The tf.Operation that `minimize` returned.
    loss: object  # The tensor it minimizes.
    variables: list  # TF names of its var_list, in the order of its Apply ops.
    kind: str  # "adam", "sgd" or "momentum".
    constants: dict  # lr, beta1, beta2, epsilon (Adam); lr, momentum, nesterov (momentum).
    grads: dict  # TF variable name -> the gradient tensor its Apply op reads.
    # TF variable name -> {"m": name, "v": name} (Adam) or {"momentum": name}: its slot
    # variables, as its Apply op reads them (none for plain SGD).
    slots: dict = dataclasses.field(default_factory=dict)
    powers: tuple = ()  # Adam's (beta1_power, beta2_power) variable names; () otherwise.


def variable_name(tensor):
    """The TF variable (ref or resource) a tensor refers to, without ':0'."""
    return tensor.op.name


def read_variable(tensor):
    """The name of the TF variable an Apply op's input reads: the variable's ref or handle
    itself, or its value through Identity (`<var>/read`), ReadVariableOp or Cast (TF1's Adam
    casts its float32 beta powers to the variable's dtype)."""
    op = tensor.op
    while op.type in ("Identity", "ReadVariableOp", "Cast") and op.inputs:
        op = op.inputs[0].op
    return op.name


def read_substeps(graph, name_map, overrides=None, order=()):
    """Every train op in `graph` as a `SubStep`, in build order (or `order`'s)."""
    overrides = overrides or {}
    groups = {}
    for op in graph.get_operations():
        if op.type in APPLY:
            groups.setdefault(op.name.rsplit("/update_", 1)[0], []).append(op)
        elif op.type.startswith(("Apply", "ResourceApply", "SparseApply", "ResourceSparseApply")):
            scope = op.name.rsplit("/update_", 1)[0]
            raise CaseError(
                f"the graph's optimizer '{scope}' updates with {op.type}, which the cross-check "
                "does not read (it reads Adam, GradientDescent and Momentum); give the case an "
                "`optimizers` function that builds the PyTorch side's optimizers."
            )
    if not groups:
        raise CaseError(
            "the graph has no train op (no ApplyAdam, ApplyGradientDescent or ApplyMomentum "
            "op); build the optimizers' minimize() inside the case's graph function."
        )
    steps = []
    for scope, applies in groups.items():
        try:
            train_op = graph.get_operation_by_name(scope)
        except KeyError:
            raise CaseError(f"no train op named '{scope}' groups the updates {scope}/update_*.")
        kind, names = APPLY[applies[0].type]
        variables = [variable_name(op.inputs[0]) for op in applies]
        label = _label(scope, variables, name_map)
        grads = {v: _input(op, GRADIENT_INPUT[kind]) for v, op in zip(variables, applies)}
        constants = {
            key: _constant(applies[0], arg, scope, label, key, overrides)
            for key, arg in names.items()
        }
        if kind == "momentum":
            constants["nesterov"] = bool(applies[0].get_attr("use_nesterov"))
        constants.update(overrides.get(label, {}))
        loss = _loss_of(graph, grads[variables[0]], scope)
        slots = {
            v: {slot: read_variable(_input(op, arg)) for slot, arg in SLOT_INPUTS[kind].items()}
            for v, op in zip(variables, applies)
        }
        powers = tuple(read_variable(_input(applies[0], arg)) for arg in POWER_INPUTS[kind])
        steps.append(
            SubStep(label, train_op, loss, variables, kind, constants, grads, slots, powers)
        )
    steps.sort(key=lambda s: s.train_op._id)  # noqa: SLF001  (TF's own creation counter)
    labels = [s.label for s in steps]
    if len(set(labels)) != len(labels):
        raise CaseError(f"two train ops update the same network ({labels}); name them in `order`.")
    if order:
        if sorted(order) != sorted(labels):
            raise CaseError(f"the case's order {list(order)} is not a permutation of {labels}.")
        steps.sort(key=lambda s: list(order).index(s.label))
    return steps


def _label(scope, variables, name_map):
    heads = sorted({name_map[v][0].split(".", 1)[0] for v in variables if v in name_map})
    if not heads:
        raise CaseError(f"train op '{scope}' updates {variables[0]}, which the name map lacks.")
    return "+".join(SHORT.get(head, head) for head in heads)


def _input(op, arg):
    names = [a.name for a in op.op_def.input_arg]
    return op.inputs[names.index(arg)]


def _constant(apply_op, arg, scope, label, key, overrides):
    """An optimizer constant (float32 in TF1), as the decimal it was written as: 0.05, not
    0.05000000074505806; a CaseError when it is not a constant and the case does not give it."""
    if key in overrides.get(label, {}):
        return overrides[label][key]
    tensor = _input(apply_op, arg)
    value = tf.get_static_value(tensor)
    if value is None:
        raise CaseError(
            f"cannot read the {key} of the {label} step's optimizer '{scope}': it is the "
            f"tensor '{tensor.name}', not a constant; give it in the case, "
            f"adam={{'{label}': {{'{key}': ...}}}}."
        )
    return float(str(np.float32(value)))


def _loss_of(graph, grad, scope):
    """The tensor whose gradient `grad` is: `tf.gradients` opens with a Fill named
    `<gradients scope>/grad_ys_0`, first read in the scope `<gradients scope>/<loss op>_grad/`."""
    prefix = grad.name.split("/", 1)[0]
    try:
        fill = graph.get_operation_by_name(f"{prefix}/grad_ys_0")
    except KeyError:
        fill = None
    for consumer in fill.outputs[0].consumers() if fill is not None else ():
        head = consumer.name[len(prefix) + 1 :]
        if "_grad/" in head:
            try:
                return graph.get_operation_by_name(head.rsplit("_grad/", 1)[0]).outputs[0]
            except KeyError:
                continue
    raise CaseError(
        f"cannot tell which loss the optimizer '{scope}' minimizes (its gradients do not come "
        "from minimize()); give the case a `tf_step` that runs the train ops itself."
    )


def fetch_ops(graph, fetches):
    """The operations behind a `Session.run` fetch structure (tensors, ops, names, nests)."""
    if isinstance(fetches, (list, tuple)):
        return [op for f in fetches for op in fetch_ops(graph, f)]
    if isinstance(fetches, dict):
        return [op for f in fetches.values() for op in fetch_ops(graph, f)]
    if isinstance(fetches, str):
        return [
            graph.as_graph_element(fetches).op
            if ":" in fetches
            else graph.as_graph_element(fetches)
        ]
    if hasattr(fetches, "op"):
        return [fetches.op]
    return [fetches] if fetches is not None else []


def computed_ops(ops, fed):
    """Every op a run of `ops` computes, stopping at fed tensors (a fed input is not computed)."""
    seen, stack = set(), list(ops)
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        stack.extend(t.op for t in op.inputs if t not in fed)
        stack.extend(op.control_inputs)
    return seen


def kink_plan(op):
    """(tensors to fetch, values -> branch indicator x) for a kink op, x > 0 on its identity
    branch.

    ReLU, leaky ReLU and a leaky ReLU written as max(x, alpha x) or max(x, 0) are read from
    their OUTPUT, which has x's sign (and is x, or alpha x): Grappler's remapper fuses such an
    op with the MatMul or convolution before it, and its inputs then no longer exist in the
    graph that runs, so fetching them fails. Any other max / min is read from both inputs.
    """
    out = op.outputs[0]
    if op.type == "Relu":
        return [out], lambda values: np.asarray(values[0], dtype=np.float64)
    alpha = op.get_attr("alpha") if op.type == "LeakyRelu" else _leaky_alpha(op)
    if alpha is not None:

        def read(values, alpha=alpha):
            y = np.asarray(values[0], dtype=np.float64)
            return np.where(y > 0, y, y / alpha) if alpha > 0 else y

        return [out], read
    return [out, op.inputs[0], op.inputs[1]], lambda values: indicator(values[1:])


def _leaky_alpha(op):
    """alpha when `op` is max(x, alpha x) (or max(alpha x, x)) with 0 <= alpha < 1, 0.0 for
    max(x, 0); else None."""
    if op.type != "Maximum":
        return None
    for x, other in ((op.inputs[0], op.inputs[1]), (op.inputs[1], op.inputs[0])):
        constant = tf.get_static_value(other)
        if constant is not None and np.ndim(constant) == 0 and constant == 0:
            return 0.0
        if other.op.type == "Mul" and x in list(other.op.inputs):
            factor = [t for t in other.op.inputs if t is not x]
            value = tf.get_static_value(factor[0]) if factor else None
            if value is not None and np.ndim(value) == 0 and 0 <= value < 1:
                return float(value)
    return None


def indicator(inputs):
    """The branch indicator of max(a, b) or min(a, b) from its inputs (PyTorch's kink ops too):
    for a ReLU-like op its input; where one operand is a shrunk copy of the other (0.2 x beside
    x, a leaky ReLU written as maximum), the larger one; else a - b."""
    if len(inputs) == 1:
        return np.asarray(inputs[0], dtype=np.float64)
    a, b = (np.broadcast_to(np.asarray(v, dtype=np.float64), np.shape(inputs[0])) for v in inputs)
    if np.all(a * b >= 0) and np.all(np.abs(b) <= np.abs(a)):
        return a
    if np.all(a * b >= 0) and np.all(np.abs(a) <= np.abs(b)):
        return b
    return a - b


def nearest_variable(op, limit=12):
    """The trainable variable read by the layer that feeds `op` (for naming a kink), or ''."""
    pending, seen = [op], set()
    while pending and len(seen) < limit * 8:
        current = pending.pop(0)
        for tensor in current.inputs:
            source = tensor.op
            if source.type in ("VariableV2", "VarHandleOp"):
                return source.name
            if source.type in ("Identity", "ReadVariableOp") and source.inputs:
                if source.inputs[0].op.type in ("VariableV2", "VarHandleOp"):
                    return source.inputs[0].op.name
            if source not in seen and source.type not in ("Placeholder", "PlaceholderWithDefault"):
                seen.add(source)
                pending.append(source)
    return ""
