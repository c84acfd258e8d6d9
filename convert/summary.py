"""What a conversion prints: one line as before, then what it converted, what it left out and why.

Every count is read off the map (the model's or the case's) and the two checkpoints
themselves, so the block says what happened, not what the flags asked for.
"""

import math

from convert import listing, maps, tf_side


def _count(n, noun):
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _nets(m):
    """'G and D': the .pt's module keys."""
    return _and(list(m.nets))


def _and(items):
    return (
        ", ".join(items[:-1]) + (" and " if len(items) > 1 else "") + (items[-1] if items else "")
    )


def _opts(m, labels=None):
    """'opt_G and opt_D': the .pt's optimizer keys (of `labels`), in the modules' order."""
    return _and([f"opt_{label}" for label in m.opt_labels if labels is None or label in labels])


def _of_kind(m, kind):
    return [label for label, o in m.optimizers.items() if o["kind"] == kind]


def _counts(updates, labels):
    """'D 20, G 20': Adam's update count of each sub-step (None: 0, a fresh Adam)."""
    return ", ".join(f"{label} {updates[label] or 0}" for label in labels)


def _weights_line(m, direction):
    """'converted: W weights, S BatchNorm statistics (N numbers) <direction>'."""
    trainable = [n for n in m.weights if n in m.case.name_map]
    statistics = len(m.weights) - len(trainable)
    numbers = sum(math.prod(m.shapes[n]) for n in m.weights)
    parts = [_count(len(trainable), "weight")]
    if statistics:
        parts.append(_count(statistics, "BatchNorm statistic"))
    return f"  converted: {', '.join(parts)} ({numbers:,} numbers) {direction}"


def _slot_count(m, kind):
    return sum(len(m.optimizers[label]["names"]) for label in _of_kind(m, kind))


def _left_out_of_tf(m, prefix):
    """'32 slots of Adam, 4 Adam non-slot variables, 1 counter (global_step)': the variables of
    the TF checkpoint that a weights-only conversion did not read, by kind."""
    _, _, shapes, _ = tf_side.open_checkpoint(prefix)
    kinds = {n: k for n, k in listing.classify(shapes).items() if n not in m.weights}
    groups = {}
    for name, kind in sorted(kinds.items()):  # read_tf refused every other kind.
        groups.setdefault((kind["kind"], kind.get("optimizer")), []).append(name)
    phrases = []
    order = ("slot", "non-slot", "counter")
    for (kind, optimizer), names in sorted(groups.items(), key=lambda g: order.index(g[0][0])):
        n, one = len(names), len(names) == 1
        phrases.append(
            {
                "slot": f"{n} {'slot' if one else 'slots'} of {optimizer}",
                "non-slot": f"{n} {optimizer} non-slot {'variable' if one else 'variables'}",
                "counter": f"{n} {'counter' if one else 'counters'} ({', '.join(names)})",
            }[kind]
        )
    return phrases


def tf_to_torch(model, source, written, checkpoint, updates, weights_only):
    """The report of `python -m convert tf-to-torch`."""
    m = maps.model_map(model)
    prefix = tf_side.checkpoint_prefix(source)
    if weights_only:
        step = "not recorded" if checkpoint["step"] is None else f"recorded {checkpoint['step']}"
        left = (
            ", ".join(_left_out_of_tf(m, prefix))
            or "nothing (the checkpoint holds no optimizer state)"
        )
        fresh = "a fresh Adam" if set(_of_kind(m, "adam")) == set(m.labels) else "fresh"
        none = f"; {_opts(m)} {'is' if len(m.labels) == 1 else 'are'} None, {fresh} when loaded"
        return [
            f"{m.name}: {source} -> {written} (weights only; step {step})",
            _weights_line(m, f"-> {_nets(m)} state_dicts"),
            f"  left out (--weights-only): {left}" + (none if m.labels else ""),
        ]
    adam, momentum, sgd = (_of_kind(m, kind) for kind in ("adam", "momentum", "sgd"))
    counts = f"; Adam updates {_counts(updates, adam)}" if adam else ""
    lines = [
        f"{m.name}: {source} -> {written} (step {checkpoint['step']}{counts})",
        _weights_line(m, f"-> {_nets(m)} state_dicts"),
    ]
    if adam:
        powers = sum(len(m.optimizers[label]["powers"]) for label in adam)
        lines.append(
            f"  converted: {2 * _slot_count(m, 'adam')} Adam slots (m, v) -> {_opts(m, adam)} "
            f"exp_avg, exp_avg_sq; {powers} beta powers -> step counts {_counts(updates, adam)}"
        )
    if momentum:
        lines.append(
            f"  converted: {_slot_count(m, 'momentum')} Momentum slots (accumulators) -> "
            f"{_opts(m, momentum)} momentum_buffer"
        )
    if sgd:
        lines.append(f"  converted: nothing for {_opts(m, sgd)} (GradientDescent keeps no state)")
    constants = ["learning rates"] + ["betas"] * bool(adam) + ["momenta"] * bool(momentum)
    return lines + [
        f"  added: the model's default {_and(constants)} (a TF checkpoint holds none)",
        "  left out: nothing",
    ]


def torch_to_tf(model, pt, written, checkpoint, values, steps, weights_only):
    """The report of `python -m convert torch-to-tf`."""
    m = maps.model_map(model)
    twinned = {(net, key) for net, key, _ in m.weights.values()}
    untwinned = [
        f"{net} {key}" for net in m.nets for key in m.state_shapes[net] if (net, key) not in twinned
    ]
    left = []
    if checkpoint.get("step") is not None:
        left.append(f"step {checkpoint['step']} (a TF checkpoint holds none)")
    if untwinned:
        left.append(f"{', '.join(untwinned)} (no TF twin)")
    extra = sorted(set(checkpoint) - set(m.keys))
    if extra:
        left.append(f"{', '.join(extra)} (a run's resume state, not the model's)")
    if weights_only:
        present = [k for k in m.keys if k.startswith("opt_") and checkpoint.get(k) is not None]
        if present:
            left.insert(0, f"{_and(present)} (--weights-only)")
        return [
            f"{m.name}: {pt} -> {written} (weights only: {len(values)} variables, no optimizer "
            "state)",
            _weights_line(m, f"from {_nets(m)}"),
            f"  left out: {'; '.join(left) or 'nothing'}",
        ]
    adam, momentum = _of_kind(m, "adam"), _of_kind(m, "momentum")
    counts = f"; Adam updates {_counts(steps, adam)}" if adam else ""
    lines = [
        f"{m.name}: {pt} -> {written} ({len(values)} variables; step "
        f"{checkpoint.get('step')}, which a TF checkpoint does not hold{counts})",
        _weights_line(m, f"from {_nets(m)}"),
    ]
    for kind, labels in (("adam", adam), ("momentum", momentum)):
        if not labels:
            continue
        fresh = [label for label in labels if checkpoint[f"opt_{label}"] is None]
        none = (
            f" ({_opts(m, fresh)} None: zero slots"
            + (" and the first beta powers, a fresh Adam)" if kind == "adam" else ")")
            if fresh
            else ""
        )
        if kind == "adam":
            powers = sum(len(m.optimizers[label]["powers"]) for label in adam)
            lines.append(
                f"  converted: {_opts(m, adam)} -> {2 * _slot_count(m, 'adam')} Adam slots; "
                f"their step counts -> {powers} beta powers{none}"
            )
        else:
            lines.append(
                f"  converted: {_opts(m, momentum)} -> {_slot_count(m, 'momentum')} Momentum "
                f"slots{none}"
            )
    return lines + [f"  left out: {'; '.join(left) or 'nothing'}"]
