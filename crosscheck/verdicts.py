"""The cross-check's tolerances, the rule that turns per-step differences into verdicts, and the
printed table.

The rule, with TF's Adam arithmetic on the PyTorch side (`--adam tf`): every step's losses and
variables agree within the tolerance while TF's own one-ulp twin stays ten times below it;
from the step where that twin drifts further (the floor), the port is held to 100x the floor
instead. A step that breaks this is explained, not failed, when a kink flipped at that step
or before it (crosscheck/kinks.py): from a flip on, the two follow different branches of a
piecewise-linear function. A flip is judged too: rounding can only flip an input within
rounding of zero, so a flip farther than the tolerance from zero means another function.
With the port's own Adam (`--adam torch`) epsilon's placement moves every weight by about
1e-5 a step by design: the differences are reported, never judged.
"""

import dataclasses
import re

from crosscheck import kinks

TOL_FLOAT64_TF_ADAM = 1e-12  # Same maths, float64: only rounding differs (measured ~1e-17..1e-14).
TOL_FLOAT32_TF_ADAM = 1e-5  # Same maths, float32: rounding grows to ~1e-6 over 250 steps.
TOL_BEFORE_UPDATE_FLOAT64 = 1e-12
TOL_TORCH_ADAM = 1e-4  # The GAN with the port's own Adam: epsilon placement moves weights ~1e-5
TORCH_ADAM_CHECKED_STEPS = 10  # per step; tests hold it to TOL_TORCH_ADAM over the first 10 steps.
TOL_FLOOR_RATIO = 100.0  # Once TF drifts from itself (the floor), the port may drift 100x as far.


@dataclasses.dataclass
class Result:
    """Per-step maxima of |TF - PyTorch|, and the verdicts against the stated tolerances."""

    steps: int
    dtype: str
    adam: str
    before_update: dict  # quantity -> max |diff| (step 1's losses and gradients)
    per_step: list  # one dict per step: "loss_<label>", "variables", "floor", kink counts
    per_variable: dict  # variable -> max |diff| over all steps
    rows: list  # (quantity, max |diff|, tolerance or None, verdict)

    @property
    def passed(self):
        return all(verdict != "FAIL" for *_, verdict in self.rows)

    @property
    def first_flip(self):
        """The 1-based step of the first kink flip, or None."""
        found = [re.match(r"first kink flip, \|x\| \(step (\d+)", q) for q, *_ in self.rows]
        return next((int(m.group(1)) for m in found if m), None)

    @property
    def kink_step(self):
        """The 1-based step of the kink flip that explains the steps after it, or None."""
        found = [re.match(r"kink flip at step (\d+) explains", q) for q, *_, v in self.rows]
        return next((int(m.group(1)) for m in found if m), None)


def loss_keys(record):
    return [key for key in record if key.startswith("loss_")]


def judge(per_step, dtype="float32", adam="tf"):
    """Verdict rows for per-step records ("loss_*", "variables", "floor", kink counts) made
    outside the engine (convert's continued runs), by the same rule."""
    return verdict_rows({}, per_step, {}, dtype, adam)


def verdict_rows(before, per_step, per_variable, dtype, adam, before_tol=None, slips=()):
    """The table's rows: step 1's quantities, the rule over the steps, and what is reported.

    Step 1's gradients are explained, not failed, when a kink flipped in that same pass: a
    flipped unit passes its gradient whole in one framework and scaled in the other.
    """
    float64 = dtype == "float64"
    if before_tol is None:
        before_tol = TOL_BEFORE_UPDATE_FLOAT64 if float64 else 1e-6
    tol = TOL_FLOAT64_TF_ADAM if float64 else TOL_FLOAT32_TF_ADAM
    flip, _, flip_ok = first_flip(per_step, tol)
    flipped = bool(per_step and per_step[0].get("kink_flips_before")) and flip_ok
    rows = []
    for quantity, value in before.items():
        verdict = "ok" if value <= before_tol else "FAIL"
        if verdict == "FAIL" and quantity == "gradients" and flipped:
            verdict = "explained"
        rows.append((f"step 1 {quantity}", value, before_tol, verdict))
    counts = {}
    for slip in slips:  # The masks are fed, so a wrong rate would not show in the numbers.
        counts[slip] = counts.get(slip, 0) + 1
    for (label, p, rate), count in counts.items():
        calls = f"{count} call{'s' if count > 1 else ''}"
        rows.append(
            (
                f"dropout in the {label} step: PyTorch p={p:g}, TF rate={rate:g} ({calls})",
                abs(p - rate),
                0.0,
                "FAIL",
            )
        )
    quantities = loss_keys(per_step[0]) + ["variables"] if per_step else []
    if adam == "torch":
        window = per_step[:TORCH_ADAM_CHECKED_STEPS]
        for quantity in quantities:
            for part, label in (
                (window, f"first {len(window)} steps"),
                (per_step, f"all {len(per_step)} steps"),
            ):
                value = max(s[quantity] for s in part)
                suffix = ", epsilon placement" if part is window else ""
                rows.append((f"{quantity} ({label}{suffix})", value, None, "reported"))
    else:
        excess_at_start = flipped and before.get("gradients", 0.0) > before_tol
        rows += _tf_adam_rows(per_step, quantities, tol, excess_at_start)
    if per_step and "floor" in per_step[0]:
        value = max(s["floor"] for s in per_step)
        rows.append(("floor: TF vs TF with one weight 1 ulp off", value, None, "reported"))
    for name, value in per_variable.items():
        rows.append((f"  {name}", value, None, "reported"))
    return rows


