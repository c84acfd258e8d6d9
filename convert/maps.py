"""One conversion's map, read off a cross-check `Case`: its TF1 graph's variables and train ops,
and its PyTorch modules and optimizers.

What every conversion maps through and checks against: the graph's global variables (names,
shapes, the Saver that writes them), each train op's var_list, optimizer kind, slots and beta
powers as its Apply ops read them (crosscheck/graph_reading.py), the modules' state_dicts and
the case's name maps; `Mismatch` is the one-sentence refusal of a checkpoint that does not fit.
A case is one of the archive's six models by name, or a user's `FILE.py:NAME` /
`package.module:NAME` (crosscheck/loading.py). A case's own `optimizers` function is not
used: the torch optimizers are built from the graph's optimizer kinds and constants.
"""

import functools
import types

from crosscheck.case import SHORT, CaseError
from harness import cli, registry

ADAM_SLOTS = ("Adam", "Adam_1")  # tf.compat.v1.train.AdamOptimizer's m and v, per weight.
KIND_NAMES = {"adam": "Adam", "momentum": "Momentum", "sgd": "GradientDescent"}
# Optimizer kind -> (graph_reading's slot, torch's state key) of each parameter's state.
SLOT_KEYS = {
    "adam": (("m", "exp_avg"), ("v", "exp_avg_sq")),
    "momentum": (("momentum", "momentum_buffer"),),
    "sgd": (),
}


class Mismatch(cli.UserError):
    """A checkpoint that does not fit the model: another model, shape or layout."""


def names(names, limit=12):
    """The sorted names, comma-separated, the first `limit` of them and a count of the rest."""
    names = sorted(names)
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def refuse_names(what, model, expected, found):
    """Raise `Mismatch` when the names differ, naming the first mismatch and listing the rest."""
    missing, unexpected = set(expected) - set(found), set(found) - set(expected)
    if not (missing or unexpected):
        return
    first = (
        f"'{min(unexpected)}' is not in {model}" if unexpected else f"'{min(missing)}' is missing"
    )
    lists = [
        f"missing ({len(missing)}): {names(missing)}" if missing else "",
        f"unexpected ({len(unexpected)}): {names(unexpected)}" if unexpected else "",
    ]
    raise Mismatch(
        f"{what} is not a {model} checkpoint, first mismatch {first}; "
        + "; ".join(x for x in lists if x)
        + "."
    )


@functools.lru_cache(maxsize=None)
def load_case(source):
    """The `Case` that `source` names: one of the archive's models, or FILE.py:NAME /
    package.module:NAME (loaded once per process)."""
    if ":" in source:
        from crosscheck import loading

        return loading.load(source)
    return registry.case(source)  # A UserError naming the models for any other name.


