"""The report's cross-checks: the three settings every model is checked in, and their figures.

Each model's case (the registry's `case`, harness/registry/) runs through crosscheck/engine.py
in float64 with TF-exact Adam, float32 with TF-exact Adam and float32 with the port's own
torch.optim.Adam, over the same steps; `check_rows` turns one setting's Result into the
figures the report's tables show.
"""

from harness import registry

# The three settings of the cross-check, in the report's order: (dtype, PyTorch side's Adam).
SETTINGS = (("float64", "tf"), ("float32", "tf"), ("float32", "torch"))
SETTING_LABELS = {
    ("float64", "tf"): "float64, TF-exact Adam",
    ("float32", "tf"): "float32, TF-exact Adam",
    ("float32", "torch"): "float32, torch.optim.Adam",
}


def run_checks(model, steps, seed, log):
    """The three settings of the cross-check over `steps` steps; returns {setting: Result}."""
    from crosscheck import engine

    case = registry.case(model)
    results = {}
    for dtype, adam in SETTINGS:
        log(f"== {model}: cross-check, {steps} steps, {SETTING_LABELS[dtype, adam]}")
        results[dtype, adam] = engine.run(case, steps, dtype=dtype, adam=adam, seed=seed)
    return results


def check_rows(result):
    """The report's row of one setting: loss and variable maxima, floor, tolerance, verdict."""
    from crosscheck import engine

    losses = max(max(s["loss_D"], s["loss_G"]) for s in result.per_step)
    variables = max(s["variables"] for s in result.per_step)
    floor = max((s.get("floor", 0.0) for s in result.per_step), default=0.0)
    if result.adam == "tf":
        tolerance = (
            engine.TOL_FLOAT64_TF_ADAM if result.dtype == "float64" else engine.TOL_FLOAT32_TF_ADAM
        )  # noqa: E501
        tolerance = f"{tolerance:.0e}, then {engine.TOL_FLOOR_RATIO:.0f}x floor"
    else:
        tolerance = "reported (epsilon placement)"
    before = max(result.before_update.values())
    return {
        "losses": losses,
        "variables": variables,
        "floor": floor,
        "before": before,
        "tolerance": tolerance,
        "verdict": "PASS" if result.passed else "FAIL",
    }
