"""`--fast`'s compiled whole step: one D step and one G step, Adam included, as one function.

A toy's training step is a hundred small PyTorch calls (forward, backward, two Adam steps), and
each pays Python's and the dispatcher's overhead, where TF1 runs the whole step in one C++
call. `WholeStep` writes the step as a pure function of the weights and the optimizers' moments
(`torch.func.grad_and_value` for the gradients, Adam's arithmetic written out) and hands it to
`torch.compile(fullgraph=True)`, which makes one C++ kernel program of it: the Gaussian GAN's
step went from 0.38 to 0.10 ms on a 2-core AMD Zen 5 (docs/speed.md). Compiling D and G
separately is slower: the step then crosses Python between them.

The weights it updates are the modules' own parameters and the moments are the optimizers' own
state tensors (created as torch.optim.Adam creates them), read afresh at every call: the
modules' and optimizers' state_dicts, checkpoints and --resume work as in an eager run.

    step = WholeStep(G, D, opt_D, opt_G, D_loss, G_loss)
    loss_D, loss_G = step(x, z)  # D_loss(D, G, x, z) and G_loss(D, G, x, z), D and G callables

Source:
    The archive's own; the update is torch/optim/adam.py's `_single_tensor_adam` (PyTorch 2.13),
    no amsgrad, weight decay or maximize.

Run:
    Used by the ports under --fast (e.g. python -m ports.gaussian_gan --fast);
    python -m pytest tests/test_fast.py checks it against the eager step.

Deviations:
    - From the eager step: the same maths compiled into other kernels, so it rounds differently
      (about 1e-6 relative per step); opt-in only. The first step compiles (seconds; torch
      caches the result on disk for the next run). Without a working C++ compiler it says so
      once and runs the same function uncompiled.
"""

import sys

import torch
from torch.func import functional_call, grad_and_value


def _adam(params, grads, exp_avgs, exp_avg_sqs, steps, lr, beta1, beta2, eps):
    """torch.optim.Adam's update of `params` in place, with tensor step counts."""
    for param, grad, exp_avg, exp_avg_sq, step in zip(params, grads, exp_avgs, exp_avg_sqs, steps):
        step.add_(1)
        exp_avg.lerp_(grad, 1 - beta1)  # m = b1 m + (1 - b1) g
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)  # v = b2 v + (1 - b2) g^2
        bias_correction1 = 1 - torch.pow(beta1, step)
        bias_correction2_sqrt = torch.sqrt(1 - torch.pow(beta2, step))
        denom = exp_avg_sq.sqrt() / bias_correction2_sqrt + eps  # sqrt(v / (1 - b2^t)) + eps
        param.sub_(exp_avg / denom * (lr / bias_correction1))  # w -= lr m / (1 - b1^t) / denom


class WholeStep:
    """One D step then one G step, compiled as one function (module docstring)."""

    def __init__(self, G, D, opt_D, opt_G, D_loss, G_loss, compile=True):
        self.G, self.D, self.opt_D, self.opt_G = G, D, opt_D, opt_G
        self.D_loss, self.G_loss = D_loss, G_loss
        for opt in (opt_D, opt_G):
            group = opt.param_groups[0]
            if len(opt.param_groups) != 1 or group["weight_decay"] or group["amsgrad"]:
                raise ValueError("WholeStep takes one Adam group without weight decay or amsgrad.")
            if group["maximize"]:
                raise ValueError("WholeStep takes an Adam that minimizes.")
        self.names = {
            "D": [name for name, _ in D.named_parameters()],
            "G": [name for name, _ in G.named_parameters()],
        }
        self.compiled = torch.compile(self._step, fullgraph=True) if compile else None

    def _step(self, weights_D, weights_G, moments_D, moments_G, hyper_D, hyper_G, inputs):
        def call(name, weights):  # The module with these weights, as a callable.
            module = self.D if name == "D" else self.G
            return lambda *args: functional_call(module, dict(zip(self.names[name], weights)), args)

        def loss_D(weights_D):
            return self.D_loss(call("D", weights_D), call("G", weights_G), *inputs)

        grads_D, value_D = grad_and_value(loss_D)(weights_D)
        _adam(weights_D, grads_D, *moments_D, *hyper_D)

        def loss_G(weights_G):  # D's weights as the D step left them, as in TF's G step.
            return self.G_loss(call("D", weights_D), call("G", weights_G), *inputs)

        grads_G, value_G = grad_and_value(loss_G)(weights_G)
        _adam(weights_G, grads_G, *moments_G, *hyper_G)
        return value_D, value_G

    @staticmethod
    def _state(module, opt):
        """The weights (detached, sharing storage), moments and hyper-parameters of `opt`."""
        params = list(module.parameters())
        for p in params:
            state = opt.state[p]
            if not state:  # As torch.optim.Adam's _init_group: float32 step, zero moments.
                state["step"] = torch.tensor(0.0, dtype=torch.float32, device=p.device)
                state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        states = [opt.state[p] for p in params]
        group = opt.param_groups[0]
        moments = tuple([s[key] for s in states] for key in ("exp_avg", "exp_avg_sq", "step"))
        hyper = (group["lr"], *group["betas"], group["eps"])
        return [p.detach() for p in params], moments, hyper

    def __call__(self, *inputs):
        """Both steps on `inputs`; returns (loss_D, loss_G), 0-d tensors before the updates."""
        weights_D, moments_D, hyper_D = self._state(self.D, self.opt_D)
        weights_G, moments_G, hyper_G = self._state(self.G, self.opt_G)
        args = (weights_D, weights_G, moments_D, moments_G, hyper_D, hyper_G, inputs)
        if self.compiled is not None:
            try:
                return self.compiled(*args)
            except Exception as error:  # noqa: BLE001  (no C++ compiler, an unsupported op)
                print(
                    f"--fast: torch.compile failed ({type(error).__name__}); the whole step "
                    "runs uncompiled, with the same arithmetic.",
                    file=sys.stderr,
                )
                self.compiled = None
        with torch.no_grad():
            return self._step(*args)
