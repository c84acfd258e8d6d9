"""tf1run's tf.contrib.layers: the part of TF 1.15's that 2016-2018 GAN scripts call.

Source: TF 1.15 tensorflow/contrib/layers/python/layers/ (initializers.py, regularizers.py,
layers.py: fully_connected, convolution2d, convolution2d_transpose, flatten, batch_norm and its
_fused_batch_norm path), rewritten on tf.compat.v1 with contrib's arguments, defaults, variable
names and collections (GLOBAL_VARIABLES and MODEL_VARIABLES, plus variables_collections).

Run: not alone; a script's `tf.contrib.layers.X` under `python -m tf1run SCRIPT.py` is this
module's X (tf1run/examples/contrib_dcgan_2017.py uses each layer).

Deviations: from TF 1.15's contrib (docs/tf1run.md has the table).
- xavier_initializer, variance_scaling_initializer: none in the formula or the random op
  (uniform: random_uniform with limit sqrt(3 * factor / n); else truncated_normal with stddev
  sqrt(1.3 * factor / n)). Under a graph-level seed an op's seed also depends on how many ops
  the graph made before it, so the drawn numbers equal TF 1.15's only where the graph before
  the draw has the same number of ops, which tf1run does not promise.
- fully_connected, conv2d, conv2d_transpose: contrib made them through the core layers with a
  getter that renamed kernel/bias to weights/biases; here tf.get_variable makes
  <scope>/weights and <scope>/biases directly, with the same names, shapes, initializers,
  collections and regularization losses. The ops sit in the same name scope, but their names
  inside it (the regularizer's, the initializer's) are not promised to be contrib's. NHWC only
  (NCHW is refused); conv2d's rate goes through tf.nn.convolution's dilation_rate.
- batch_norm: contrib took its fused path (tf.nn.fused_batch_norm, moving averages by
  assign_moving_average of the Bessel-corrected batch variance) on rank-2 inputs and, on rank-4
  inputs with the default updates_collections, the core BatchNormalization layer with
  fused=True: the same kernel and update arithmetic. Here every rank-2 and rank-4 input takes
  the fused path; on rank 4 the variables are then made beta before gamma (the layer made gamma
  first; both start from constants, so no number changes) and the ops are named as the fused
  path names them. fused=False is ignored: contrib's non-fused path averaged the biased batch
  variance into moving_variance, tf1run the Bessel-corrected one (a factor n / (n - 1) on each
  update's contribution). Other ranks, batch_weights, renorm and adjustment are refused.
"""

import math

import tensorflow as tf

from tf1run import names

v1 = tf.compat.v1
_MODEL = [v1.GraphKeys.GLOBAL_VARIABLES, v1.GraphKeys.MODEL_VARIABLES]


def refuse(api, reason):
    return names.Refused(f"tf.contrib.layers.{api} {reason}, which tf1run does not provide.")


def variance_scaling_initializer(factor=2.0, mode="FAN_IN", uniform=False, seed=None, dtype=None):
    """contrib's initializer: scale by fan-in, fan-out or their mean (mode), uniform or not."""
    if mode not in ("FAN_IN", "FAN_OUT", "FAN_AVG"):
        raise TypeError(f"Unknown mode {mode} [FAN_IN, FAN_OUT, FAN_AVG]")
    default_dtype = v1.as_dtype(dtype or tf.float32)
    if not default_dtype.is_floating:
        raise TypeError("Cannot create initializer for non-floating point type.")

    def initializer(shape, dtype=default_dtype, partition_info=None):
        dtype = v1.as_dtype(dtype)
        if not dtype.is_floating:
            raise TypeError("Cannot create initializer for non-floating point type.")
        shape = [int(dim) for dim in shape]
        fan_in = float(shape[-2]) if len(shape) > 1 else float(shape[-1]) if shape else 1.0
        fan_out = float(shape[-1]) if shape else 1.0
        for dim in shape[:-2]:
            fan_in *= float(dim)
            fan_out *= float(dim)
        n = {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}[mode]
        if uniform:
            limit = math.sqrt(3.0 * factor / n)
            return v1.random_uniform(shape, -limit, limit, dtype, seed=seed)
        return v1.truncated_normal(shape, 0.0, math.sqrt(1.3 * factor / n), dtype, seed=seed)

    return initializer


