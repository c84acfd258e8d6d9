"""The TF1 side of every reference's command (harness/command.py): session config, checkpoints.

A reference's `Run` adds its session's `ConfigProto` (`--device original|cpu|gpu`,
tf1_reference/session.py) to the run's seed and folder; `TF1(original_config)` is the backend
its `main` hands the command; `SessionState` is what the run's hooks checkpoint.

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

import dataclasses
import json
import pathlib
import re
import shutil

import tensorflow as tf

import tf1_reference
from harness import board, checkpoint_format, cli, command, resume, run_folder
from tf1_reference import session

tf1 = tf.compat.v1


@dataclasses.dataclass(frozen=True)
class Run(command.Run):
    """A reference's run: seed, folder and data (harness/command.py), and its session config."""

    config: object = None  # The session's tf.compat.v1.ConfigProto (None: TF's defaults).


class TF1:
    """What harness/command.py asks of the TF1 framework, for a model whose own session config
    is `original_config` (None: the original opened a plain `tf.Session()`)."""

    framework = "tf1"  # As hparams.json and the run folders name it.
    package = "tf1_reference"  # python -m tf1_reference.<model>
    Run = Run

    def __init__(self, original_config=None):
        self.original_config = original_config

    def setup(self):
        tf1_reference.setup()

    def add_arguments(self, parser):
        session.add_arguments(parser)

    def load(self, run_dir, model):
        return load(run_dir, model)

    def adopt(self, args, saved):
        pass  # A session config is chosen afresh by each process; nothing to carry over.

    def options(self, args, model):
        return {"config": session.from_args(args, original=self.original_config)}

    def record(self, run, args, model):
        """hparams.json's fields after the hyper-parameters."""
        return {
            "seed": run.seed,
            "device": args.device,
            "framework": self.framework,
            "model": model,
            "init_weights": getattr(args, "init_weights", None),
        }

    def describe(self, run):
        return ""  # The setup line names the session config nowhere (--log-device-placement does).

    def phase_checkpoint(self, restore, checkpoint):
        return phase_prefix(restore, checkpoint)


def load(run_dir, model):
    """The latest checkpoint's sidecar, with "prefix" and "path" added; one sentence if none."""
    folder = pathlib.Path(run_dir) / checkpoint_format.FOLDER
    prefix = tf1.train.latest_checkpoint(str(folder)) if folder.is_dir() else None
    sidecar = pathlib.Path(f"{prefix}.state.json") if prefix else None
    if sidecar is None or not sidecar.is_file():
        raise resume.no_checkpoint(run_dir)
    state = json.loads(sidecar.read_text())
    checkpoint_format.check_format(run_dir, state, model)
    state["prefix"] = state["path"] = prefix
    return state


def saver_for(run_hooks):
    """The checkpoints' Saver, built after the original's ops (None when nothing is saved)."""
    return tf1.train.Saver() if run_hooks.enabled else None


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


# -- the checkpoints of a program of sessions (seed 002) ---------------------------------------
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
