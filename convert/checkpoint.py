"""Convert a model's checkpoint between its TF1 reference and its PyTorch port, Adam state included.

Source: the cross-check's name maps (each port's NAME_MAP, ports/layouts.py); TF1's Adam
    variables as tf.compat.v1.train.AdamOptimizer names them (slots "Adam" and "Adam_1", the
    non-slot beta1_power / beta2_power colocated with the first variable of its var_list);
    torch.optim.Adam's state_dict.

Run:
    python -m convert tf-to-torch gaussian_gan runs/a/gan.ckpt runs/a.pt
    python -m convert torch-to-tf gaussian_gan runs/a.pt runs/b/gan.ckpt
    python -m convert tf-to-torch mnist_dcgan runs/dcgan runs/dcgan.pt   # a folder

The two formats (the resumable runs write and read the same):
- TF1: a `tf.compat.v1.train.Saver` checkpoint (a prefix: PREFIX.index and PREFIX.data-*) of
  the reference graph's global variables under their own names: the weights, each weight's
  Adam slots `<var>/Adam` (m) and `<var>/Adam_1` (v), each optimizer's `beta1_power` and
  `beta2_power` (`_1` for the optimizer built second), and mnist_dcgan's BatchNorm moving
  statistics.
- PyTorch: one `torch.save` file holding {"model", "format": 1, "step", "G", "D", "opt_G",
  "opt_D"}: the port's state_dicts and `torch.optim.Adam` state_dicts (None: a fresh Adam).
  Other keys are ignored on reading.

How each number maps, through the cross-check's own maps:
- weights: the port's `NAME_MAP` and ports/layouts.py (dense transposes, HWIO / OIHW, the
  DCGAN's NHWC flatten-order permutation); BatchNorm statistics: the port's `BUFFER_MAP`;
- m and v: `exp_avg` and `exp_avg_sq`, in their weight's layout;
- the beta powers: after t updates TF holds beta^(t+1) in float32 (crosscheck/tf_adam.py), and
  torch's per-parameter `step` is t, so t is read off the powers and the powers made from t.
  TF's powers reach 0 after ~87,000 updates, past which every count computes the same numbers:
  the smallest is written then.
- A TF checkpoint holds no learning rate and no training step: the .pt's Adam groups take the
  model's default learning rates and betas, and its "step" is D's update count (or --step).

Every conversion first checks names, shapes and dtypes against the model's graph and port,
and refuses a checkpoint of another model or another shape with one sentence that names the
first mismatch and lists every missing and unexpected name. Nothing is written until the
whole conversion has succeeded, and an existing output is never overwritten.

Deviations: none (a project tool with no original).
"""

import functools
import importlib
import os
import pathlib
import sys
import tempfile

import numpy as np

from harness import cli, registry, run_folder

FORMAT = 1  # The PyTorch file's "format"; bump it when its keys change meaning.
# Formats read: this converter's own, and a run checkpoint's (harness/checkpoints.py FORMAT 2),
# which holds the same "G", "D", "opt_G", "opt_D" beside the run's resume state.
READS = (1, 2)
KEYS = ("model", "format", "step", "G", "D", "opt_G", "opt_D")  # What every .pt file holds.
NETS = {"generator": "G", "discriminator": "D"}  # NAME_MAP path heads -> the .pt's keys.


class Mismatch(cli.UserError):
    """A checkpoint that does not fit the model: another model, shape or layout."""


def _names(names, limit=12):
    names = sorted(names)
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _refuse_names(what, model, expected, found):
    """Raise `Mismatch` when the names differ, naming the first mismatch and listing the rest."""
    missing, unexpected = set(expected) - set(found), set(found) - set(expected)
    if not (missing or unexpected):
        return
    first = (
        f"'{min(unexpected)}' is not in {model}" if unexpected else f"'{min(missing)}' is missing"
    )
    lists = [
        f"missing ({len(missing)}): {_names(missing)}" if missing else "",
        f"unexpected ({len(unexpected)}): {_names(unexpected)}" if unexpected else "",
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
            module = self.side.D if net == "D" else self.side.G
            order = {id(p): i for i, p in enumerate(module.parameters())}
            names.sort(key=lambda n: order[id(layouts_parameter(self.side, port.NAME_MAP[n][0]))])
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
            for slot in ("Adam", "Adam_1")
        }
        # An internal invariant: the maps must account for every variable the graph saves.
        assert covered == set(self.variables), (sorted(covered ^ set(self.variables)), model)
        self.state_shapes = {
            net: {k: list(t.shape) for k, t in module.state_dict().items()}
            for net, module in (("G", self.side.G), ("D", self.side.D))
        }