def xavier_initializer(uniform=True, seed=None, dtype=None):
    """Glorot and Bengio's initializer: variance_scaling_initializer(1.0, 'FAN_AVG', uniform)."""
    return variance_scaling_initializer(1.0, "FAN_AVG", uniform, seed, dtype)


xavier_initializer_conv2d = xavier_initializer


def _regularizer(kind, scale, scope, penalty):
    if isinstance(scale, int):
        raise ValueError(f"scale cannot be an integer: {scale}")
    if isinstance(scale, float):
        if scale < 0.0:
            raise ValueError(f"Setting a scale less than 0 on a regularizer: {scale}")
        if scale == 0.0:
            return lambda _: None

    def regularize(weights):
        with v1.name_scope(scope, f"{kind}_regularizer", [weights]) as name:
            my_scale = v1.convert_to_tensor(scale, dtype=weights.dtype.base_dtype, name="scale")
            return v1.multiply(my_scale, penalty(weights), name=name)

    return regularize


def l1_regularizer(scale, scope=None):
    """scale * sum(|w|), as contrib's."""
    return _regularizer("l1", scale, scope, lambda w: v1.reduce_sum(v1.abs(w)))


def l2_regularizer(scale, scope=None):
    """scale * tf.nn.l2_loss(w) = scale * sum(w ** 2) / 2, as contrib's."""
    return _regularizer("l2", scale, scope, v1.nn.l2_loss)


def variable_collections(variables_collections, name):
    extra = variables_collections
    if isinstance(extra, dict):
        extra = extra.get(name)
    return _MODEL + list(extra or [])


def _weights_and_biases(inputs, shape, options, biases_size):
    """<scope>/weights and, unless a normalizer replaces them, <scope>/biases."""
    dtype = inputs.dtype.base_dtype
    weights = v1.get_variable(
        "weights",
        shape=shape,
        dtype=dtype,
        initializer=options["weights_initializer"],
        regularizer=options["weights_regularizer"],
        collections=variable_collections(options["variables_collections"], "weights"),
        trainable=options["trainable"],
    )
    biases = None
    if options["normalizer_fn"] is None and options["biases_initializer"] is not None:
        biases = v1.get_variable(
            "biases",
            shape=[biases_size],
            dtype=dtype,
            initializer=options["biases_initializer"],
            regularizer=options["biases_regularizer"],
            collections=variable_collections(options["variables_collections"], "biases"),
            trainable=options["trainable"],
        )
    return weights, biases


def _finish(outputs, biases, options, scope_name):
    """Bias, normalizer, activation and outputs_collections, in contrib's order."""
    if biases is not None:
        outputs = v1.nn.bias_add(outputs, biases)
    if options["normalizer_fn"] is not None:
        outputs = options["normalizer_fn"](outputs, **(options["normalizer_params"] or {}))
    if options["activation_fn"] is not None:
        outputs = options["activation_fn"](outputs)
    return collect(options["outputs_collections"], outputs, scope_name)


def collect(outputs_collections, outputs, alias):
    """Add `outputs` to each of contrib's outputs_collections (no alias: TF 2 tensors take none)."""
    for collection in outputs_collections or []:
        v1.add_to_collection(collection, outputs)
    return outputs


def _layer_options(
    activation_fn=v1.nn.relu,
    normalizer_fn=None,
    normalizer_params=None,
    weights_initializer=None,
    weights_regularizer=None,
    biases_initializer=v1.zeros_initializer(),
    biases_regularizer=None,
    variables_collections=None,
    outputs_collections=None,
    trainable=True,
):
    """contrib's shared layer arguments and defaults, as one dict (the weights default xavier)."""
    options = dict(locals())
    options["weights_initializer"] = weights_initializer or xavier_initializer()
    return options


def _pair(value):
    return [int(value), int(value)] if isinstance(value, int) else [int(v) for v in value]


def _nhwc(api, data_format):
    if data_format not in (None, "NHWC"):
        raise refuse(api, f"with data_format={data_format!r}")


