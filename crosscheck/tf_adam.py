"""An Adam for PyTorch that computes exactly what TF1's `tf.compat.v1.train.AdamOptimizer` does.

Used inside the cross-check, so that what remains between a reference and its port is the
model, not the optimizer, and to continue in PyTorch a run that TF began (convert/checkpoint.py).
TF1 differs from `torch.optim.Adam` in two ways (docs/anchors.md pitfalls 3.1 and 3.14):

1. Epsilon placement. TF1's kernel (ApplyAdam) folds the bias correction into the step size,
       alpha_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
       m <- m + (g - m) (1 - beta1);  v <- v + (g^2 - v) (1 - beta2)
       w <- w - alpha_t m / (sqrt(v) + eps)
   so eps is the paper's "epsilon hat" added to sqrt(v), while PyTorch adds eps to
   sqrt(v / (1 - beta2^t)). No choice of eps makes them equal: the gap depends on t.
2. float32 constants. Even in a float64 graph, TF1 makes lr, beta1, beta2 and eps float32
   tensors and casts them, and keeps beta1^t, beta2^t in float32 variables multiplied in
   float32 after each step (lr 0.05 acts as 0.05000000074505806).

Its state_dict is `torch.optim.Adam`'s (groups with lr, betas, eps; per parameter `step`,
`exp_avg` = m, `exp_avg_sq` = v), so either optimizer loads the other's state. TF1's two
beta-power accumulators are not stored: they are a function of the step count (`beta_power`).
"""

import numpy as np
import torch

# float32 beta -> TF1's accumulator after 0, 1, 2, ... updates, up to its fixed point.
_POWERS = {}
_TINY = float(np.finfo(np.float32).tiny)  # The smallest normal float32.


def beta_power(beta, updates):
    """TF1's `beta1_power` / `beta2_power` after `updates` Adam updates, as a float.

    TF1 starts the float32 variable at beta and multiplies it by float32(beta) after each
    update (`_finish`), so during update t it reads beta^t and afterwards holds beta^(t+1).
    Each product is rounded to float32, and TF's CPU kernels flush denormals to zero
    (measured on TF 2.21: 2^-126 * 0.5 gives 0), so beta2 = 0.999 reaches 0 after ~87,000
    updates and stays there.
    """
    beta32 = np.float32(beta)
    powers = _POWERS.setdefault(float(beta32), [float(beta32)])
    while len(powers) <= updates:
        product = float(np.float32(np.float32(powers[-1]) * beta32))
        product = 0.0 if abs(product) < _TINY else product
        if product == powers[-1]:  # A fixed point (0, or beta 1): every later value is this.
            return product
        powers.append(product)
    return powers[updates]


def updates_of(beta1, beta2, power1, power2):
    """The smallest update count after which TF1 holds these beta powers, or None if none does.

    Past ~87,000 updates both powers are 0 and every larger count computes the same numbers.
    """
    t = 0
    while True:
        p1, p2 = beta_power(beta1, t), beta_power(beta2, t)
        if (p1, p2) == (power1, power2):
            return t
        if (p1, p2) == (beta_power(beta1, t + 1), beta_power(beta2, t + 1)):
            return None  # Both accumulators reached their fixed points without a match.
        t += 1


class TFAdam(torch.optim.Optimizer):
    """TF1's Adam: the beta powers are float32 accumulators shared by all parameters, as TF1's."""

    def __init__(self, params, lr=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8):
        if lr <= 0:
            raise ValueError(f"lr must be positive, got {lr}.")
        # torch.optim.Adam's group keys and defaults, so the two load each other's state_dicts.
        defaults = dict(
            lr=lr,
            betas=(beta1, beta2),
            eps=epsilon,
            weight_decay=0,
            amsgrad=False,
            maximize=False,
            foreach=None,
            capturable=False,
            differentiable=False,
            fused=None,
            decoupled_weight_decay=False,
        )
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps = np.float32(group["lr"]), np.float32(group["eps"])
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if not state:
                    state["step"] = torch.tensor(0.0, dtype=torch.float32)  # As torch's Adam.
                    state["exp_avg"] = torch.zeros_like(param)
                    state["exp_avg_sq"] = torch.zeros_like(param)
                # TF1 reads its accumulators (beta^t) before _finish multiplies them.
                t = int(state["step"].item())
                power1, power2 = beta_power(beta1, t), beta_power(beta2, t)
                # Scalars in the parameter's precision, from the float32 constants (TF's casts).
                real = np.float64 if param.dtype == torch.float64 else np.float32
                one = real(1)
                alpha = real(lr) * np.sqrt(one - real(power2)) / (one - real(power1))
                m, v, grad = state["exp_avg"], state["exp_avg_sq"], param.grad
                m.add_((grad - m) * float(one - real(np.float32(beta1))))
                v.add_((grad * grad - v) * float(one - real(np.float32(beta2))))
                param.sub_((m * float(alpha)) / (v.sqrt() + float(real(eps))))
                state["step"] += 1