def layouts_parameter(side, path):
    from ports import layouts

    return layouts.parameter(side.modules, path)


@functools.lru_cache(maxsize=None)
def model_map(model):
    """The `ModelMap` of `model`, built once per process (a TF graph and the port's modules)."""
    if model not in registry.MODELS:
        raise cli.UserError(f"unknown model {model!r}; choose one of {', '.join(registry.NAMES)}.")
    return ModelMap(model)


# TF1 -> PyTorch


def checkpoint_prefix(path):
    """The TF checkpoint prefix that `path` names: a prefix itself, or a folder holding one."""
    import tensorflow as tf

    path = pathlib.Path(path)
    if path.is_dir():
        latest = tf.train.latest_checkpoint(str(path))
        indexes = sorted(path.glob("*.index")) + sorted(path.glob("models/*.index"))
        if latest is None and len(indexes) == 1:
            latest = str(indexes[0])[: -len(".index")]
        if latest is None:
            raise cli.UserError(
                f"{path} holds no TF checkpoint (no single *.index file); "
                "pass the checkpoint's prefix, e.g. runs/x/models/gan.ckpt."
            )
        return latest
    if not pathlib.Path(f"{path}.index").is_file():
        raise cli.UserError(
            f"no TF checkpoint {path}: {path}.index does not exist; pass the "
            "prefix a tf.compat.v1.train.Saver wrote (without .index)."
        )
    return str(path)


