"""One model's conversion map, read off its TF1 reference graph and its PyTorch port.

What every conversion maps through and checks against: the reference graph's variables (names,
shapes, the Saver that writes them), the port's state_dicts, and each optimizer's var_list and
beta powers; `Mismatch` is the one-sentence refusal of a checkpoint that does not fit.
"""

import functools
import importlib

from harness import cli, registry

NETS = {"generator": "G", "discriminator": "D"}  # NAME_MAP path heads -> the .pt's keys.
ADAM_SLOTS = ("Adam", "Adam_1")  # tf.compat.v1.train.AdamOptimizer's m and v, per weight.


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


class ModelMap:
    """Everything one model's conversion needs, read off its reference graph and its port once.

    `weights`: TF name -> (net, state_dict key, layout) for NAME_MAP and BUFFER_MAP entries;
    `optimizers`: net -> {"names": D's or G's var_list names in NAME_MAP order,
    "powers": (beta1_power name, beta2_power name), "optimizer": a torch Adam on the port}.
    """

    def __init__(self, model):
        import tf1_reference

        tf1_reference.setup()  # The reference graphs need Keras 2 and TF1 behaviour.
        import tensorflow as tf

        from crosscheck import engine

        tf1 = tf.compat.v1
        self.model, self.tf, self.tf1 = model, tf, tf1
        self.case = importlib.import_module(f"crosscheck.{model}").CASE
        hp = self.case.reference.HParams()
        self.graph = tf.Graph()
        with self.graph.as_default():
            g = self.case.reference.build_graph(hp)
            var_lists = dict(zip("DG", self.case.var_lists(g)))
            self.variables = {v.op.name: v for v in tf1.global_variables()}
            self.saver = tf1.train.Saver(var_list=self.variables, write_version=2)
        self.shapes = {n: v.shape.as_list() for n, v in self.variables.items()}
        # The port's modules and Adams, built as the cross-check builds them (TorchSide).
        self.side = engine.TorchSide(self.case, hp, "float32", "torch")
        port = self.case.port
        self.weights = {}
        for name, (path, layout) in {**port.NAME_MAP, **getattr(port, "BUFFER_MAP", {})}.items():
            head, _, key = path.partition(".")
            self.weights[name] = (NETS[head], key, layout)
        self.optimizers = {}
        for net, var_list in var_lists.items():
            names = [v.op.name for v in var_list]
            first = min(v.name for v in var_list)  # TF colocates the powers with this one.
            powers = sorted(
                n
                for n, v in self.variables.items()
                if "_power" in n and v.op.colocation_groups() == [f"loc:@{first[:-2]}".encode()]
            )
            module = self.module(net)
            order = {id(p): i for i, p in enumerate(module.parameters())}
            names.sort(key=lambda n: order[id(self.parameter(n))])
            self.optimizers[net] = {
                "names": names,
                "powers": tuple(powers),
                "optimizer": self.side.opt_D if net == "D" else self.side.opt_G,
            }
        covered = set(self.weights) | {p for o in self.optimizers.values() for p in o["powers"]}
        covered |= {
            f"{n}/{slot}"
            for o in self.optimizers.values()
            for n in o["names"]
            for slot in ADAM_SLOTS
        }
        # An internal invariant: the maps must account for every variable the graph saves.
        assert covered == set(self.variables), (sorted(covered ^ set(self.variables)), model)
        self.state_shapes = {
            net: {k: list(t.shape) for k, t in self.module(net).state_dict().items()}
            for net in ("G", "D")
        }

    @functools.cached_property
    def weights_saver(self):
        """A Saver of the weights and BatchNorm statistics alone: `--weights-only` writes it."""
        with self.graph.as_default():
            return self.tf1.train.Saver(
                var_list={n: self.variables[n] for n in self.weights}, write_version=2
            )

    def module(self, net):
        """The port's generator ("G") or discriminator ("D")."""
        return self.side.D if net == "D" else self.side.G

    def parameter(self, name):
        """The port's parameter that the TF variable `name` maps to (NAME_MAP)."""
        from ports import layouts

        return layouts.parameter(self.side.modules, self.case.port.NAME_MAP[name][0])


@functools.lru_cache(maxsize=None)
def model_map(model):
    """The `ModelMap` of `model`, built once per process (a TF graph and the port's modules)."""
    if model not in registry.MODELS:
        raise cli.UserError(f"unknown model {model!r}; choose one of {', '.join(registry.NAMES)}.")
    return ModelMap(model)
