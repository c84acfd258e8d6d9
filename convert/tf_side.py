"""The TF side of a conversion: find a Saver checkpoint, read it, check it, write one.

`checkpoint_prefix` and `open_checkpoint` read any TF1 checkpoint (python -m convert inspect
uses them alone); `read_tf` checks one against a model's or a case's graph; `write_tf` saves
values through that graph, under a temporary name, never over an existing checkpoint.
"""

import os
import pathlib
import tempfile

from convert import maps
from harness import cli


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


def _unreadable(prefix, error):
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return cli.UserError(f"cannot read the TF checkpoint {prefix} ({first}); is it complete?")


def open_checkpoint(path):
    """(prefix, reader, {name: shape}, {name: tf.DType}) of the checkpoint `path` names."""
    import tensorflow as tf

    prefix = checkpoint_prefix(path)
    try:
        reader = tf.train.load_checkpoint(prefix)
        return (
            prefix,
            reader,
            reader.get_variable_to_shape_map(),
            reader.get_variable_to_dtype_map(),
        )
    except (tf.errors.OpError, ValueError) as error:
        raise _unreadable(prefix, error) from None


def read_tensors(prefix, reader, names):
    """{name: NumPy array} for `names`; `UserError` when the data files are cut or damaged."""
    import tensorflow as tf

    try:
        return {name: reader.get_tensor(name) for name in names}
    except (tf.errors.OpError, IndexError, ValueError) as error:  # IndexError: a cut .data file
        raise _unreadable(prefix, error) from None


def read_tf(model, path, weights_only=False):
    """(prefix, {name: array}, left out) of a TF checkpoint of `model` (a model's name or a
    case), checked by name, shape and dtype against its graph.

    All of the graph's variables, or with `weights_only` its weights and buffers alone: then
    any optimizer's slots and non-slot variables and counters (convert/listing.py tells them
    by name) are left out, and named in the third item, {name: listing's kind}.
    """
    import tensorflow as tf

    from convert import listing

    prefix, reader, shapes, dtypes = open_checkpoint(path)
    m = maps.model_map(model)
    model, used = m.name, {o["kind"] for o in m.optimizers.values()}
    state = "Adam state" if used == {"adam"} else "optimizer state"
    wanted, left_out = (m.weights if weights_only else m.shapes), {}
    if weights_only:
        kinds = listing.classify(shapes)
        optimizer_state = {"slot", "non-slot", "counter"}
        left_out = {
            n: k for n, k in kinds.items() if n not in m.weights and k["kind"] in optimizer_state
        }
    elif set(m.weights) <= set(shapes) and not set(m.shapes) <= set(shapes):
        missing = set(m.shapes) - set(shapes)
        raise maps.Mismatch(
            f"TF checkpoint {prefix} holds {model}'s weights but not its {state} "
            f"({len(missing)} variables missing, first '{min(missing)}'); "
            "pass --weights-only to convert the weights alone."
        )
    found = set(shapes) - set(left_out)
    maps.refuse_names(f"TF checkpoint {prefix}", model, wanted, found)
    for name in wanted:
        want = m.shapes[name]
        if list(shapes[name]) != want:
            raise maps.Mismatch(
                f"TF checkpoint {prefix} is not a {model} checkpoint of this shape: "
                f"{name} has shape {list(shapes[name])}, the graph's is {want}."
            )
        if dtypes[name] != tf.float32:
            raise maps.Mismatch(
                f"TF checkpoint {prefix}: {name} is {dtypes[name].name}, "
                f"but {model}'s graph is float32."
            )
    return prefix, read_tensors(prefix, reader, wanted), left_out


def write_tf(model, values, prefix):
    """Save `values` as a Saver checkpoint at `prefix`, through a temporary folder beside it.

    `values` holds every variable of the graph, or its weights and buffers alone
    (--weights-only).
    """
    m, prefix = maps.model_map(model), pathlib.Path(prefix)
    if pathlib.Path(f"{prefix}.index").exists():
        raise cli.UserError(
            f"a TF checkpoint {prefix} already exists; choose another prefix "
            "(nothing was overwritten)."
        )
    weights_only = set(values) == set(m.weights)
    assert weights_only or set(values) == set(m.variables), sorted(set(values) ^ set(m.variables))
    saver = m.weights_saver if weights_only else m.saver
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
            for name, value in values.items():
                m.variables[name].load(value, s)
            written = saver.save(
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