def read_tf(model, path):
    """Every variable of a TF checkpoint of `model`, by name, as NumPy arrays (checked)."""
    import tensorflow as tf

    prefix = checkpoint_prefix(path)
    m = model_map(model)
    try:
        reader = tf.train.load_checkpoint(prefix)
        shapes = reader.get_variable_to_shape_map()
        dtypes = reader.get_variable_to_dtype_map()
    except (tf.errors.OpError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise cli.UserError(
            f"cannot read the TF checkpoint {prefix} ({first}); is it complete?"
        ) from None
    _refuse_names(f"TF checkpoint {prefix}", model, m.shapes, shapes)
    for name, want in m.shapes.items():
        if list(shapes[name]) != want:
            raise Mismatch(
                f"TF checkpoint {prefix} is not a {model} checkpoint of this shape: "
                f"{name} has shape {list(shapes[name])}, the graph's is {want}."
            )
        if dtypes[name] != tf.float32:
            raise Mismatch(
                f"TF checkpoint {prefix}: {name} is {dtypes[name].name}, "
                f"but {model}'s graph is float32."
            )
    try:
        return prefix, {name: reader.get_tensor(name) for name in m.shapes}
    except (tf.errors.OpError, IndexError, ValueError) as error:  # IndexError: a cut .data file
        raise cli.UserError(
            f"cannot read the TF checkpoint {prefix} "
            f"({str(error).strip().splitlines()[0]}); is it complete?"
        ) from None


def tf_to_torch(model, path, step=None):
    """The PyTorch checkpoint dict of the TF checkpoint at `path` (a prefix or a folder)."""
    import torch

    from crosscheck import tf_adam
    from ports import layouts

    m = model_map(model)
    prefix, values = read_tf(model, path)
    # Start from the port's own state_dicts: BatchNorm's `num_batches_tracked` has no TF twin,
    # and the port's D (functional batch norm on batch statistics) neither reads nor advances it.
    state = {
        net: {k: t.clone() for k, t in module.state_dict().items()}
        for net, module in (("G", m.side.G), ("D", m.side.D))
    }
    for name, (net, key, layout) in m.weights.items():
        state[net][key] = torch.from_numpy(layouts.to_torch(layout, values[name]))
    result = {"model": model, "format": FORMAT, "G": state["G"], "D": state["D"]}
    updates = {}
    for net, opt in m.optimizers.items():
        optimizer = opt["optimizer"]
        beta1, beta2 = optimizer.param_groups[0]["betas"]
        powers = tuple(float(values[p]) for p in opt["powers"])
        t = tf_adam.updates_of(beta1, beta2, *powers)
        if t is None:
            raise Mismatch(
                f"TF checkpoint {prefix}: {net}'s Adam beta powers {powers} are not "
                f"TF's after any number of updates with betas ({beta1}, {beta2}); "
                "was it trained with other Adam settings?"
            )
        optimizer.state.clear()
        for name in opt["names"]:
            _, key, layout = m.weights[name]
            param = layouts_parameter(m.side, m.case.port.NAME_MAP[name][0])
            optimizer.state[param] = {
                "step": torch.tensor(float(t), dtype=torch.float32),  # torch.optim.Adam's dtype
                "exp_avg": torch.from_numpy(layouts.to_torch(layout, values[f"{name}/Adam"])),
                "exp_avg_sq": torch.from_numpy(layouts.to_torch(layout, values[f"{name}/Adam_1"])),
            }
        result[f"opt_{net}"] = optimizer.state_dict()
        optimizer.state.clear()
        updates[net] = t
    result["step"] = updates["D"] if step is None else int(step)
    return result, updates


# PyTorch -> TF1


def load_torch(path):
    """The dict in a .pt file, or `UserError` naming what is wrong with the file."""
    import torch

    path = pathlib.Path(path)
    if not path.is_file():
        raise cli.UserError(f"no PyTorch checkpoint {path}: the file does not exist.")
    try:
        # Not weights_only: the resumable runs may store NumPy generator states beside the
        # tensors. Load only checkpoints you made.
        checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:  # noqa: BLE001  (pickle, zip and EOF errors all mean "not one")
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise cli.UserError(f"{path} is not a readable PyTorch checkpoint ({first}).") from None
    if not isinstance(checkpoint, dict) or not set(KEYS) - {"step"} <= set(checkpoint):
        found = sorted(checkpoint) if isinstance(checkpoint, dict) else type(checkpoint).__name__
        raise cli.UserError(
            f"{path} is not an archive checkpoint: it needs the keys "
            f"{', '.join(KEYS)}, and holds {found}."
        )
    return checkpoint


def _check_torch(model, path, checkpoint):
    """Refuse a .pt of another model, format, shape or optimizer layout; return Adam steps."""
    import torch

    if checkpoint["model"] != model:  # Before the model's graph is built: a quick refusal.
        raise Mismatch(
            f"{path} holds a {checkpoint['model']} checkpoint, not {model}; "
            f"convert it as {checkpoint['model']}."
        )
    if checkpoint["format"] not in READS:
        raise Mismatch(
            f"{path} is format {checkpoint['format']!r}; this converter reads "
            f"formats {', '.join(map(str, READS))}."
        )
    m = model_map(model)
    for net in ("G", "D"):
        state = checkpoint[net]
        if not isinstance(state, dict):
            raise Mismatch(f"{path}: {net} is {type(state).__name__}, not a state_dict.")
        _refuse_names(f"{path} ({net})", model, m.state_shapes[net], state)
        for key, want in m.state_shapes[net].items():
            got = list(state[key].shape) if torch.is_tensor(state[key]) else None
            if got != want:
                raise Mismatch(
                    f"{path} is not a {model} checkpoint of this shape: {net} "
                    f"{key} has shape {got}, the port's is {want}."
                )
    steps = {}
    for net, opt in m.optimizers.items():
        saved = checkpoint[f"opt_{net}"]
        if saved is None:
            steps[net] = None
            continue
        n = len(opt["names"])
        groups = saved.get("param_groups") if isinstance(saved, dict) else None
        if not groups or len(groups) != 1 or len(groups[0].get("params", ())) != n:
            raise Mismatch(
                f"{path}: opt_{net} is not one Adam group over {model}'s {n} {net} parameters."
            )
        counts = set()
        shapes = [list(p.shape) for p in (m.side.D if net == "D" else m.side.G).parameters()]
        for index, shape in zip(groups[0]["params"], shapes):
            entry = saved["state"].get(index)
            if entry is None:
                counts.add(0)
                continue
            for key in ("exp_avg", "exp_avg_sq"):
                got = list(entry[key].shape) if torch.is_tensor(entry.get(key)) else None
                if got != shape:
                    raise Mismatch(
                        f"{path}: opt_{net} {key} of parameter {index} has shape "
                        f"{got}, the port's is {shape}."
                    )
            counts.add(int(entry["step"]))
        if len(counts) != 1:
            raise Mismatch(
                f"{path}: opt_{net}'s parameters have different step counts "
                f"{sorted(counts)}; TF keeps one per optimizer."
            )
        steps[net] = counts.pop()
    return steps


def torch_to_tf(model, path, checkpoint=None):
    """TF variable name -> NumPy array for the PyTorch checkpoint at `path` (checked)."""
    import numpy as np

    from crosscheck import tf_adam
    from ports import layouts

    checkpoint = load_torch(path) if checkpoint is None else checkpoint
    steps = _check_torch(model, path, checkpoint)
    m = model_map(model)
    values = {}
    for name, (net, key, layout) in m.weights.items():
        values[name] = layouts.to_tf(layout, checkpoint[net][key].detach().cpu().numpy())
    for net, opt in m.optimizers.items():
        saved, module = checkpoint[f"opt_{net}"], m.side.D if net == "D" else m.side.G
        index_of = {id(p): i for i, p in enumerate(module.parameters())}
        if saved is None:  # A fresh Adam: zero slots, powers at their initial beta.
            betas, states = opt["optimizer"].param_groups[0]["betas"], {}
        else:
            betas, states = saved["param_groups"][0]["betas"], saved["state"]
            states = {i: states.get(p) for i, p in enumerate(saved["param_groups"][0]["params"])}
        for name in opt["names"]:
            path_, layout = m.case.port.NAME_MAP[name]
            entry = states.get(index_of[id(layouts_parameter(m.side, path_))])
            for slot, key in (("Adam", "exp_avg"), ("Adam_1", "exp_avg_sq")):
                if entry is None:
                    values[f"{name}/{slot}"] = np.zeros(m.shapes[name], np.float32)
                else:
                    values[f"{name}/{slot}"] = layouts.to_tf(layout, entry[key].cpu().numpy())
        t = steps[net] or 0
        for power, beta in zip(opt["powers"], betas):
            values[power] = np.float32(tf_adam.beta_power(beta, t))
    for name, value in values.items():
        values[name] = np.asarray(value, dtype=np.float32)
    return values, steps


def write_tf(model, values, prefix):
    """Save `values` as a Saver checkpoint at `prefix`, through a temporary folder beside it."""
    m, prefix = model_map(model), pathlib.Path(prefix)
    if pathlib.Path(f"{prefix}.index").exists():
        raise cli.UserError(
            f"a TF checkpoint {prefix} already exists; choose another prefix "
            "(nothing was overwritten)."
        )
    try:
        prefix.parent.mkdir(parents=True, exist_ok=True)
        temporary = tempfile.mkdtemp(prefix=".convert-", dir=prefix.parent)
    except OSError as error:
        raise cli.UserError(
            f"cannot write to {prefix.parent} ({error.strerror}); "
            "pass a prefix in a writable folder."
        ) from None
    try:
        with m.tf1.Session(graph=m.graph, config=m.tf1.ConfigProto(device_count={"GPU": 0})) as s:
            for name, variable in m.variables.items():
                variable.load(values[name], s)
            written = m.saver.save(
                s, os.path.join(temporary, prefix.name), write_meta_graph=False, write_state=False
            )
        data = sorted(pathlib.Path(temporary).glob(f"{prefix.name}.data-*"))
        for part in data + [pathlib.Path(f"{written}.index")]:  # The index last: it makes it whole.
            os.replace(part, prefix.parent / part.name)
    finally:
        for leftover in pathlib.Path(temporary).iterdir():
            leftover.unlink()
        os.rmdir(temporary)
    return str(prefix)


def write_torch(checkpoint, out):
    """torch.save `checkpoint` at `out`, written under a temporary name and renamed."""
    import torch

    out = pathlib.Path(out)
    if out.exists():
        raise cli.UserError(
            f"{out} already exists; choose another output file (nothing was overwritten)."
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        run_folder.atomic_write(out, lambda p: torch.save(checkpoint, p))
    except OSError as error:
        raise cli.UserError(
            f"cannot write {out} ({error.strerror}); pass a path in a writable folder."
        ) from None
    return str(out)


def parser():
    result = cli.ArgumentParser(
        prog="python -m convert",
        description="Convert a checkpoint between a model's TF1 reference (a Saver prefix) and "
        "its PyTorch port (a .pt file), weights and Adam state alike, through the cross-check's "
        "name maps.",
        epilog="Formats and the mapping of every number: the module docstring.",
    )
    commands = result.add_subparsers(dest="command", required=True, metavar="COMMAND")
    to_torch = commands.add_parser("tf-to-torch", help="TF1 Saver checkpoint -> .pt file")
    to_torch.add_argument("model", choices=registry.NAMES, help="which model saved the checkpoint")
    to_torch.add_argument("checkpoint", help="TF checkpoint prefix (or a folder holding one)")
    to_torch.add_argument("out", help="the .pt file to write (must not exist)")
    to_torch.add_argument(
        "--step",
        type=cli.positive(int),
        default=None,
        metavar="N",
        help="training step to record (default: D's Adam update count, read off its beta powers)",
    )
    to_tf = commands.add_parser("torch-to-tf", help=".pt file -> TF1 Saver checkpoint")
    to_tf.add_argument("model", choices=registry.NAMES, help="which model saved the checkpoint")
    to_tf.add_argument("pt", help="the .pt file to read")
    to_tf.add_argument("prefix", help="TF checkpoint prefix to write (must not exist)")
    initial = commands.add_parser(
        "initial", help="the TF1 reference's initial weights at a seed -> .npz (--init-weights)"
    )
    initial.add_argument("model", choices=registry.NAMES, help="which model")
    initial.add_argument("--seed", type=int, required=True, help="the run seed whose draws to take")
    initial.add_argument("out", help="the .npz file to write (must not exist)")
    cli.add_data_dir_argument(initial)
    return result


def initial_weights(model, seed, data_dir=None):
    """{variable name: value} of the TF1 reference's trainable variables as its own run with
    `seed` initialises them: its `train`, stopped where the loop would begin."""
    import tempfile

    from harness import hooks

    class Capture(hooks.Hooks):
        def attach(self, state, first_logged=0):
            self.weights = state.trainable_values()
            raise hooks.Stop(0)

    reference, capture = registry.reference(model), Capture(progress=False)
    extra = {"data_dir": data_dir} if registry.MODELS[model].mnist else {}
    with tempfile.TemporaryDirectory() as scratch, run_folder.RunFolder(scratch) as out:
        try:
            reference.train(reference.HParams(), out, seed, hooks=capture, **extra)
        except hooks.Stop:
            pass
    return capture.weights


def write_weights(weights, out):
    """An .npz of `weights` at `out`, written under a temporary name; refuses an existing one."""
    out = pathlib.Path(out)
    if out.exists():
        raise cli.UserError(f"{out} exists; choose another output (nothing is overwritten).")
    out.parent.mkdir(parents=True, exist_ok=True)

    def write(path):
        with open(path, "wb") as file:
            np.savez(file, **weights)

    run_folder.atomic_write(out, write)
    return out


def main(argv=None):
    args = parser().parse_args(argv)
    if args.command == "initial":
        import tf1_reference

        tf1_reference.setup()
        weights = initial_weights(args.model, args.seed, args.data_dir)
        written = write_weights(weights, args.out)
        print(f"{args.model}: the reference's initial weights at seed {args.seed} -> {written}")
        return 0
    if args.command == "tf-to-torch":
        checkpoint, updates = tf_to_torch(args.model, args.checkpoint, args.step)
        written = write_torch(checkpoint, args.out)
        print(
            f"{args.model}: {args.checkpoint} -> {written} (step {checkpoint['step']}; "
            f"Adam updates D {updates['D']}, G {updates['G']})"
        )
    else:
        checkpoint = load_torch(args.pt)
        values, steps = torch_to_tf(args.model, args.pt, checkpoint)
        written = write_tf(args.model, values, args.prefix)
        print(
            f"{args.model}: {args.pt} -> {written} ({len(values)} variables; step "
            f"{checkpoint.get('step')}, which a TF checkpoint does not hold; Adam updates "
            f"D {steps['D'] or 0}, G {steps['G'] or 0})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