class ModelMap:
    """Everything one case's conversion needs, read off its graph and its modules once.

    `nets`: the .pt's key -> module ("G" and "D" for "generator" and "discriminator");
    `weights`: TF name -> (net, state_dict key, layout) for name-map and buffer-map entries;
    `optimizers`: sub-step label -> {"kind", "names" (its var_list in the optimizer's parameter
    order), "slots", "powers" (graph_reading.SubStep's), "optimizer" (a torch optimizer over
    those parameters, with the graph's constants)}; `refusal`: why only --weights-only can
    convert this case, or None.
    """

    def __init__(self, case):
        import tf1_reference

        tf1_reference.setup()  # TF1 behaviour, as the cross-check builds the graph.
        import tensorflow as tf

        from crosscheck import tf_side, validation
        from crosscheck.torch_side import TorchSide

        tf1 = tf.compat.v1
        self.case, self.name, self.tf, self.tf1 = case, case.name, tf, tf1
        self.graph = tf.Graph()
        with self.graph.as_default():
            # fed=False: the graph as the script builds it, without the check's draw feeds.
            tf_side.build(case, "float32", fed=False)
            self.variables = {v.op.name: v for v in tf1.global_variables()}
            trainable = tf1.trainable_variables()
            self.saver = tf1.train.Saver(var_list=self.variables, write_version=2)
        self.shapes = {n: v.shape.as_list() for n, v in self.variables.items()}
        self.substeps, self.refusal = self._read_substeps()
        self.side = TorchSide(case, "float32", "torch", self.substeps, optimizers=False)
        every = [types.SimpleNamespace(variables=[v.op.name for v in trainable])]
        graph = types.SimpleNamespace(variables=trainable, substeps=self.substeps or every)
        validation.check(case, graph, self.side)  # Without substeps, var_lists go unchecked.
        self.nets = {SHORT.get(n, n): module for n, module in self.side.nets.items()}
        self.weights = {}
        for name, (path, layout) in {**case.name_map, **case.buffer_map}.items():
            head, _, key = path.partition(".")
            self.weights[name] = (SHORT.get(head, head), key, layout)
        self.state_shapes = {
            net: {k: list(t.shape) for k, t in module.state_dict().items()}
            for net, module in self.nets.items()
        }
        self._check_buffers()
        self.optimizers = {}
        for sub in self.substeps:
            self.optimizers[sub.label] = self._optimizer(sub)
        self.side.opts = {label: o["optimizer"] for label, o in self.optimizers.items()}
        self.labels = list(self.optimizers)  # In running order: D, then G.
        net_order = list(self.nets)
        self.opt_labels = sorted(  # In the modules' order, for the .pt: opt_G, then opt_D.
            self.labels, key=lambda x: net_order.index(x) if x in net_order else len(net_order)
        )
        covered = set(self.weights)
        for o in self.optimizers.values():
            covered |= set(o["powers"]) | {
                s for slots in o["slots"].values() for s in slots.values()
            }
        self.unmapped = sorted(set(self.variables) - covered)

    def _read_substeps(self):
        """(sub-steps, None), or ([], why) when the graph's optimizers are not converted."""
        from crosscheck import graph_reading

        for op in self.graph.get_operations():
            apply = op.type.startswith(("Apply", "ResourceApply", "SparseApply", "ResourceSparse"))
            if apply and op.type not in graph_reading.APPLY:
                scope = op.name.rsplit("/update_", 1)[0]
                return [], (
                    f"the graph's optimizer '{scope}' updates with {op.type}, whose state the "
                    "converter does not convert (it converts Adam, Momentum and GradientDescent); "
                    "pass --weights-only to convert the weights alone."
                )
        try:
            subs = graph_reading.read_substeps(
                self.graph, self.case.name_map, self.case.adam, self.case.order
            )
        except CaseError as error:
            return [], str(error)
        return subs, None

    def _check_buffers(self):
        """One sentence for a buffer-map entry that fits neither the graph nor the modules."""
        import numpy as np

        from ports import layouts

        for name, entry in self.case.buffer_map.items():
            if name not in self.variables:
                raise CaseError(
                    f"buffer-map entry '{name}' is no variable of the graph (its non-trainable "
                    f"variables: {names(set(self.variables) - set(self.case.name_map))})."
                )
            net, key, layout = self.weights[name]
            if key not in self.state_shapes.get(net, {}):
                raise CaseError(
                    f"buffer-map entry '{name}' points at '{entry[0]}', which the PyTorch "
                    "modules do not have."
                )
            shape = list(layouts.to_torch(layout, np.zeros(self.shapes[name])).shape)
            if shape != self.state_shapes[net][key]:
                raise CaseError(
                    f"TF variable '{name}' has shape {self.shapes[name]}, but {entry[0]} has "
                    f"shape {self.state_shapes[net][key]}."
                )

    def _optimizer(self, sub):
        from crosscheck import torch_side

        params = self.side.params_of(sub.variables)  # The modules' own parameter order.
        order = {id(p): i for i, p in enumerate(params)}
        return {
            "kind": sub.kind,
            "names": sorted(sub.variables, key=lambda n: order[id(self.parameter(n))]),
            "slots": sub.slots,
            "powers": sub.powers,
            "optimizer": torch_side.optimizer(sub, params, "torch"),
        }

    def require_optimizers(self):
        """Refuse, in one sentence, a conversion of optimizer state this map cannot do."""
        if self.refusal:
            raise CaseError(self.refusal)
        if self.unmapped:
            raise CaseError(
                f"the graph's variable '{self.unmapped[0]}' is in neither name map nor the "
                "state of an optimizer the converter reads (unmapped "
                f"({len(self.unmapped)}): {names(self.unmapped)}); add it to the case's "
                "buffer_map if a module holds it, or pass --weights-only to convert the "
                "weights alone."
            )

    @property
    def keys(self):
        """Every key of the .pt file this map writes."""
        nets, opts = list(self.nets), [f"opt_{label}" for label in self.opt_labels]
        return ("model", "format", "step", *nets, *opts)

    @functools.cached_property
    def weights_saver(self):
        """A Saver of the weights and buffer-map variables alone: `--weights-only` writes it."""
        with self.graph.as_default():
            return self.tf1.train.Saver(
                var_list={n: self.variables[n] for n in self.weights}, write_version=2
            )

    def module(self, net):
        """The module under the .pt's key `net` ("G" for the generator, "D" ...)."""
        return self.nets[net]

    def parameter(self, name):
        """The parameter that the TF variable `name` maps to (the case's name map)."""
        from ports import layouts

        return layouts.parameter(self.side.nets, self.case.name_map[name][0])


@functools.lru_cache(maxsize=None)
def model_map(source):
    """The `ModelMap` of `source` (a model's name or a case), built once per process."""
    return ModelMap(load_case(source))