def _opened(per_step, tol):
    """The first step (0-based) whose one-ulp twin is a tenth of the tolerance away, or None."""
    return next((i for i, s in enumerate(per_step) if s.get("floor", 0) > tol / 10), None)


def first_flip(per_step, tol):
    """(step of the first kink flip or None, its bound, whether it lies within the bound).

    Rounding can only flip an input within rounding of zero while the two follow one
    trajectory (within the floor rule once TF drifts from itself): the FIRST flip is held to
    that; after it the trajectories part, and later flips can lie anywhere.
    """
    flip = next((i for i, s in enumerate(per_step) if s.get("kink_flips")), None)
    if flip is None:
        return None, tol, True
    opened, s = _opened(per_step, tol), per_step[flip]
    drifting = opened is not None and flip >= opened
    bound = max(tol, TOL_FLOOR_RATIO * s.get("floor", 0.0)) if drifting else tol
    return flip, bound, s.get("kink_first", s["kink_nearest"]) <= bound


def _tf_adam_rows(per_step, quantities, tol, excess_at_start=False):
    """The rule over the steps (the module docstring), as rows."""

    def verdict(value, tolerance):
        return "ok" if value <= tolerance else "FAIL"

    opened = _opened(per_step, tol)

    def breaks(i):
        s = per_step[i]
        if opened is None or i < opened:
            return max(s[q] for q in quantities) > tol
        return s["variables"] / max(s["floor"], 1e-300) > TOL_FLOOR_RATIO

    # Past the tolerance, with or without TF's own drift: a flip at that step or before it
    # names the cause. Without one, only the floor rule can pass the step.
    excess = 0 if excess_at_start else None
    excess = next(
        (i for i, s in enumerate(per_step) if max(s[q] for q in quantities) > tol), excess
    )
    flip, bound, flip_ok = first_flip(per_step, tol)
    explained = excess is not None and flip is not None and flip <= excess and flip_ok
    failure = next((i for i in range(len(per_step)) if breaks(i)), None)
    end = flip if explained else (len(per_step) if failure is None else failure + 1)
    rows = []
    strict = per_step[: end if opened is None else min(end, opened)]
    label = "" if len(strict) == len(per_step) else f" (steps 1-{len(strict)})"
    if opened == 0:
        rows.append(
            (
                f"TF's own drift exceeds {tol / 10:.0e} from step 1",
                per_step[0]["floor"],
                None,
                "reported",
            )
        )
    for quantity in quantities if strict else ():
        value = max(s[quantity] for s in strict)
        rows.append((f"{quantity}{label}", value, tol, verdict(value, tol)))
    if opened is not None and opened < end:
        ratio = max(s["variables"] / max(s["floor"], 1e-300) for s in per_step[opened:end])
        span = f"steps {opened + 1}-{end}"
        rows.append(
            (
                f"variables / floor ({span})",
                ratio,
                TOL_FLOOR_RATIO,
                verdict(ratio, TOL_FLOOR_RATIO),
            )
        )
    if per_step and "kink_flips" in per_step[0]:
        if flip is not None:
            s = per_step[flip]
            where = kinks.describe(s["flip"]) if s.get("flip") else f"{s['kink_flips']} inputs"
            rows.append(
                (
                    f"first kink flip, |x| (step {flip + 1}, {where})",
                    s.get("kink_first", s["kink_nearest"]),
                    bound,
                    verdict(s.get("kink_first", s["kink_nearest"]), bound),
                )
            )
            if explained:
                rows.append(
                    (
                        f"kink flip at step {flip + 1} explains steps {flip + 1}-{len(per_step)}",
                        s.get("kink_first", s["kink_nearest"]),
                        None,
                        "explained",
                    )
                )
        steps = sum(1 for s in per_step if s["kink_flips"])
        most = max(s["kink_flips"] for s in per_step)
        rows.append(
            (
                f"kink flips: most in one step ({steps} of {len(per_step)} steps)",
                most,
                None,
                "reported",
            )
        )
    if end < len(per_step):
        for quantity in quantities:
            value = max(s[quantity] for s in per_step)
            rows.append((f"{quantity} (all {len(per_step)} steps)", value, None, "reported"))
    return rows


def format_table(name, result):
    """The printed table: quantity, max |difference|, tolerance, verdict."""
    adam = "TF-exact Adam" if result.adam == "tf" else "torch.optim.Adam"
    width = max([44] + [len(q) for q, *_ in result.rows])
    lines = [
        f"{name}: {result.steps} steps, {result.dtype}, {adam} on the PyTorch side",
        f"{'quantity':<{width}} {'max |TF - PyTorch|':>18} {'tolerance':>10}  verdict",
    ]
    for quantity, value, tolerance, verdict in result.rows:
        tol = "-" if tolerance is None else f"{tolerance:.0e}"
        lines.append(f"{quantity:<{width}} {value:>18.3e} {tol:>10}  {verdict}")
    step = result.first_flip
    if step is not None and result.per_step[step - 1].get("flip"):
        detail = kinks.detail(result.per_step[step - 1]["flip"])
        lines.append(f"the first kink flip, at step {step}: {detail}")
    lines.append(f"verdict: {'PASS' if result.passed else 'FAIL'}")
    return "\n".join(lines)
