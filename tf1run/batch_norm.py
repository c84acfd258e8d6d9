"""tf1run's tf.contrib.layers.batch_norm: TF 1.15 contrib's fused path, for rank 2 and 4.

Source: TF 1.15 tensorflow/contrib/layers/python/layers/layers.py, batch_norm and
_fused_batch_norm: its defaults (decay=0.999, center=True, scale=False, epsilon=0.001,
updates_collections=UPDATE_OPS, is_training=True), its variables (<scope>/beta,
<scope>/gamma only with scale=True, <scope>/moving_mean, <scope>/moving_variance; scope default
BatchNorm; float32; GLOBAL_VARIABLES and MODEL_VARIABLES), tf.nn.fused_batch_norm, and moving
averages by assign_moving_average of the Bessel-corrected batch variance.

Deviations: tf1run/contrib.py's docstring lists them (rank-4 inputs take the fused path that
contrib took for rank 2: the same kernel and arithmetic, beta made before gamma).
"""

import tensorflow as tf
from tensorflow.python.training import moving_averages

from tf1run import contrib

v1 = tf.compat.v1


def _cond(condition, true_fn, false_fn):
    """contrib's smart_cond: a Python or constant condition picks a branch; a tensor, tf.cond."""
    value = condition if isinstance(condition, bool) else tf.get_static_value(condition)
    if value is None:
        return v1.cond(condition, true_fn, false_fn)
    return true_fn() if value else false_fn()


def _parameter(name, shape, initializer, regularizer, collections, trainable):
    return v1.get_variable(
        name,
        shape=shape,
        dtype=tf.float32,
        initializer=initializer,
        regularizer=regularizer,
        collections=contrib.variable_collections(collections, name),
        trainable=trainable,
    )


def batch_norm(
    inputs,
    decay=0.999,
    center=True,
    scale=False,
    epsilon=0.001,
    activation_fn=None,
    param_initializers=None,
    param_regularizers=None,
    updates_collections=v1.GraphKeys.UPDATE_OPS,
    is_training=True,
    reuse=None,
    variables_collections=None,
    outputs_collections=None,
    trainable=True,
    batch_weights=None,
    fused=None,
    data_format="NHWC",
    zero_debias_moving_mean=False,
    scope=None,
    renorm=False,
    renorm_clipping=None,
    renorm_decay=0.99,
    adjustment=None,
):
    """Batch normalization over all axes but the channels, as contrib's (see the docstring)."""
    for given, name in ((batch_weights, "batch_weights"), (adjustment, "adjustment")):
        if given is not None:
            raise contrib.refuse("batch_norm", f"with {name}")
    if renorm:
        raise contrib.refuse("batch_norm", "with renorm=True")
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError("data_format has to be either NCHW or NHWC.")
    initializers, regularizers = param_initializers or {}, param_regularizers or {}
    with v1.variable_scope(scope, "BatchNorm", [inputs], reuse=reuse) as sc:
        inputs = v1.convert_to_tensor(inputs)
        original_inputs, rank = inputs, inputs.shape.ndims
        if rank not in (2, 4):
            raise contrib.refuse("batch_norm", f"on a rank-{rank} input (rank 2 or 4 only)")
        if rank == 2:
            channels = inputs.shape[-1]
            if channels is None:
                raise ValueError("`C` dimension must be known but is None")
            shape = [-1, 1, 1, channels] if data_format == "NHWC" else [-1, channels, 1, 1]
            inputs = v1.reshape(inputs, shape)
        params_shape = inputs.shape[-1:] if data_format == "NHWC" else inputs.shape[1:2]
        if not params_shape.is_fully_defined():
            raise ValueError(
                f"Inputs {inputs.name} has undefined channels dimension {params_shape}."
            )

        def parameter(name, default, trainable_here):
            return _parameter(
                name,
                params_shape,
                initializers.get(name, default),
                regularizers.get(name) if trainable_here else None,
                variables_collections,
                trainable and trainable_here,
            )

        if center:
            beta = parameter("beta", v1.zeros_initializer(), True)
        else:
            beta = v1.constant(0.0, dtype=tf.float32, shape=params_shape)
        if scale:
            gamma = parameter("gamma", v1.ones_initializer(), True)
        else:
            gamma = v1.constant(1.0, dtype=tf.float32, shape=params_shape)
        # contrib made the moving statistics with the enclosing scope's partitioner switched off.
        with v1.variable_scope(v1.get_variable_scope()) as local_scope:
            local_scope.set_partitioner(None)
            moving_mean = parameter("moving_mean", v1.zeros_initializer(), False)
            moving_variance = parameter("moving_variance", v1.ones_initializer(), False)

        def training():
            return v1.nn.fused_batch_norm(
                inputs, gamma, beta, epsilon=epsilon, data_format=data_format
            )

        def inference():
            return v1.nn.fused_batch_norm(
                inputs,
                gamma,
                beta,
                mean=moving_mean,
                variance=moving_variance,
                epsilon=epsilon,
                is_training=False,
                data_format=data_format,
            )

        outputs, mean, variance = _cond(is_training, training, inference)

        def updates():
            return (
                moving_averages.assign_moving_average(
                    moving_mean, mean, decay, zero_debias=zero_debias_moving_mean
                ),
                moving_averages.assign_moving_average(
                    moving_variance, variance, decay, zero_debias=False
                ),
            )

        static = is_training if isinstance(is_training, bool) else tf.get_static_value(is_training)
        if static is None or static:
            if updates_collections is None:

                def forced():
                    with v1.control_dependencies(updates()):
                        return v1.identity(outputs)

                outputs = _cond(is_training, forced, lambda: outputs)
            else:
                update_mean, update_variance = _cond(
                    is_training, updates, lambda: (moving_mean, moving_variance)
                )
                v1.add_to_collections(updates_collections, update_mean)
                v1.add_to_collections(updates_collections, update_variance)
        outputs.set_shape(inputs.shape)
        if rank == 2:
            outputs = v1.reshape(outputs, v1.shape(original_inputs))
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return contrib.collect(outputs_collections, outputs, sc.name)
