"""Randomness inside a graph, made the same in both frameworks without rewriting anyone's code.

While a case's graph function runs, `tf.nn.dropout` (TF 1's `keep_prob` and TF 2's `rate`
spellings), `tf.random_normal` / `tf.random.normal` and `tf.random_uniform` /
`tf.random.uniform` build their usual random op as the default of a placeholder: unfed, the
graph draws as before; fed, it takes the given mask or noise. Each run of the training
session feeds every such placeholder it computes from the cross-check's one generator.

While the port's step runs, `F.dropout` (and `nn.Dropout`, which calls it) returns its input
times the mask TF used on the same values: the TF dropout of the same sub-step whose input
is nearest to PyTorch's, so the order of the calls does not matter. `torch.randn`,
`torch.rand` and their `_like` forms return TF's noise of the same shape, in build order.

The masks are 0 or 1 / (1 - rate) in the graph's dtype, computed as TF's dropout computes its
scale; both frameworks then multiply x by the same mask (TF's own dropout multiplies by the
scale first, then by 0 or 1: the same products).
"""

import contextlib
import dataclasses
import sys

import numpy as np
import tensorflow as tf
import torch
import torch.nn.functional as F

from crosscheck.case import CaseError

tf1 = tf.compat.v1


@dataclasses.dataclass
class Draw:
    """One random op of the graph, made feedable."""

    kind: str  # "dropout", "normal" or "uniform".
    placeholder: object  # What the cross-check feeds: the mask, or standard noise.
    output: object  # The tensor the user's graph goes on with.
    shape: object  # A tensor holding the placeholder's shape at run time.
    x: object = None  # Dropout: the input it masks.
    rate: object = None  # Dropout: the rate, a float or a tensor.


_ORIGINAL = {
    "v1_dropout": tf1.nn.dropout,
    "v2_dropout": tf.nn.dropout,
    "normal": tf.random.normal,
    "uniform": tf.random.uniform,
}
_ACTIVE = []  # The Draw lists of the graphs being built now (the innermost last).


def _v1_dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """tf.compat.v1.nn.dropout, fed while a cross-check builds its graph."""
    if not _ACTIVE:
        return _ORIGINAL["v1_dropout"](x, keep_prob, noise_shape, seed, name, rate)
    if rate is None:
        if keep_prob is None:
            raise ValueError("dropout needs keep_prob or rate.")
        rate = 1 - keep_prob  # A float, or a tensor when keep_prob is a placeholder.
    with tf1.name_scope(name, "dropout", [x]):
        x = tf.convert_to_tensor(x)
        ones = tf.ones_like(x) if noise_shape is None else tf.ones(noise_shape, x.dtype)
        default = _ORIGINAL["v2_dropout"](ones, rate=rate, seed=seed)
        mask = tf1.placeholder_with_default(default, default.shape, name="fed_mask")
        out = x * mask
    _ACTIVE[-1].append(Draw("dropout", mask, out, tf.shape(mask), x=x, rate=rate))
    return out


def _v2_dropout(x, rate, noise_shape=None, seed=None, name=None):
    """tf.nn.dropout (TF 2's rate spelling), fed while a cross-check builds its graph."""
    if not _ACTIVE:
        return _ORIGINAL["v2_dropout"](x, rate, noise_shape, seed, name)
    return _v1_dropout(x, noise_shape=noise_shape, seed=seed, name=name, rate=rate)


def _normal(shape, mean=0.0, stddev=1.0, dtype=tf.float32, seed=None, name=None):
    """tf.random.normal (tf.random_normal), fed while a cross-check builds its graph."""
    dtype = tf.as_dtype(dtype)
    if not _ACTIVE or not dtype.is_floating:
        return _ORIGINAL["normal"](shape, mean, stddev, dtype, seed, name)
    with tf1.name_scope(name, "random_normal", [shape]):
        default = _ORIGINAL["normal"](shape, dtype=dtype, seed=seed)
        fed = tf1.placeholder_with_default(default, default.shape, name="fed_normal")
        # TF's own arithmetic: standard normal * stddev + mean.
        out = fed * tf.convert_to_tensor(stddev, dtype) + tf.convert_to_tensor(mean, dtype)
    _ACTIVE[-1].append(Draw("normal", fed, out, tf.shape(fed)))
    return out


