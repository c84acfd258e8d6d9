"""What a run's checkpoint holds besides its weights, in both frameworks, and where it lives.

A checkpoint lives in `<run folder>/checkpoints/`; beside the framework's weights (a TF1 Saver
checkpoint with a `.state.json` sidecar, written by tf1_reference/backend.py, or one `torch.save`
file, written by ports/backend.py) it holds {"model", "format", "step", "position": the epoch or
step the loop resumes at, "rng", "tracked": the states of the loop's tracked objects,
"log_sizes"}. Random generators are saved as plain JSON-able values (lists and ints): NumPy's
global generator, Python's `random`, any explicit `np.random.Generator`.

The DCGAN of seed 002 is a program of three sessions that shared one process; its phase
checkpoints keep the random streams the next phase continues (`streams`, `continue_streams`).
"""

import random
import sys

import numpy as np

from harness import cli

FOLDER = "checkpoints"  # Checkpoints live in <run folder>/checkpoints/.
FORMAT = 2  # The checkpoint format's version, in every checkpoint (2: epochs, tracked states).
FINISHED = "finished"  # Written beside the last checkpoint when a run completes.


def numpy_global_state():
    """NumPy's global (legacy MT19937) generator as JSON-able values."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return [name, keys.tolist(), int(pos), int(has_gauss), float(cached)]


def set_numpy_global_state(state):
    name, keys, pos, has_gauss, cached = state
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))


def python_random_state():
    version, internal, gauss = random.getstate()
    return [version, list(internal), gauss]


def set_python_random_state(state):
    version, internal, gauss = state
    random.setstate((version, tuple(internal), gauss))


def generator_state(generator):
    """An explicit `np.random.Generator`'s bit-generator state (a dict of ints and a name)."""
    return generator.bit_generator.state


def set_generator_state(generator, state):
    generator.bit_generator.state = state


def numpy_states():
    """The generators every loop draws from: NumPy's global one and Python's `random`."""
    return {"numpy_global": numpy_global_state(), "python_random": python_random_state()}


def set_numpy_states(rng):
    set_numpy_global_state(rng["numpy_global"])
    set_python_random_state(rng["python_random"])


class Kept:
    """A value drawn once that a checkpoint keeps as it is (a fixed batch of sample noise)."""

    def __init__(self, value):
        self.value = value

    def state(self):
        return np.asarray(self.value).tolist()

    def set_state(self, state):
        self.value = np.asarray(state, dtype=np.asarray(self.value).dtype)


def check_format(run_dir, state, model):
    """One sentence when a checkpoint is another model's or an earlier version's."""
    if state.get("model") != model or state.get("format") != FORMAT:
        raise cli.UserError(
            f"--resume {run_dir}: its checkpoint is of {state.get('model')} in format "
            f"{state.get('format')}, not of {model} in format {FORMAT} (written by another "
            "model's command or an earlier version of the archive); start a new run."
        )


def streams(reader, **arrays):
    """The random streams a phase leaves to the next: NumPy's and Python's global generators, a
    reader's order and position (`inputs.mnist.DataSet.state()`), and fixed arrays drawn from
    them once."""
    return dict(
        numpy_states(),
        reader=reader.state(),
        **{name: np.asarray(array).tolist() for name, array in arrays.items()},
    )


def set_streams(state, reader, **arrays):
    """Put `streams` back; returns `arrays` with the saved ones in their place (float32)."""
    set_numpy_states(state)
    reader.set_state(state["reader"])
    return {
        name: np.asarray(state.get(name, array), dtype=np.float32) for name, array in arrays.items()
    }


def continue_streams(streams, reader, sample_noise):
    """Continue a previous phase's random streams (`streams`, saved beside its checkpoint), as
    a program whose phases share one process does; returns the sample noise. Without them (a
    checkpoint converted from the other framework) the phase keeps the streams its --seed
    started, and says so on stderr."""
    if streams is None:
        print(
            "the restored checkpoint holds no random streams: this phase's start from --seed "
            "instead of continuing the previous phase's.",
            file=sys.stderr,
        )
        return sample_noise
    return set_streams(streams, reader, sample_noise=sample_noise)["sample_noise"]
