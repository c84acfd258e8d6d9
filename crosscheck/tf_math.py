"""TensorFlow's float32 sigmoid and log, bit for bit, as PyTorch autograd functions.

Why this exists: ring_gan takes raw logs of sigmoid outputs (no epsilon). Where D saturates,
1 - sigmoid(x) is one or two float32 ulps, so a single ulp of disagreement in sigmoid doubles
a gradient. TF 2.21 on CPU computes float32 sigmoid with Eigen's `scalar_logistic_op<float>`
(Eigen/src/Core/functors/UnaryFunctors.h, shipped in the wheel's include/ folder), which is
not PyTorch's `1 / (1 + exp(-x))`: the two differ by an ulp on about 57% of inputs. The
cross-check can swap these in for `torch.sigmoid` and `torch.log` (`tf_exact_elementwise()`),
the way it swaps in TF's Adam arithmetic, so what is left is matmul rounding.

Eigen's packet path, step by step (float32 throughout, no fused multiply-add: TF's x86 wheel
is not built for FMA, and with FMA 0.6% of results differ):
    x <- min(x, 16.6355324) / 2
    m <- floor(x * log2(e) + 1/2);  r <- (x + m * C1) + m * C2   (C1 + C2 = -ln 2, Cephes split)
    p <- (r + 1) + r^2 * ((r^2 * p4 + p2) + r * (r^2 * p5 + p3))  (degree-5 minimax of exp(r))
    e <- (2^m * p)^2 = exp(x_original)
    sigmoid <- e / (1 + e), and 0 below -104
Gradients follow TF's kernels: SigmoidGrad = dy * (y * (1 - y)) (the packet path's order) and
LogGrad = dy * reciprocal(x), two roundings where PyTorch divides once. They are not bit-exact:
TF's vectorised reciprocal is not a correctly rounded 1/x, and the gradient of log(sigmoid(x))
still differs from TF's by an ulp on about 22% of inputs (measured), against 57% for torch's.

Measured on 300,016 inputs over [-30, 30]: 0 of them differ from tf.sigmoid. The last few
elements of a tensor whose size is not a multiple of the SIMD width (16 floats with AVX-512)
take Eigen's scalar path, exp(x) / (1 + exp(x)) with the C library's exp, and may differ by an
ulp; this module does not model that tail.
"""

import contextlib
import unittest.mock

import torch

_EXP_HI = 16.6355324  # The first x where Eigen's interpolant of exp(x) / (1 + exp(x)) is 1.0.
_EXP_LO = -104.0  # Below this the correctly rounded sigmoid is 0.
_LOG2E = 1.44269504088896341
_C1, _C2 = -0.693359375, 2.12194440e-4  # -ln 2 in two parts, so m * ln 2 subtracts exactly.
_P2, _P3 = 0.49999141693115234375, 0.16666877269744873046875
_P4, _P5 = 4.1898667812347412109375e-2, 8.33471305668354034423828125e-3


def eigen_sigmoid(x):
    """Eigen's float32 logistic (no autograd); other dtypes fall back to torch.sigmoid."""
    if x.dtype != torch.float32:
        return _torch_sigmoid(x)
    c = lambda value: torch.tensor(value, dtype=torch.float32)  # noqa: E731
    half = torch.clamp(x, max=_EXP_HI) * c(0.5)  # exp(x) = exp(x/2)^2: no denormals.
    m = torch.floor(half * c(_LOG2E) + c(0.5))
    r = (m * c(_C1) + half) + m * c(_C2)
    r2 = r * r
    p_even = r2 * c(_P4) + c(_P2)
    p_odd = r2 * c(_P5) + c(_P3)
    p = r2 * (r * p_odd + p_even) + (r + c(1.0))
    e = torch.ldexp(p, m)
    e = e * e
    return torch.where(x < _EXP_LO, torch.zeros_like(e), e / (c(1.0) + e))


class _Sigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = eigen_sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, dy):
        (y,) = ctx.saved_tensors
        return dy * (y * (1 - y))  # TF's SigmoidGrad, in its packet order.


class _Log(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _torch_log(x)

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        return dy * torch.reciprocal(x)  # TF's _LogGrad: grad * Reciprocal(x).


_torch_sigmoid, _torch_log = torch.sigmoid, torch.log


def sigmoid(x):
    return _Sigmoid.apply(x)


def log(x):
    return _Log.apply(x)


@contextlib.contextmanager
def tf_exact_elementwise():
    """Within the block, torch.sigmoid is TF's (bit for bit) and torch.log's gradient TF's form."""
    with unittest.mock.patch.object(torch, "sigmoid", sigmoid):
        with unittest.mock.patch.object(torch, "log", log):
            yield
