"""Convert a checkpoint between a TF1 graph and its PyTorch port, optimizer state included.

The graph and the port are a cross-check case (crosscheck/case.py): one of the archive's six
models by name, or `--case FILE.py:NAME` for a model of your own (docs/conversion.md).

Source: the case's name maps (each port's NAME_MAP and BUFFER_MAP, ports/layouts.py); the
    graph's train ops, whose Apply ops name each variable's slots and Adam's beta powers
    (crosscheck/graph_reading.py); torch.optim.Adam's and torch.optim.SGD's state_dicts.

Run:
    python -m convert tf-to-torch gaussian_gan runs/a/gan.ckpt runs/a.pt
    python -m convert torch-to-tf gaussian_gan runs/a.pt runs/b/gan.ckpt
    python -m convert tf-to-torch mnist_dcgan runs/dcgan runs/dcgan.pt   # a folder
    python -m convert tf-to-torch mnist_dcgan runs/dcgan runs/w.pt --weights-only   # no Adam
    python -m convert torch-to-tf mnist_dcgan runs/w.pt runs/w/gan.ckpt --weights-only
    python -m convert tf-to-torch --case examples/mnist_gan_2017/case.py:CASE runs/mine/model \
        runs/mine.pt                              # a model of your own: its case
    python -m convert torch-to-tf --case examples/mnist_gan_2017/case.py:CASE runs/mine.pt \
        runs/mine-tf/model
    python -m convert inspect runs/dcgan          # any TF1 checkpoint's variables (listing.py)
    python -m convert inspect runs/dcgan --json   # the same, for a program

The two formats (the resumable runs write and read the same):
- TF1: a `tf.compat.v1.train.Saver` checkpoint (a prefix: PREFIX.index and PREFIX.data-*) of
  the graph's global variables under their own names: the weights, each weight's slots (Adam's
  `<var>/Adam` (m) and `<var>/Adam_1` (v), Momentum's `<var>/Momentum`), each Adam's
  `beta1_power` and `beta2_power` (`_1` for the optimizer built second), and buffers such as
  mnist_dcgan's BatchNorm moving statistics.
- PyTorch: one `torch.save` file holding {"model", "format": 1, "step", "G", "D", "opt_G",
  "opt_D"}: the port's state_dicts and `torch.optim.Adam` state_dicts (None: a fresh Adam).
  For a case: one state_dict per module of its `modules()` under its name ("generator" and
  "discriminator" as "G" and "D"), and "opt_<label>" per train op (crosscheck/case.py's
  sub-step labels). Other keys are ignored on reading.

How each number maps, through the cross-check's own maps:
- weights: the case's name map and ports/layouts.py (dense transposes, HWIO / OIHW, the
  DCGAN's NHWC flatten-order permutation); buffers: its buffer map;
- m and v: `exp_avg` and `exp_avg_sq`, in their weight's layout; Momentum's accumulator:
  `momentum_buffer` (TF's and torch's momentum updates are the same arithmetic); plain
  GradientDescent keeps no state. Any other optimizer is refused: --weights-only converts it.
- the beta powers: after t updates TF holds beta^(t+1) in float32 (crosscheck/tf_adam.py), and
  torch's per-parameter `step` is t, so t is read off the powers and the powers made from t.
  TF's powers reach 0 after ~87,000 updates, past which every count computes the same numbers:
  the smallest is written then.
- A TF checkpoint holds no learning rate and no training step: the .pt's optimizer groups take
  the graph's learning rates, betas and momenta, and its "step" is the first train op's (D's)
  Adam update count (or --step).

`--weights-only` maps the weights and buffers alone, either way: the TF side's optimizer state
of any optimizer is left out (and named), the .pt's "opt_*" are None, and the TF checkpoint
written holds no optimizer state.

Every conversion first checks the case against its graph and its modules (a name map that does
not fit is one sentence, crosscheck/validation.py), then names, shapes and dtypes against them,
and refuses a checkpoint of another model or another shape with one sentence that names the
first mismatch and lists every missing and unexpected name. Nothing is written until the
whole conversion has succeeded, and an existing output is never overwritten. It then prints
what it converted, what it left out and why (convert/summary.py).

The package, by role: this file holds both directions and the command line; maps.py a case's
map (its graph's variables and train ops, its modules' state_dicts, its optimizers); tf_side.py
and torch_side.py the two file formats; summary.py the report; listing.py `inspect`, which
needs no model.

Deviations: none (a project tool with no original).
"""

import sys

import numpy as np

from convert import listing, maps, summary, tf_side, torch_side
from harness import cli, registry, run_folder

Mismatch = maps.Mismatch  # What every check raises; lesson 9 catches it by this name.


# TF1 -> PyTorch


