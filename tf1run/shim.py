"""The `tensorflow` a TF1 script sees: tf.compat.v1 behind a proxy that adds the old names.

`build` makes the proxy tree (`tf`, and a proxy for each namespace under it) and `builtins_for`
the builtins whose `__import__` hands that tree to the script's own `import tensorflow...`
statements; the archive's code, TensorFlow and every other library keep the real TensorFlow.
A name resolves, in order, to: tf1run's substitute for it (names.py lists each), a refusal
(`names.Refused`, raised where the script uses it), or tf.compat.v1's own attribute; a name
that none of these has is refused as well. Each name is resolved once per namespace and then
cached on it, so a script's later uses cost a plain attribute read.
"""

import builtins
import importlib
import sys
import types

import numpy as np
import tensorflow as tf

from tf1run import names

v1 = tf.compat.v1
OLD = "(0.x order)"
# Resolved afresh at every use, never cached: the cross-check makes these feedable while it
# builds a graph (crosscheck/fed_random.py), and a cached original would bypass that.
UNCACHED = frozenset({"dropout", "random_normal", "random_uniform", "normal", "uniform"})


class Namespace(types.ModuleType):
    """A module whose attributes are tf1run's substitutes, else `target`'s (a real module)."""

    def __init__(self, dotted, target, extras, notices, real_prefix=None):
        super().__init__(getattr(target, "__name__", "tensorflow"), getattr(target, "__doc__", ""))
        self._dotted, self._target, self._extras = dotted, target, extras
        self._notices, self._real_prefix = notices, real_prefix

    def __dir__(self):
        own = [k.rsplit(".", 1)[1] for k in self._extras if k.startswith(self._dotted + ".")]
        return sorted(set(dir(self._target) if self._target else []) | set(own))

    def __getattr__(self, name):
        if name.startswith("_"):
            if self._target is not None and hasattr(self._target, name):
                return getattr(self._target, name)
            raise AttributeError(name)
        dotted = f"{self._dotted}.{name}"
        if dotted in self._extras:
            value = self._extras[dotted]
            if names.substitution(dotted):
                self._notices.use(dotted)
        else:
            reason = names.refusal(dotted)
            if reason:
                raise names.RefusedName(f"{dotted} is not supported: {reason}.")
            value = self._real(name, dotted)
        if name not in UNCACHED:
            self.__dict__[name] = value
        return value

    def _real(self, name, dotted):
        if self._target is not None and hasattr(self._target, name):
            value = getattr(self._target, name)
        elif self._real_prefix and f"{self._real_prefix}.{name}" in sys.modules:
            return sys.modules[f"{self._real_prefix}.{name}"]  # tensorflow.python and such.
        else:
            raise names.RefusedName(
                f"{dotted} is not supported: TensorFlow {tf.__version__}'s tf.compat.v1 has no "
                "such name and tf1run has no substitute for it."
            )
        if isinstance(value, types.ModuleType):
            return Namespace(dotted, value, self._extras, self._notices)
        return value


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _old_arguments(args, kwargs, order):
    """The call's arguments by name, positional ones named by the 0.x `order`."""
    named = dict(zip(order, args))
    named.update(kwargs)
    return named


def substitutes(notices):
    """The functions that read a call's arguments to tell the 0.x API from the 1.x one."""

    def concat(*args, **kwargs):
        if "concat_dim" in kwargs or (args and _is_int(args[0])):
            notices.use("tf.concat" + OLD)
            old = _old_arguments(args, kwargs, ("concat_dim", "values", "name"))
            return v1.concat(old["values"], old["concat_dim"], name=old.get("name", "concat"))
        return v1.concat(*args, **kwargs)

    def split(*args, **kwargs):
        if {"split_dim", "num_split"} & set(kwargs) or (args and _is_int(args[0])):
            notices.use("tf.split" + OLD)
            old = _old_arguments(args, kwargs, ("split_dim", "num_split", "value", "name"))
            return v1.split(
                old["value"], old["num_split"], old["split_dim"], name=old.get("name", "split")
            )
        return v1.split(*args, **kwargs)

    def logits_first(api, function, order):
        def call(*args, **kwargs):
            if args:
                notices.use(api + OLD)
            named = _old_arguments(args, kwargs, order)
            if "targets" in named:
                named["labels"] = named.pop("targets")
            return function(**named)

        call.__name__ = function.__name__
        return call

    def reverse(tensor, axis=None, name=None, dims=None):
        axes = dims if dims is not None else axis
        if isinstance(axes, (list, tuple)) and axes and all(type(a) is bool for a in axes):
            notices.use("tf.reverse" + OLD)
            axes = [i for i, flag in enumerate(axes) if flag]
        return v1.reverse(tensor, axes, name=name)

    def image_summary(tag, tensor, max_images=3, collections=None, name=None):
        return v1.summary.image(tag, tensor, max_outputs=max_images, collections=collections)

    def variable_op_scope(values, name_or_scope, default_name=None, **kwargs):
        return v1.variable_scope(name_or_scope, default_name, values, **kwargs)

    def op_scope(values, name, default_name=None):
        return v1.name_scope(name, default_name, values)

    nn = v1.nn
    return {
        "tf.concat": concat,
        "tf.split": split,
        "tf.nn.softmax_cross_entropy_with_logits": logits_first(
            "tf.nn.softmax_cross_entropy_with_logits",
            nn.softmax_cross_entropy_with_logits,
            ("logits", "labels", "dim", "name"),
        ),
        "tf.nn.sparse_softmax_cross_entropy_with_logits": logits_first(
            "tf.nn.sparse_softmax_cross_entropy_with_logits",
            nn.sparse_softmax_cross_entropy_with_logits,
            ("logits", "labels", "name"),
        ),
        "tf.nn.sigmoid_cross_entropy_with_logits": logits_first(
            "tf.nn.sigmoid_cross_entropy_with_logits",
            nn.sigmoid_cross_entropy_with_logits,
            ("logits", "targets", "name"),
        ),
        "tf.reverse": reverse,
        "tf.image_summary": image_summary,
        "tf.variable_op_scope": variable_op_scope,
        "tf.op_scope": op_scope,
    }


