"""TensorBoard logs of a run, written as each framework's users wrote them, with one set of tags.

- TF1 references: `tf.compat.v1.summary.FileWriter` with the session's graph attached, so the
  Graphs tab shows the original's scopes. Scalars and images are `tf.compat.v1.Summary` protos
  filled from Python values (the TF1 idiom for numbers computed outside the graph): no summary
  op is added to the graph, so nothing it computes and none of its op-level seeds can move.
- PyTorch ports: `torch.utils.tensorboard.SummaryWriter` (`add_scalar`, `add_image`).

Tags are the names a run already gives its metrics.jsonl fields (for example `loss_D`,
`accuracy`, `d_loss`, `modes_covered`) and `samples` for pictures, identical in a reference and
its port, so `tensorboard --logdir runs/<model>` overlays the two. Steps are the run's own
counter as it prints it (epoch or iteration). Writes happen at the loop's print interval only.
Hook for further figures (sample-quality metrics): `out.scalars(step, **{"quality/NAME": v})`
on the run folder reaches the same writer.

On --resume a writer first records TensorBoard's restart marker (`SessionLog.START` at the
resumed step, `purge_step` in PyTorch), so TensorBoard drops points logged after the checkpoint
by the interrupted process instead of drawing them twice.
"""

import pathlib
import struct
import sys
import types


def png_size(path):
    """(width, height) from a PNG file's IHDR chunk."""
    header = pathlib.Path(path).read_bytes()[:24]
    if header[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG file.")
    return struct.unpack(">II", header[16:24])


class TF1Board:
    """A `tf.compat.v1.summary.FileWriter` in the run folder, the graph attached."""

    def __init__(self, path, graph, purge_step=None):
        import tensorflow as tf

        self._tf1 = tf.compat.v1
        self.writer = self._tf1.summary.FileWriter(str(path), graph=graph)
        if purge_step is not None:
            start = self._tf1.SessionLog(status=self._tf1.SessionLog.START)
            self.writer.add_session_log(start, global_step=purge_step)

    def scalars(self, step, **values):
        Value = self._tf1.Summary.Value
        summary = self._tf1.Summary(
            value=[Value(tag=tag, simple_value=float(value)) for tag, value in values.items()]
        )
        self.writer.add_summary(summary, global_step=step)

    def image(self, tag, path, step):
        width, height = png_size(path)
        # Colorspace 4 = RGBA, what matplotlib's savefig writes.
        image = self._tf1.Summary.Image(
            height=height,
            width=width,
            colorspace=4,
            encoded_image_string=pathlib.Path(path).read_bytes(),
        )
        self.writer.add_summary(
            self._tf1.Summary(value=[self._tf1.Summary.Value(tag=tag, image=image)]), step
        )

    def flush(self):
        self.writer.flush()

    def close(self):
        self.writer.close()


def _summary_writer_class():
    """torch's SummaryWriter without importing TensorFlow.

    tensorboard resolves its `tf` lazily to TensorFlow when installed (a 5-20 s import for a
    port that never uses it) unless `tensorboard.compat.notf` exists, its documented switch to
    the bundled stub. The stub is what TensorBoard uses without TensorFlow; it writes the same
    event files. Only set when nothing has resolved `tf` yet.
    """
    if "tensorboard.compat.notf" not in sys.modules and "tensorflow" not in sys.modules:
        sys.modules["tensorboard.compat.notf"] = types.ModuleType("tensorboard.compat.notf")
    from torch.utils import tensorboard

    return tensorboard.SummaryWriter


class TorchBoard:
    """A `torch.utils.tensorboard.SummaryWriter` in the run folder."""

    def __init__(self, path, purge_step=None):
        self.writer = _summary_writer_class()(log_dir=str(path), purge_step=purge_step)

    def scalars(self, step, **values):
        for tag, value in values.items():
            self.writer.add_scalar(tag, float(value), step)

    def image(self, tag, path, step):
        import imageio.v3 as iio

        self.writer.add_image(tag, iio.imread(path), step, dataformats="HWC")

    def flush(self):
        self.writer.flush()

    def close(self):
        self.writer.close()


def read_events(folder):
    """{tag: [steps]} of the scalars and images in a folder's event files (tests, reports).

    Reads every events.out.tfevents.* file with tensorboard's EventAccumulator, which applies
    the restart markers as TensorBoard does.
    """
    from tensorboard.backend.event_processing import event_accumulator

    accumulator = event_accumulator.EventAccumulator(
        str(folder), size_guidance={event_accumulator.SCALARS: 0, event_accumulator.IMAGES: 0}
    )
    accumulator.Reload()
    tags = accumulator.Tags()
    result = {tag: [e.step for e in accumulator.Scalars(tag)] for tag in tags["scalars"]}
    result.update({tag: [e.step for e in accumulator.Images(tag)] for tag in tags["images"]})
    result["_graph"] = bool(tags.get("graph"))
    return result
