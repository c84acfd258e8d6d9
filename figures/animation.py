"""An animated GIF of the pictures a run saved, in the order given (wiseodd's training GIF)."""

import imageio.v2 as imageio
import numpy as np

from harness import run_folder


def write_gif(path, frame_paths, seconds_per_frame=0.1):
    """Write the PNGs `frame_paths` as a looping GIF at `path`, atomically.

    Frames are cropped or padded (white) to the first frame's size, since savefig with
    `bbox_inches='tight'` may differ by a pixel between pictures.
    """
    frame_paths = list(frame_paths)
    if not frame_paths:
        raise ValueError("a GIF needs at least one frame.")
    first = imageio.imread(frame_paths[0])
    height, width = first.shape[:2]

    def fitted(image):
        canvas = np.full((height, width) + first.shape[2:], 255, dtype=first.dtype)
        h, w = min(height, image.shape[0]), min(width, image.shape[1])
        canvas[:h, :w] = image[:h, :w, : canvas.shape[2]] if canvas.ndim == 3 else image[:h, :w]
        return canvas

    def write(temporary):
        with imageio.get_writer(
            temporary, format="GIF", mode="I", duration=seconds_per_frame, loop=0
        ) as writer:
            for frame_path in frame_paths:
                writer.append_data(fitted(imageio.imread(frame_path)))

    run_folder.atomic_write(path, write)
