"""The command line every TF1 reference shares: flags, seed, session config, folder, checkpoints.

Checkpoint format (TF1): `<run>/checkpoints/model.ckpt-<step>`, a standard
`tf.compat.v1.train.Saver` checkpoint of every global variable under the graph's own names
(Adam slots, beta powers and BatchNorm statistics included), beside a sidecar
`model.ckpt-<step>.state.json`: {"model", "format", "step", "position": the epoch or step the
loop resumes at, "rng": NumPy's and Python's global generators, "tracked": the states of the
loop's tracked objects (an MNIST reader, a display), "log_sizes"}. `<run>/checkpoints/checkpoint`
is TF's own state file naming the latest prefix (`tf.train.latest_checkpoint` reads it); it is
rewritten atomically only after the new checkpoint and its sidecar are complete, and the
checkpoint before the latest is kept, so a kill at any moment leaves a complete checkpoint that
the pointer names.
"""

import contextlib
import json
import pathlib
import re
import shutil
import sys

import tensorflow as tf

import tf1_reference
from harness import board, checkpoints, cli, hooks, run_folder
from tf1_reference import session

tf1 = tf.compat.v1
Hooks = hooks.Hooks  # A bare run's hooks: the NaN stop only (harness/hooks.py).


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

    Returns (hp, seed, config, out, run_hooks): the hooks carry the checkpoint policy and, with
    --resume, the loaded sidecar (its "prefix" names the Saver checkpoint to restore).
    """
    tf1_reference.setup()
    resumed = None
    if getattr(args, "resume", None):
        saved = checkpoints.read_hparams(args.resume, model, "tf1")
        resumed = load(args.resume, model)
        checkpoints.adopt_saved_run(args, parser, hparams, saved, extra)
    hp = cli.hparams_from_args(hparams, args)
    seed = cli.resolve_seed(args.seed)
    config = session.from_args(args, original=original_config)
    if resumed is not None:
        out = run_folder.RunFolder(args.resume, resume_sizes=resumed["log_sizes"])
    else:
        out = run_folder.RunFolder(args.out or run_folder.default_path(model, "tf1"))
        out.save_hparams(
            hp,
            seed=seed,
            device=args.device,
            framework="tf1",
            model=model,
            init_weights=getattr(args, "init_weights", None),
            **extra,
        )
    print(
        f"{model} (tf1): {hp}, seed={seed}, run folder {out.path}"
        + (f", resumed after step {resumed['step']}" if resumed else ""),
        file=sys.stderr,
    )
    run_hooks = checkpoints.hooks_of(args, hp, out, resumed, model, "tf1_reference")
    return hp, seed, config, out, run_hooks


def load(run_dir, model):
    """The latest checkpoint's sidecar, with "prefix" and "path" added; one sentence if none."""
    folder = pathlib.Path(run_dir) / checkpoints.FOLDER
    prefix = tf1.train.latest_checkpoint(str(folder)) if folder.is_dir() else None
    sidecar = pathlib.Path(f"{prefix}.state.json") if prefix else None
    if sidecar is None or not sidecar.is_file():
        raise checkpoints.no_checkpoint(run_dir)
    state = json.loads(sidecar.read_text())
    checkpoints.check_format(run_dir, state, model)
    state["prefix"] = state["path"] = prefix
    return state


