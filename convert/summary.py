"""What a conversion prints: one line as before, then what it converted, what it left out and why.

Every count is read off the model's map and the two checkpoints themselves, so the block says
what happened, not what the flags asked for.
"""

import math

from convert import listing, maps, tf_side


def _count(n, noun):
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _weights_line(m, direction):
    """'converted: W weights, S BatchNorm statistics (N numbers) <direction>'."""
    trainable = [n for n in m.weights if n in m.case.port.NAME_MAP]
    statistics = len(m.weights) - len(trainable)
    numbers = sum(math.prod(m.shapes[n]) for n in m.weights)
    parts = [_count(len(trainable), "weight")]
    if statistics:
        parts.append(_count(statistics, "BatchNorm statistic"))
    return f"  converted: {', '.join(parts)} ({numbers:,} numbers) {direction}"


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
        return [
            f"{model}: {source} -> {written} (weights only; step {step})",
            _weights_line(m, "-> G and D state_dicts"),
            f"  left out (--weights-only): {left}; opt_G and opt_D are None, a fresh Adam when "
            "loaded",
        ]
    slots = sum(2 * len(o["names"]) for o in m.optimizers.values())
    powers = sum(len(o["powers"]) for o in m.optimizers.values())
    return [
        f"{model}: {source} -> {written} (step {checkpoint['step']}; "
        f"Adam updates D {updates['D']}, G {updates['G']})",
        _weights_line(m, "-> G and D state_dicts"),
        f"  converted: {slots} Adam slots (m, v) -> opt_G and opt_D exp_avg, exp_avg_sq; "
        f"{powers} beta powers -> step counts D {updates['D']}, G {updates['G']}",
        "  added: the model's default learning rates and betas (a TF checkpoint holds none)",
        "  left out: nothing",
    ]


def torch_to_tf(model, pt, written, checkpoint, values, steps, weights_only):
    """The report of `python -m convert torch-to-tf`."""
    m = maps.model_map(model)
    twinned = {(net, key) for net, key, _ in m.weights.values()}
    untwinned = [
        f"{net} {key}" for net in "GD" for key in m.state_shapes[net] if (net, key) not in twinned
    ]
    left = []
    if checkpoint.get("step") is not None:
        left.append(f"step {checkpoint['step']} (a TF checkpoint holds none)")
    if untwinned:
        left.append(f"{', '.join(untwinned)} (no TF twin)")
    extra = sorted(set(checkpoint) - {"model", "format", "step", "G", "D", "opt_G", "opt_D"})
    if extra:
        left.append(f"{', '.join(extra)} (a run's resume state, not the model's)")
    if weights_only:
        present = [k for k in ("opt_G", "opt_D") if checkpoint.get(k) is not None]
        if present:
            left.insert(0, f"{' and '.join(present)} (--weights-only)")
        return [
            f"{model}: {pt} -> {written} (weights only: {len(values)} variables, no optimizer "
            "state)",
            _weights_line(m, "from G and D"),
            f"  left out: {'; '.join(left) or 'nothing'}",
        ]
    slots = sum(2 * len(o["names"]) for o in m.optimizers.values())
    powers = sum(len(o["powers"]) for o in m.optimizers.values())
    fresh = [f"opt_{net}" for net in ("G", "D") if steps[net] is None]
    return [
        f"{model}: {pt} -> {written} ({len(values)} variables; step "
        f"{checkpoint.get('step')}, which a TF checkpoint does not hold; Adam updates "
        f"D {steps['D'] or 0}, G {steps['G'] or 0})",
        _weights_line(m, "from G and D"),
        f"  converted: opt_G and opt_D -> {slots} Adam slots; their step counts -> {powers} "
        "beta powers"
        + (
            f" ({' and '.join(fresh)} None: zero slots and the first beta powers, a fresh Adam)"
            if fresh
            else ""
        ),
        f"  left out: {'; '.join(left) or 'nothing'}",
    ]
