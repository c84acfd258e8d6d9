"""How a TF1 variable's array maps onto a PyTorch parameter, for each layout in a `NAME_MAP`.

A port's `NAME_MAP` maps every TF1 variable name (without ":0") to `(parameter, layout)`,
where `parameter` is a dotted path into `{"generator": G, "discriminator": D}` and `layout` is:
- "same": identical arrays (biases, BatchNorm vectors);
- "dense": TF dense kernel [in, out] <-> `nn.Linear.weight` [out, in], a transpose;
- "conv": TF conv2d filter HWIO <-> `nn.Conv2d.weight` OIHW;
- "conv_transpose": TF conv2d_transpose filter [h, w, out, in] <-> `ConvTranspose2d.weight`
  [in, out, h, w]; both conv layouts are the same `permute(3, 2, 0, 1)` and need no flip,
  since both frameworks compute cross-correlations.
"""

import numpy as np

_TO_TORCH = {"same": None, "dense": (1, 0), "conv": (3, 2, 0, 1), "conv_transpose": (3, 2, 0, 1)}
_TO_TF = {"same": None, "dense": (1, 0), "conv": (2, 3, 1, 0), "conv_transpose": (2, 3, 1, 0)}


def to_torch(layout, array):
    """A TF variable's NumPy array rearranged into its PyTorch parameter's layout."""
    axes = _TO_TORCH[layout]
    return np.ascontiguousarray(array if axes is None else np.transpose(array, axes))


def to_tf(layout, array):
    """A PyTorch parameter's NumPy array rearranged into its TF variable's layout."""
    axes = _TO_TF[layout]
    return np.ascontiguousarray(array if axes is None else np.transpose(array, axes))


def parameter(modules, path):
    """Resolve "generator.layer1.weight" in `{"generator": G, "discriminator": D}`."""
    head, _, rest = path.partition(".")
    return modules[head].get_parameter(rest)