def _uniform(shape, minval=0, maxval=None, dtype=tf.float32, seed=None, name=None):
    """tf.random.uniform (tf.random_uniform), fed while a cross-check builds its graph."""
    dtype = tf.as_dtype(dtype)
    if not _ACTIVE or not dtype.is_floating:
        return _ORIGINAL["uniform"](shape, minval, maxval, dtype, seed, name)
    with tf1.name_scope(name, "random_uniform", [shape]):
        default = _ORIGINAL["uniform"](shape, dtype=dtype, seed=seed)
        fed = tf1.placeholder_with_default(default, default.shape, name="fed_uniform")
        low = tf.convert_to_tensor(minval, dtype)
        high = tf.convert_to_tensor(1 if maxval is None else maxval, dtype)
        out = fed * (high - low) + low  # TF's own arithmetic: U[0, 1) * (max - min) + min.
    _ACTIVE[-1].append(Draw("uniform", fed, out, tf.shape(fed)))
    return out


_REPLACEMENTS = {
    id(_ORIGINAL["v1_dropout"]): _v1_dropout,
    id(_ORIGINAL["v2_dropout"]): _v2_dropout,
    id(_ORIGINAL["normal"]): _normal,
    id(_ORIGINAL["uniform"]): _uniform,
}


@contextlib.contextmanager
def fed_graph():
    """Make TF's random builders feedable while a graph is built; yields the list of `Draw`s.

    The replacements are module-level functions that act only while a build is active and
    are plain TF otherwise, so a proxy that kept one (tf1run's namespaces cache what they
    resolve) stays correct after the build.
    """
    draws = []
    _ACTIVE.append(draws)
    patched = _patch(_REPLACEMENTS)
    try:
        yield draws
    finally:
        _ACTIVE.remove(draws)
        for module, attribute, original in patched:
            setattr(module, attribute, original)


_NAMES = ("dropout", "random_normal", "random_uniform", "normal", "uniform")  # Where they live.


def _patch(replacements):
    """Replace every public attribute that IS one of the originals (all of TF's aliases: tf.nn,
    tf.compat.v1.nn, tf.random, tf.compat.v1, ...). TF's API modules load their attributes
    lazily, so each is asked by name rather than read from its __dict__."""
    patched = []
    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", None)
        # TF's public API modules (and tf1run's, which stands in for them), never TF's own
        # internals: a Keras layer's dropout keeps drawing on its own.
        if not isinstance(name, str) or not (
            name == "tensorflow"
            or name.startswith(("tensorflow._api.", "tensorflow.compat", "tf1run"))
        ):
            continue
        for attribute in _NAMES:
            try:
                value = getattr(module, attribute, None)
            except Exception:  # noqa: BLE001  (a lazy module that cannot load: nothing to patch)
                continue
            if value is not None and id(value) in replacements:
                patched.append((module, attribute, value))
                setattr(module, attribute, replacements[id(value)])
    return patched


def draw_feed(sess, draws, feed, rng, dtype):
    """Values for the `Draw`s a run computes, from `rng` in build order: ({placeholder: array},
    {placeholder: the dropout rate it was drawn with})."""
    batch = {len(v) for t, v in feed.items() if _batch_dim_unknown(t) and np.ndim(v) > 0}
    drawn, rates = {}, {}
    for draw in draws:
        shape = draw.placeholder.shape.as_list()
        if None in shape[1:] or (shape and shape[0] is None and len(batch) != 1):
            shape = list(sess.run(draw.shape, {**feed, **drawn}))
        elif shape and shape[0] is None:
            shape[0] = next(iter(batch))
        if draw.kind == "dropout":
            rate = rates[draw.placeholder] = _value(sess, draw.rate, {**feed, **drawn})
            one = dtype(1)
            scale = one / (one - dtype(rate))  # As TF's dropout: 1 / (1 - rate) in the dtype.
            keep = rng.uniform(size=shape) >= rate
            drawn[draw.placeholder] = np.where(keep, scale, dtype(0)).astype(dtype)
        elif draw.kind == "normal":
            drawn[draw.placeholder] = rng.normal(size=shape).astype(dtype)
        else:
            drawn[draw.placeholder] = rng.uniform(size=shape).astype(dtype)
    return drawn, rates


