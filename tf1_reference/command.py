"""The command line every TF1 reference shares: flags, seed, session config, folder, checkpoints.

Checkpoint format (TF1): `<run>/checkpoints/model.ckpt-<step>`, a standard
`tf.compat.v1.train.Saver` checkpoint of every global variable under the graph's own names
(Adam slots, beta powers and BatchNorm statistics included), beside a sidecar
`model.ckpt-<step>.state.json`: {"model", "format": 1, "step", "rng": the generators' states
(NumPy's global one as `np.random.get_state()` values, Python's `random`, the MNIST reader's
generator, position and order), "loop": the loop's counters and running sums, "log_sizes"}.
`<run>/checkpoints/checkpoint` is TF's own state file naming the latest prefix
(`tf.train.latest_checkpoint` reads it); it is rewritten atomically only after the new
checkpoint and its sidecar are complete, and the checkpoint before the latest is kept, so a
kill at any moment leaves a complete checkpoint that the pointer names.
"""

import json
import pathlib
import re
import sys

import tensorflow as tf

from harness import board, checkpoints, cli, run_folder
from tf1_reference import session

tf1 = tf.compat.v1


def parser(model, hparams, doc, default_seed=None):
    """Flags from `hparams`, plus --seed, --out, the session's --device options and checkpoints."""
    result = cli.ArgumentParser(
        prog=f"python -m tf1_reference.{model}",
        description=doc.split("\n\n")[0],
        epilog="Source, how to run and the list of deviations: the module docstring.",
    )
    cli.add_hparams(result, hparams)
    cli.add_run_arguments(result, default_seed)
    session.add_arguments(result)
    has_on_nan = any(f == "on_nan" for f in hparams.__dataclass_fields__)
    checkpoints.add_arguments(result, on_nan=not has_on_nan)
    return result


def start(args, hparams, model, original_config=None, parser=None, **extra):
    """Resolve hyper-parameters, seed and ConfigProto; open (or reopen) the run folder.

    Returns (hp, seed, config, out, control); `control` carries the checkpoint policy and, with
    --resume, the loaded sidecar (its "prefix" names the Saver checkpoint to restore).
    """
    resumed = None
    if getattr(args, "resume", None):
        saved = checkpoints.read_hparams(args.resume, model, "tf1")
        resumed = load_sidecar(args.resume)
        checkpoints.adopt_saved_run(args, parser, hparams, saved, extra)
    hp = cli.hparams_from_args(hparams, args)
    seed = cli.resolve_seed(args.seed)
    config = session.from_args(args, original=original_config)
    if resumed is not None:
        out = run_folder.RunFolder(args.resume, resume_sizes=resumed["log_sizes"])
    else:
        out = run_folder.RunFolder(args.out or run_folder.default_path(model, "tf1"))
        out.save_hparams(hp, seed=seed, device=args.device, framework="tf1", model=model, **extra)
    print(f"{model} (tf1): {hp}, seed={seed}, run folder {out.path}"
          + (f", resumed after step {resumed['step']}" if resumed else ""), file=sys.stderr)  # fmt: skip
    control = checkpoints.control_of(args, hp, out, resumed, model, "tf1_reference")
    return hp, seed, config, out, control


def load_sidecar(run_dir):
    """The latest checkpoint's sidecar, with "prefix" and "path" added; one sentence if none."""
    folder = pathlib.Path(run_dir) / checkpoints.FOLDER
    prefix = tf1.train.latest_checkpoint(str(folder)) if folder.is_dir() else None
    sidecar = pathlib.Path(f"{prefix}.state.json") if prefix else None
    if sidecar is None or not sidecar.is_file():
        raise checkpoints.no_checkpoint(run_dir)
    state = json.loads(sidecar.read_text())
    state["prefix"] = state["path"] = prefix
    return state


def save_checkpoint(control, sess, saver, step, loop, rng):
    """Write `model.ckpt-<step>` and its sidecar, then point the state file at them."""
    folder = control.out.path / checkpoints.FOLDER
    folder.mkdir(exist_ok=True)
    prefix = folder / f"model.ckpt-{step}"
    saver.save(sess, str(prefix), write_meta_graph=False, write_state=False)
    state = {"model": control.model, "format": checkpoints.FORMAT, "step": step, "rng": rng,
             "loop": loop, "log_sizes": control.log_sizes()}  # fmt: skip
    sidecar = pathlib.Path(f"{prefix}.state.json")
    run_folder.atomic_write(sidecar, lambda p: p.write_text(json.dumps(state)))
    previous = tf1.train.latest_checkpoint(str(folder))
    kept = [p for p in (previous, str(prefix)) if p and p != str(prefix)] + [str(prefix)]
    text = f'model_checkpoint_path: "{prefix.name}"\n' + "".join(
        f'all_model_checkpoint_paths: "{pathlib.Path(p).name}"\n' for p in kept
    )
    run_folder.atomic_write(folder / "checkpoint", lambda p: p.write_text(text))
    keep = {pathlib.Path(p).name for p in kept}
    for stale in folder.glob("model.ckpt-*"):
        if re.match(r"model\.ckpt-\d+", stale.name).group(0) not in keep:
            stale.unlink()
    return str(prefix)


def restore(control, sess, saver):
    """Restore the resumed checkpoint's variables; returns its sidecar."""
    saver.restore(sess, control.resumed["prefix"])
    return control.resumed


def attach_board(control, graph, purge_step):
    """TensorBoard for a CLI run (a `FileWriter`, graph attached); none for direct calls."""
    if control.enabled:
        resumed = control.resumed is not None
        control.out.board = board.TF1Board(control.out.path, graph, purge_step if resumed else None)


def main(argv, model, hparams, doc, train, original_config=None, default_seed=None,
         data_dir=False):  # fmt: skip
    """The whole `main` of a one-phase reference: flags, run folder, then `train` inside it."""
    result = parser(model, hparams, doc, default_seed)
    if data_dir:
        cli.add_data_dir_argument(result)
    args = result.parse_args(argv)
    if data_dir:  # Read (or download) MNIST first: a bad --data-dir leaves no run folder behind.
        from inputs import mnist

        mnist.read_raw(args.data_dir)
    hp, seed, config, out, control = start(args, hparams, model, original_config, result)
    extra = {"data_dir": args.data_dir} if data_dir else {}
    with out:
        return train(hp, out, seed, config=config, control=control, **extra)
