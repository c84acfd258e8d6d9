"""An Adam for PyTorch that computes exactly what TF1's `tf.compat.v1.train.AdamOptimizer` does.

Used only inside the cross-check, so that what remains between a reference and its port is
the model, not the optimizer. TF1 differs from `torch.optim.Adam` in two ways (anchors.md
pitfalls 3.1 and 3.14):

1. Epsilon placement. TF1's kernel (ApplyAdam) folds the bias correction into the step size,
       alpha_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
       m <- m + (g - m) (1 - beta1);  v <- v + (g^2 - v) (1 - beta2)
       w <- w - alpha_t m / (sqrt(v) + eps)
   so eps is the paper's "epsilon hat" added to sqrt(v), while PyTorch adds eps to
   sqrt(v / (1 - beta2^t)). No choice of eps makes them equal: the gap depends on t.
2. float32 constants. Even in a float64 graph, TF1 makes lr, beta1, beta2 and eps float32
   tensors and casts them, and keeps beta1^t, beta2^t in float32 variables multiplied in
   float32 after each step (lr 0.05 acts as 0.05000000074505806).
"""

import numpy as np
import torch


class TFAdam(torch.optim.Optimizer):
    """TF1's Adam: one pair of float32 beta-power accumulators for all parameters, as TF1."""

    def __init__(self, params, lr=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8):
        if lr <= 0:
            raise ValueError(f"lr must be positive, got {lr}.")
        super().__init__(params, dict(lr=lr, beta1=beta1, beta2=beta2, epsilon=epsilon))
        # TF1 creates beta1_power / beta2_power with the float32 initial values beta1, beta2.
        self.beta1_power = np.float32(beta1)
        self.beta2_power = np.float32(beta2)

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, beta1, beta2, eps = (
                np.float32(group[key]) for key in ("lr", "beta1", "beta2", "epsilon")
            )
            for param in group["params"]:
                if param.grad is None:
                    continue
                # Scalars in the parameter's precision, from the float32 constants (TF's casts).
                real = np.float64 if param.dtype == torch.float64 else np.float32
                one = real(1)
                alpha = (
                    real(lr)
                    * np.sqrt(one - real(self.beta2_power))
                    / (one - real(self.beta1_power))
                )
                state = self.state[param]
                if not state:
                    state["m"] = torch.zeros_like(param)
                    state["v"] = torch.zeros_like(param)
                m, v, grad = state["m"], state["v"], param.grad
                m.add_((grad - m) * float(one - real(beta1)))
                v.add_((grad * grad - v) * float(one - real(beta2)))
                param.sub_((m * float(alpha)) / (v.sqrt() + float(real(eps))))
            # TF1's _finish: beta powers multiplied in float32 once per step.
            self.beta1_power = np.float32(self.beta1_power * beta1)
            self.beta2_power = np.float32(self.beta2_power * beta2)