def _batch_dim_unknown(tensor):
    shape = getattr(tensor, "shape", None)
    return shape is not None and shape.rank and shape.as_list()[0] is None


def _value(sess, rate, feed):
    if isinstance(rate, (int, float, np.floating)):
        return float(rate)
    static = tf.get_static_value(rate)
    if static is not None:
        return float(static)
    try:
        return float(sess.run(rate, feed))
    except tf.errors.InvalidArgumentError as error:
        first = str(error).strip().splitlines()[0]
        raise CaseError(
            f"a dropout's rate depends on a placeholder that is not fed ({first}); "
            "give it in the case's `constants` (for instance {'keep_prob': 0.5})."
        ) from None


class TorchDraws:
    """Inside the port's step: dropout and noise from the TF run of the same sub-step.

    `runs`: one list per TF sub-step of (kind, values, x, rate) as that run used them;
    `current`: () -> the index of the sub-step PyTorch is in (optimizer steps so far).
    """

    def __init__(self, runs, current):
        self.runs, self.current = runs, current
        self.used = set()
        self.rate_mismatches = []  # (sub-step, PyTorch p, TF rate)

    def dropout(self, x, p=0.5, training=True, inplace=False):
        if not training or p == 0:
            return x
        index = self.current()
        candidates = [
            (i, entry)
            for i, entry in enumerate(self.runs[index] if index < len(self.runs) else ())
            if entry[0] == "dropout" and (index, i) not in self.used
        ]
        best = None
        for i, (_, mask, x_tf, rate) in candidates:
            for permute in (False, True):
                mine = _as_tf_layout(x, permute)
                if mine is None or mine.shape != x_tf.shape:
                    continue
                distance = float(np.max(np.abs(mine - x_tf))) if x_tf.size else 0.0
                if best is None or distance < best[0]:
                    best = (distance, i, mask, rate, permute)
        if best is None:
            raise CaseError(
                f"PyTorch's dropout on a {tuple(x.shape)} input in sub-step {index + 1} has no "
                "TF dropout of that shape left in the same sub-step; the port drops where the "
                "graph does not."
            )
        _, i, mask, rate, permute = best
        self.used.add((index, i))
        if abs(p - rate) > 1e-6:
            self.rate_mismatches.append((index, p, rate))
        mask = torch.as_tensor(mask, dtype=x.dtype)
        mask = mask.permute(0, 3, 1, 2) if permute else mask
        return x * mask

    def noise(self, kind, original):
        def call(*size, **kwargs):
            shape = (
                tuple(size[0])
                if len(size) == 1 and isinstance(size[0], (tuple, list, torch.Size))
                else size
            )
            index = self.current()
            for i, entry in enumerate(self.runs[index] if index < len(self.runs) else ()):
                if entry[0] == kind and (index, i) not in self.used and entry[1].shape == shape:
                    self.used.add((index, i))
                    return torch.as_tensor(
                        entry[1], dtype=kwargs.get("dtype") or torch.get_default_dtype()
                    )
            return original(*size, **kwargs)

        return call

    @contextlib.contextmanager
    def patched(self):
        randn, rand = torch.randn, torch.rand
        saved = (F.dropout, torch.randn, torch.rand, torch.randn_like, torch.rand_like)
        F.dropout = self.dropout
        torch.randn, torch.rand = self.noise("normal", randn), self.noise("uniform", rand)
        torch.randn_like = lambda t, **k: torch.randn(
            tuple(t.shape), dtype=k.get("dtype") or t.dtype
        )
        torch.rand_like = lambda t, **k: torch.rand(tuple(t.shape), dtype=k.get("dtype") or t.dtype)
        try:
            yield self
        finally:
            F.dropout, torch.randn, torch.rand, torch.randn_like, torch.rand_like = saved


def _as_tf_layout(x, permute):
    array = x.detach().numpy()
    if not permute:
        return array
    return array.transpose(0, 2, 3, 1) if array.ndim == 4 else None