def fully_connected(inputs, num_outputs, reuse=None, scope=None, **options):
    """inputs @ <scope>/weights + <scope>/biases, then the activation (default relu)."""
    if not isinstance(num_outputs, int):
        raise ValueError(f"num_outputs type should be one of int, got {type(num_outputs)}.")
    options = _layer_options(**options)
    with v1.variable_scope(scope, "fully_connected", [inputs], reuse=reuse) as sc:
        inputs = v1.convert_to_tensor(inputs)
        rank, in_size = inputs.shape.ndims, inputs.shape[-1]
        if in_size is None or (hasattr(in_size, "value") and in_size.value is None):
            raise ValueError("The last dimension of the inputs to `Dense` should be defined.")
        weights, biases = _weights_and_biases(
            inputs, [int(in_size), num_outputs], options, num_outputs
        )
        if rank == 2:
            outputs = v1.matmul(inputs, weights)
        else:
            outputs = v1.tensordot(inputs, weights, [[rank - 1], [0]])
            outputs.set_shape(inputs.shape[:-1].concatenate([num_outputs]))
        return _finish(outputs, biases, options, sc.name)


def linear(inputs, num_outputs, scope=None, **options):
    """fully_connected without an activation, as contrib's."""
    return fully_connected(inputs, num_outputs, activation_fn=None, scope=scope, **options)


def conv2d(
    inputs,
    num_outputs,
    kernel_size,
    stride=1,
    padding="SAME",
    data_format=None,
    rate=1,
    reuse=None,
    scope=None,
    **options,
):
    """A 2-D convolution with <scope>/weights [kh, kw, in, out] and <scope>/biases."""
    _nhwc("conv2d", data_format)
    options = _layer_options(**options)
    with v1.variable_scope(scope, "Conv", [inputs], reuse=reuse) as sc:
        inputs = v1.convert_to_tensor(inputs)
        shape = _pair(kernel_size) + [int(inputs.shape[-1]), num_outputs]
        weights, biases = _weights_and_biases(inputs, shape, options, num_outputs)
        outputs = v1.nn.convolution(
            inputs, weights, padding.upper(), strides=_pair(stride), dilation_rate=_pair(rate)
        )
        return _finish(outputs, biases, options, sc.name)


def conv2d_transpose(
    inputs,
    num_outputs,
    kernel_size,
    stride=1,
    padding="SAME",
    data_format="NHWC",
    reuse=None,
    scope=None,
    **options,
):
    """A transposed 2-D convolution with <scope>/weights [kh, kw, out, in], <scope>/biases."""
    _nhwc("conv2d_transpose", data_format)
    options = _layer_options(**options)
    with v1.variable_scope(scope, "Conv2d_transpose", [inputs], reuse=reuse) as sc:
        inputs = v1.convert_to_tensor(inputs)
        kernel, strides = _pair(kernel_size), _pair(stride)
        shape = kernel + [num_outputs, int(inputs.shape[-1])]
        weights, biases = _weights_and_biases(inputs, shape, options, num_outputs)
        sizes = []
        for size, k, s in zip(inputs.shape[1:3], kernel, strides):
            size = int(size)
            sizes.append(size * s if padding.upper() == "SAME" else size * s + max(k - s, 0))
        output_shape = v1.stack([v1.shape(inputs)[0], *sizes, num_outputs])
        outputs = v1.nn.conv2d_transpose(
            inputs, weights, output_shape, [1, *strides, 1], padding=padding.upper()
        )
        outputs.set_shape([inputs.shape[0], *sizes, num_outputs])
        return _finish(outputs, biases, options, sc.name)


def flatten(inputs, outputs_collections=None, scope=None):
    """inputs reshaped to [batch, -1] in name scope Flatten, as contrib's."""
    with v1.name_scope(scope, "Flatten", [inputs]) as sc:
        inputs = v1.convert_to_tensor(inputs)
        outputs = v1.reshape(inputs, v1.stack([v1.shape(inputs)[0], -1]))
        outputs.set_shape([inputs.shape[0], inputs.shape[1:].num_elements()])
        return collect(outputs_collections, outputs, sc)
