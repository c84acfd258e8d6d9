"""How a TF1 variable's array maps onto a PyTorch parameter, for each layout in a `NAME_MAP`.

A port's `NAME_MAP` maps every TF1 variable name (without ":0") to `(parameter, layout)`,
where `parameter` is a dotted path into `{"generator": G, "discriminator": D}` and `layout` is:
- "same": identical arrays (biases, BatchNorm vectors);
- "dense": TF dense kernel [in, out] <-> `nn.Linear.weight` [out, in], a transpose;
- "conv": TF conv2d filter HWIO <-> `nn.Conv2d.weight` OIHW;
- "conv_transpose": TF conv2d_transpose filter [h, w, out, in] <-> `ConvTranspose2d.weight`
  [in, out, h, w]; both conv layouts are the same `permute(3, 2, 0, 1)` and need no flip,
  since both frameworks compute cross-correlations;
- "dense_nhwc_in:H,W,C": the dense kernel after a TF flatten of an (H, W, C) map, whose rows
  run in h, w, c order, <-> `nn.Linear.weight` after a torch flatten (c, h, w order): the
  transpose with the input axis permuted (docs/anchors.md pitfall 3.5);
- "dense_nhwc_out:H,W,C": the dense kernel before a TF reshape to (H, W, C): its columns
  permuted likewise; "nhwc_vector:H,W,C": that dense layer's bias.
"""

import numpy as np

_TO_TORCH = {"same": None, "dense": (1, 0), "conv": (3, 2, 0, 1), "conv_transpose": (3, 2, 0, 1)}
_TO_TF = {"same": None, "dense": (1, 0), "conv": (2, 3, 1, 0), "conv_transpose": (2, 3, 1, 0)}


def to_torch(layout, array):
    """A TF variable's NumPy array rearranged into its PyTorch parameter's layout."""
    if ":" in layout:
        return _flattened(layout, array, to_torch=True)
    axes = _TO_TORCH[layout]
    return np.ascontiguousarray(array if axes is None else np.transpose(array, axes))


def to_tf(layout, array):
    """A PyTorch parameter's NumPy array rearranged into its TF variable's layout."""
    if ":" in layout:
        return _flattened(layout, array, to_torch=False)
    axes = _TO_TF[layout]
    return np.ascontiguousarray(array if axes is None else np.transpose(array, axes))


def parameter(modules, path):
    """Resolve "generator.layer1.weight" in `{"generator": G, "discriminator": D}`."""
    head, _, rest = path.partition(".")
    return modules[head].get_parameter(rest)


def _flattened(layout, array, to_torch):
    """The layouts of dense layers beside a flatten or reshape of an (H, W, C) map."""
    kind, _, dims = layout.partition(":")
    h, w, c = (int(d) for d in dims.split(","))
    # Index i of a (c, h, w)-ordered vector holds element hwc[i] of the (h, w, c)-ordered one.
    hwc = np.arange(h * w * c).reshape(h, w, c).transpose(2, 0, 1).reshape(-1)
    order = hwc if to_torch else np.argsort(hwc)
    if kind == "nhwc_vector":
        return np.ascontiguousarray(array[order])
    if kind == "dense_nhwc_in":  # TF [hwc, out] <-> torch [out, chw]
        return np.ascontiguousarray(array[order].T if to_torch else array.T[order])
    if kind == "dense_nhwc_out":  # TF [in, hwc] <-> torch [chw, in]
        return np.ascontiguousarray(array[:, order].T if to_torch else array.T[:, order])
    raise KeyError(layout)