class Flags:
    """TF 1.x's tf.app.flags.FLAGS: reading a flag first parses the script's command line."""

    def __init__(self, flags):
        object.__setattr__(self, "_flags", flags)

    def __getattr__(self, name):
        flags = object.__getattribute__(self, "_flags")
        if not flags.is_parsed():
            flags(sys.argv)
        return getattr(flags, name)

    def __setattr__(self, name, value):
        setattr(object.__getattribute__(self, "_flags"), name, value)

    def __call__(self, *args, **kwargs):
        return object.__getattribute__(self, "_flags")(*args, **kwargs)

    def __getitem__(self, name):
        return object.__getattribute__(self, "_flags")[name]

    def __contains__(self, name):
        return name in object.__getattribute__(self, "_flags")

    def __iter__(self):
        return iter(object.__getattribute__(self, "_flags"))


def build(notices, session, contrib_modules, input_data):
    """The proxy tree: returns the `tf` the script imports; `session` is tf1run/session.py."""
    extras = {old: _renamed(new) for old, new in names.RENAMED.items()}
    extras.update(substitutes(notices))
    extras.update(
        {
            "tf.Session": session.Session,
            "tf.InteractiveSession": session.InteractiveSession,
            "tf.Graph": session.Graph,
            "tf.reset_default_graph": session.reset_default_graph,
        }
    )
    for name in names.CONTRIB_LAYERS:
        module = next(m for m in contrib_modules if hasattr(m, name))
        extras[f"tf.contrib.layers.{name}"] = getattr(module, name)
    for alias, name in names.CONTRIB_ALIASES.items():
        extras[f"tf.contrib.layers.{alias}"] = extras[f"tf.contrib.layers.{name}"]
    top = Namespace("tf", v1, extras, notices, real_prefix="tensorflow")
    flags = Namespace("tf.app.flags", v1.app.flags, extras, notices)
    flags.__dict__["FLAGS"] = Flags(v1.app.flags.FLAGS)
    mnist = types.ModuleType("tensorflow.examples.tutorials.mnist")
    mnist.input_data = input_data
    tutorials = types.ModuleType("tensorflow.examples.tutorials")
    tutorials.mnist = mnist
    examples = types.ModuleType("tensorflow.examples")
    examples.tutorials = tutorials
    extras.update(
        {
            "tf.app.flags": flags,
            "tf.flags": flags,
            "tf.compat.v1": top,
            "tf.contrib": Namespace("tf.contrib", None, extras, notices),
            "tf.contrib.layers": Namespace("tf.contrib.layers", None, extras, notices),
            "tf.examples": examples,
        }
    )
    return top


def _renamed(new):
    value = v1
    for part in new.split(".")[1:]:
        value = getattr(value, part)
    return value


def _walk(top, name):
    """The object `import name` names in the proxy tree (name starts with "tensorflow")."""
    value = top
    for part in name.split(".")[1:]:
        value = getattr(value, part)
    return value


def builtins_for(top):
    """A builtins dict whose `__import__` gives the proxy tree for tensorflow's names."""
    real_import = builtins.__import__

    def shim_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level or not (name == "tensorflow" or name.startswith("tensorflow.")):
            return real_import(name, globals, locals, fromlist, level)
        try:
            module = _walk(top, name)
            for item in fromlist or ():
                if item != "*":
                    getattr(module, item)
        except names.RefusedName as refused:
            if name.split(".")[1] in ("contrib", "examples") or not _exists(name):
                raise names.RefusedImport(str(refused)) from None
            return real_import(name, globals, locals, fromlist, level)
        return module if fromlist else top

    table = dict(builtins.__dict__)
    table["__import__"] = shim_import
    return table


def _exists(name):
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True