def tf_to_torch(model, path, step=None, weights_only=False):
    """(the .pt's dict, each sub-step's Adam update count) of the TF checkpoint at `path`.

    `model`: one of the archive's models, or a case (FILE.py:NAME or package.module:NAME).
    With `weights_only`, the weights and buffers alone: every "opt_<label>" is None (a fresh
    optimizer), the update counts None, and "step" is `step` (None: not known). Without it,
    "step" is `step`, else the first sub-step's (D's) update count.
    """
    import torch

    from ports import layouts

    m = maps.model_map(model)
    if not weights_only:
        m.require_optimizers()
    prefix, values, _ = tf_side.read_tf(model, path, weights_only)
    # Start from the modules' own state_dicts: BatchNorm's `num_batches_tracked` has no TF twin,
    # and the port's D (functional batch norm on batch statistics) neither reads nor advances it.
    state = {
        net: {k: t.clone() for k, t in net_.state_dict().items()} for net, net_ in m.nets.items()
    }
    for name, (net, key, layout) in m.weights.items():
        state[net][key] = torch.from_numpy(layouts.to_torch(layout, values[name]))
    result = {"model": m.name, "format": torch_side.FORMAT, **state}
    updates = dict.fromkeys(m.labels)
    if weights_only:
        return result | {"step": step} | {f"opt_{label}": None for label in m.opt_labels}, updates
    for label, opt in m.optimizers.items():
        result[f"opt_{label}"], updates[label] = _torch_state(m, prefix, label, opt, values)
    counted = [t for t in updates.values() if t is not None]
    result["step"] = (counted[0] if counted else None) if step is None else int(step)
    return result, updates


def _torch_state(m, prefix, label, opt, values):
    """(the torch optimizer's state_dict, Adam's update count or None) of one sub-step."""
    import torch

    from crosscheck import tf_adam
    from ports import layouts

    optimizer, t = opt["optimizer"], None
    if opt["kind"] == "adam":
        beta1, beta2 = optimizer.param_groups[0]["betas"]
        powers = tuple(float(values[p]) for p in opt["powers"])
        t = tf_adam.updates_of(beta1, beta2, *powers)
        if t is None:
            raise maps.Mismatch(
                f"TF checkpoint {prefix}: {label}'s Adam beta powers {powers} are not "
                f"TF's after any number of updates with betas ({beta1}, {beta2}); "
                "was it trained with other Adam settings?"
            )
    optimizer.state.clear()
    for name in opt["names"] if maps.SLOT_KEYS[opt["kind"]] else ():
        layout, slots = m.weights[name][2], opt["slots"][name]
        entry = {
            key: torch.from_numpy(layouts.to_torch(layout, values[slots[slot]]))
            for slot, key in maps.SLOT_KEYS[opt["kind"]]
        }
        if t is not None:  # torch.optim.Adam's step: a float32 tensor, first in its entry.
            entry = {"step": torch.tensor(float(t), dtype=torch.float32), **entry}
        optimizer.state[m.parameter(name)] = entry
    saved = optimizer.state_dict()
    optimizer.state.clear()
    return saved, t


# PyTorch -> TF1


def torch_to_tf(model, path, checkpoint=None, weights_only=False):
    """({TF variable name: NumPy array}, each sub-step's Adam step) of the .pt at `path` (checked).

    With `weights_only`, the weights and buffers alone, whatever the optimizers.
    """
    from ports import layouts

    if checkpoint is None:
        checkpoint = torch_side.load_torch(path, weights_only, torch_side.keys_of(model))
    steps = torch_side.check_torch(model, path, checkpoint, weights_only)
    m = maps.model_map(model)
    values = {}
    for name, (net, key, layout) in m.weights.items():
        values[name] = layouts.to_tf(layout, checkpoint[net][key].detach().cpu().numpy())
    for label, opt in m.optimizers.items() if not weights_only else ():
        values.update(_tf_state(m, opt, checkpoint[f"opt_{label}"], steps[label]))
    for name, value in values.items():
        values[name] = np.asarray(value, dtype=np.float32)
    return values, steps


def _tf_state(m, opt, saved, t):
    """{TF name: array} of one sub-step's optimizer state (`saved` None: a fresh optimizer,
    zero slots and Adam's powers at their first beta)."""
    from crosscheck import tf_adam
    from ports import layouts

    own = opt["optimizer"].param_groups[0]
    index_of = {id(p): i for i, p in enumerate(own["params"])}
    group, states = (own, {}) if saved is None else (saved["param_groups"][0], saved["state"])
    if saved is not None:
        states = {i: states.get(p) for i, p in enumerate(group["params"])}
    values = {}
    for name in opt["names"]:
        layout = m.weights[name][2]
        entry = states.get(index_of[id(m.parameter(name))]) or {}
        for slot, key in maps.SLOT_KEYS[opt["kind"]]:
            tf_name = opt["slots"][name][slot]
            tensor = entry.get(key)
            values[tf_name] = (
                np.zeros(m.shapes[tf_name], np.float32)
                if tensor is None
                else layouts.to_tf(layout, tensor.cpu().numpy())
            )
    for power, beta in zip(opt["powers"], group.get("betas", ())):
        values[power] = np.float32(tf_adam.beta_power(beta, t or 0))
    return values


