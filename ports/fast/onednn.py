"""oneDNN's float32 matrix products for `--fast`: `nn.Linear` layers through oneDNN, not MKL.

PyTorch's `F.linear` calls MKL's GEMM. MKL picks its kernels by CPU vendor as well as by
instruction set: on the AMD Zen 5 CPU of docs/speed.md it names no instruction set in its
verbose log ("Intel(R) Architecture processors") and reaches about 190 GFLOP/s on the seed-004
shapes, where oneDNN, which PyTorch bundles for its convolutions, takes its AVX-512 kernels and
reaches about 350 (bench/machine.py records which paths ran). TensorFlow's MatMul runs on oneDNN
there. oneDNN sums in another order, so its products round differently from MKL's: a port uses
them only with --fast, never by default (a default run stays bit for bit what it was).

`use_onednn(module)` routes every `nn.Linear` of `module` through `Linear`, whose forward and
both backward products (input and weight gradients) are oneDNN matmuls; the parameters and
state_dict stay the layer's own, so checkpoints are unchanged.

Source:
    The archive's own: PyTorch's bundled oneDNN, called through
    `torch.ops.mkldnn._linear_pointwise` on ordinary tensors.

Run:
    Used by the ports under --fast (e.g. python -m ports.mnist_mlp_gan --fast);
    python -m pytest tests/test_fast.py checks it against F.linear.

Deviations:
    - From `F.linear`: the same products summed in oneDNN's order, so they round differently
      (about 1e-6 relative); opt-in only.
"""

import torch
from torch import nn


def available():
    """Whether this PyTorch build has oneDNN and its dense-tensor linear op."""
    return torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise")


def _linear(x, weight, bias=None):
    """x @ weight^T + bias through oneDNN, on ordinary (strided) CPU tensors."""
    return torch.ops.mkldnn._linear_pointwise(x, weight, bias, "none", [], "")


class Linear(torch.autograd.Function):
    """`F.linear(x, weight, bias)` for 2-D float32 x, with oneDNN for all three products."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return _linear(x, weight, bias)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_x = _linear(grad, weight.t())  # grad @ weight
        if ctx.needs_input_grad[1]:
            grad_weight = _linear(grad.t(), x.t())  # grad^T @ x
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_bias = grad.sum(0)
        return grad_x, grad_weight, grad_bias


def use_onednn(*modules):
    """Route every `nn.Linear` in `modules` through `Linear` (a no-op without oneDNN)."""
    if not available():
        return
    for module in modules:
        for layer in module.modules():
            if isinstance(layer, nn.Linear):
                layer.forward = lambda x, layer=layer: Linear.apply(x, layer.weight, layer.bias)