class SessionState:
    """What `harness.hooks.Hooks` needs of a TF1 run: its variables, written by a Saver."""

    def __init__(self, sess, saver, graph):
        self.sess, self.saver, self.graph = sess, saver, graph
        with graph.as_default():
            self.variables = tf1.global_variables()

    def rng(self):
        return {}  # TF's graph-level generators have no state that Python can save.

    def set_rng(self, rng):
        pass

    def capture(self):
        return dict(zip([v.op.name for v in self.variables], self.sess.run(self.variables)))

    def restore(self, resumed):
        self.saver.restore(self.sess, resumed["prefix"])

    def load_initial(self, weights):
        """Replace the trainable variables' initial values by `weights` (--init-weights)."""
        with self.graph.as_default():
            trainable = tf1.trainable_variables()
        missing = sorted({v.op.name for v in trainable} - set(weights))
        if missing:
            raise cli.UserError(f"--init-weights: no weights for {', '.join(missing[:4])}.")
        for variable in trainable:
            variable.load(weights[variable.op.name], self.sess)

    def trainable_values(self):
        """{variable name: value} of the trainable variables (python -m convert initial)."""
        with self.graph.as_default():
            trainable = tf1.trainable_variables()
        return dict(zip([v.op.name for v in trainable], self.sess.run(trainable)))

    def write(self, folder, captured):
        """`model.ckpt-<step>` of the captured values and its sidecar, then TF's state file."""
        folder = pathlib.Path(folder)
        folder.mkdir(exist_ok=True)
        weights = captured["weights"]
        for variable in self.variables:  # A capture from an epoch's start, or of now.
            variable.load(weights[variable.op.name], self.sess)
        prefix = folder / f"model.ckpt-{captured['step']}"
        self.saver.save(self.sess, str(prefix), write_meta_graph=False, write_state=False)
        sidecar = {key: value for key, value in captured.items() if key != "weights"}
        run_folder.atomic_write(
            pathlib.Path(f"{prefix}.state.json"), lambda p: p.write_text(json.dumps(sidecar))
        )
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

    def attach_board(self, out, purge_step):
        """TensorBoard: a `FileWriter` in the run folder with the graph attached."""
        out.board = board.TF1Board(out.path, self.graph, purge_step)


def save_phase(sess, saver, out, checkpoint, streams):
    """A program's own `saver.save(sess, "./<checkpoint>")` into the run folder: the variables,
    the meta graph and TF's `checkpoint` state file (relative paths, so the folder can move), plus
    `<name>.streams.json`, the random streams the next phase continues. Written in a temporary
    folder renamed into place; returns the checkpoint's path."""
    final = out.path / checkpoint
    temporary = out.path / f".{final.parent.name}.tmp"
    shutil.rmtree(temporary, ignore_errors=True)
    saver.save(sess, str(temporary / final.name))
    (temporary / f"{final.name}.streams.json").write_text(json.dumps(streams))
    if final.parent.exists():
        shutil.rmtree(final.parent)
    temporary.rename(final.parent)
    return final


def phase_prefix(restore, checkpoint):
    """The checkpoint prefix that `--restore` names: a run folder or a prefix itself."""
    if restore is None:
        raise cli.UserError(
            "this phase restores a checkpoint: pass --restore RUN_FOLDER (the --out of the run "
            "of the phase before)."
        )
    path = pathlib.Path(restore)
    prefix = path / checkpoint if path.is_dir() else path
    if not pathlib.Path(f"{prefix}.index").exists():
        raise cli.UserError(
            f"--restore {restore}: no checkpoint {prefix}.index there; "
            "pass the run folder of a finished run of the phase before."
        )
    return str(prefix)


def restore_phase(sess, saver, prefix, model):
    """Restore a phase checkpoint; returns the streams saved beside it (None when there are
    none, as in a checkpoint converted from PyTorch). One sentence for a foreign checkpoint."""
    try:
        saver.restore(sess, prefix)
    except (tf.errors.OpError, ValueError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise cli.UserError(
            f"--restore {prefix}: not a {model} checkpoint ({first[:200]}); pass the run folder "
            "of a run of the phase before."
        ) from None
    path = pathlib.Path(f"{prefix}.streams.json")
    return json.loads(path.read_text()) if path.is_file() else None


def saver_for(run_hooks):
    """The checkpoints' Saver, built after the original's ops (None when nothing is saved)."""
    return tf1.train.Saver() if run_hooks.enabled else None


def main(argv, model, hparams, doc, train, original_config=None, default_seed=None, data_dir=False):
    """The whole `main` of a one-phase reference: flags, run folder, then `train` inside it."""
    result = parser(model, hparams, doc, default_seed)
    if data_dir:
        cli.add_data_dir_argument(result)
    args = result.parse_args(argv)
    if data_dir:  # Read (or download) MNIST first: a bad --data-dir leaves no run folder behind.
        from inputs import mnist

        mnist.read_raw(args.data_dir)
    hp, seed, config, out, run_hooks = start(args, hparams, model, original_config, result)
    extra = {"data_dir": args.data_dir} if data_dir else {}
    with out, contextlib.closing(run_hooks):
        return train(hp, out, seed, config=config, hooks=run_hooks, **extra)
