"""`torch.optim.Adam`'s arithmetic, bit for bit, over one flat buffer instead of per tensor.

The small models' Adam steps (the Gaussian toys: 8 tensors of 1-15 numbers) spend almost all
their time in Python and per-call dispatch: torch's default Adam on a CPU runs about seven
element-wise ops per parameter tensor. `FlatAdam` keeps each parameter's moments as views into
two flat buffers and runs each op once over all of them: the same element-wise float32
operations on the same values in the same order (lerp, mul, addcmul, sqrt, div, add,
addcdiv), so the weights and moments come out bit for bit as torch.optim.Adam's
(tests/test_bench.py, on both CPU kinds' kernel paths), and its state_dict is torch's, so
checkpoints load either way.

Source:
    torch/optim/adam.py `_single_tensor_adam` (PyTorch 2.13), the branch the ports take:
    no amsgrad, no weight decay, no maximize, not capturable, differentiable or fused.

Run:
    Used by ports/backend.py `adam()` for the default Adam of the small models on a CPU;
    python -m pytest tests/test_bench.py -k flat checks it against torch.optim.Adam.

Deviations:
    - None in the numbers. Any other setting, device, a parameter without a gradient or a
      closure falls back to torch.optim.Adam.step itself.
"""

import torch


class FlatAdam(torch.optim.Adam):
    """torch.optim.Adam whose default CPU step runs over flat buffers (module docstring)."""

    def _flat_ready(self):
        """The flat buffers and views for the current state, or None where step() falls back."""
        if len(self.param_groups) != 1:
            return None
        group = self.param_groups[0]
        params = group["params"]
        special = ("amsgrad", "maximize", "foreach", "fused", "capturable", "differentiable")
        if group["weight_decay"] != 0 or any(group.get(k) for k in special):
            return None
        if any(p.grad is None or p.grad.is_sparse or p.device.type != "cpu" for p in params):
            return None
        if len({p.dtype for p in params}) != 1 or torch.is_complex(params[0]):
            return None
        flat = getattr(self, "_flat", None)
        if flat is None or flat["params"] != [id(p) for p in params]:
            flat = self._flatten(params)
        return flat

    def _flatten(self, params):
        """Moments as views into two flat buffers (copied from any state already there); None
        when the parameters' step counts differ (then each needs its own bias correction)."""
        steps = {float(self.state[p]["step"]) for p in params if self.state[p]}
        if len(steps) > 1 or (steps and not all(self.state[p] for p in params)):
            return None
        sizes = [p.numel() for p in params]
        total, dtype = sum(sizes), params[0].dtype
        exp_avg, exp_avg_sq = torch.zeros(total, dtype=dtype), torch.zeros(total, dtype=dtype)
        denom = torch.empty(total, dtype=dtype)
        offsets = [sum(sizes[:i]) for i in range(len(sizes))]
        for p, start, size in zip(params, offsets, sizes):
            state = self.state[p]
            views = (
                exp_avg[start : start + size].view_as(p),
                exp_avg_sq[start : start + size].view_as(p),
            )
            if state:  # A loaded or earlier state: its values move into the buffers.
                views[0].copy_(state["exp_avg"])
                views[1].copy_(state["exp_avg_sq"])
            else:  # As torch's _init_group: a float32 step on the CPU, zero moments.
                state["step"] = torch.tensor(0.0, dtype=torch.float32)
            state["exp_avg"], state["exp_avg_sq"] = views
        self._flat = {
            "params": [id(p) for p in params],
            "exp_avg": exp_avg,
            "exp_avg_sq": exp_avg_sq,
            "grad": torch.empty(total, dtype=dtype),
            "denom": denom,
            "steps": [self.state[p]["step"] for p in params],
            "moments": [self.state[p]["exp_avg"] for p in params],
            "denoms": [denom[a : a + n].view_as(p) for p, a, n in zip(params, offsets, sizes)],
        }
        return self._flat

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        self._flat = None  # Rebuilt from the loaded moments at the next step.

    @torch.no_grad()
    def step(self, closure=None):
        flat = None if closure is not None else self._flat_ready()
        if flat is None:
            self._flat = None  # The per-tensor step may leave the moments in new tensors.
            return super().step(closure)
        group = self.param_groups[0]
        params = group["params"]
        beta1, beta2 = group["betas"]
        lr, eps = group["lr"], group["eps"]
        grad, exp_avg, exp_avg_sq = flat["grad"], flat["exp_avg"], flat["exp_avg_sq"]
        torch.cat([p.grad.reshape(-1) for p in params], out=grad)
        torch._foreach_add_(flat["steps"], 1)
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        step = flat["steps"][0].item()
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        # (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps), in a buffer of its own.
        torch.sqrt(exp_avg_sq, out=flat["denom"]).div_(bias_correction2_sqrt).add_(eps)
        torch._foreach_addcdiv_(params, flat["moments"], flat["denoms"], value=-step_size)
        return None