# The command line


def _source_arguments(command):
    """MODEL, or --case instead of it: what the checkpoint is of."""
    command.add_argument(
        "model",
        nargs="?",
        choices=registry.NAMES,
        metavar="MODEL",
        help=f"which of the archive's models saved the checkpoint: {', '.join(registry.NAMES)} "
        "(or --case instead)",
    )
    command.add_argument(
        "--case",
        metavar="FILE.py:NAME",
        help="instead of MODEL, a cross-check case of a model of your own (FILE.py:NAME or "
        "package.module:NAME, crosscheck/case.py): its graph and modules give the map",
    )


def source(args):
    """The model or case a conversion command names: one of MODEL and --case, not both."""
    if args.model and args.case:
        raise cli.UserError(
            f"give MODEL ({args.model}) or --case ({args.case}), not both: --case names a "
            "model of your own instead of one of the archive's."
        )
    if not (args.model or args.case):
        raise cli.UserError(
            f"{args.command} needs MODEL (one of {', '.join(registry.NAMES)}) or --case "
            "FILE.py:NAME before the checkpoint and the output."
        )
    return args.model or args.case


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
    _source_arguments(to_torch)
    to_torch.add_argument("checkpoint", help="TF checkpoint prefix (or a folder holding one)")
    to_torch.add_argument("out", help="the .pt file to write (must not exist)")
    to_torch.add_argument(
        "--step",
        type=cli.positive(int),
        default=None,
        metavar="N",
        help="training step to record (default: D's Adam update count, read off its beta powers; "
        "with --weights-only, none)",
    )
    to_torch.add_argument(
        "--weights-only",
        action="store_true",
        help="the weights and BatchNorm statistics alone, for a checkpoint whose optimizer is not "
        "Adam or is absent: any optimizer state is left out (and listed), opt_G and opt_D are None",
    )
    to_tf = commands.add_parser("torch-to-tf", help=".pt file -> TF1 Saver checkpoint")
    _source_arguments(to_tf)
    to_tf.add_argument("pt", help="the .pt file to read")
    to_tf.add_argument("prefix", help="TF checkpoint prefix to write (must not exist)")
    to_tf.add_argument(
        "--weights-only",
        action="store_true",
        help="write the weights and BatchNorm statistics alone, no Adam state (restore it with a "
        "Saver over those variables); opt_G and opt_D are not read, and may be absent",
    )
    inspect = commands.add_parser(
        "inspect",
        help="list every variable of any TF1 checkpoint, its optimizer slots under it",
        description="List every variable of a TF1 Saver checkpoint (of any script: no model "
        "needed) by scope, with name, shape and dtype, each optimizer's slots under their "
        "variable, Adam's beta powers apart, and the parameter counts.",
    )
    inspect.add_argument("checkpoint", help="TF checkpoint prefix (or a folder holding one)")
    inspect.add_argument("--json", action="store_true", help="print the listing as JSON")
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
    extra = {"data_dir": data_dir} if registry.check(model).mnist else {}
    with tempfile.TemporaryDirectory() as scratch, run_folder.RunFolder(scratch) as out:
        try:
            reference.train(reference.HParams(), out, seed, hooks=capture, **extra)
        except hooks.Stop:
            pass
    return capture.weights


def main(argv=None):
    args = parser().parse_args(argv)
    if args.command == "inspect":
        return listing.main(args)
    if args.command == "initial":
        import tf1_reference

        tf1_reference.setup()
        weights = initial_weights(args.model, args.seed, args.data_dir)
        written = torch_side.write_weights(weights, args.out)
        print(f"{args.model}: the reference's initial weights at seed {args.seed} -> {written}")
        return 0
    model = source(args)
    if args.command == "tf-to-torch":
        checkpoint, updates = tf_to_torch(model, args.checkpoint, args.step, args.weights_only)
        written = torch_side.write_torch(checkpoint, args.out)
        lines = summary.tf_to_torch(
            model, args.checkpoint, written, checkpoint, updates, args.weights_only
        )
    else:
        checkpoint = torch_side.load_torch(args.pt, args.weights_only, torch_side.keys_of(model))
        values, steps = torch_to_tf(model, args.pt, checkpoint, args.weights_only)
        written = tf_side.write_tf(model, values, args.prefix)
        lines = summary.torch_to_tf(
            model, args.pt, written, checkpoint, values, steps, args.weights_only
        )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
