"""`python -m tf1run [options] SCRIPT.py [ARGS...]`: the command line (tf1run/__init__.py)."""

import argparse
import importlib.metadata
import os
import random
import sys
import warnings

from harness import cli, tf_logs
from tf1run import scan


def parser():
    result = cli.ArgumentParser(
        prog="python -m tf1run",
        usage="python -m tf1run [options] SCRIPT.py [ARGS ...]",
        description="Run an unmodified TF1-era script on TensorFlow 2.21 in graph mode "
        "(tf.compat.v1 plus the old names, input_data and a tf.contrib.layers subset), in the "
        "current folder, with ARGS as its own command line. Every option goes before SCRIPT.py.",
        epilog="A substitution block on stderr lists what tf1run replaces before the script "
        "starts. Exit status: the script's own; 0 when --max-steps stops it; 2 when tf1run "
        "refuses an API (one sentence naming it and the line); 1 for the script's own error "
        "(its frames only). docs/tf1run.md has every substitution and refusal.",
    )
    result.add_argument("script", metavar="SCRIPT.py", help="the TF1 script to run")
    result.add_argument("args", nargs=argparse.REMAINDER, help="the script's own arguments")
    result.add_argument(
        "--max-steps",
        type=int,
        default=None,
        metavar="N",
        help="stop the script cleanly after N training steps (Session.run calls that run an "
        "optimizer's update; a D step and a G step are two), exit 0",
    )
    result.add_argument(
        "--save",
        metavar="PREFIX",
        help="save every global variable with a tf.compat.v1.train.Saver to PREFIX when the "
        "script ends or is stopped (from the last session that ran), for python -m convert",
    )
    result.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed NumPy's and Python's global generators and the graph-level seed of every "
        "graph the script makes (default: none, the script's own randomness)",
    )
    result.add_argument(
        "--data-dir",
        default=None,
        help="where input_data reads MNIST when the folder the script names lacks the four "
        "files (default: $MNIST_DATA_DIR, else data/mnist); tf1run never downloads",
    )
    result.add_argument(
        "--verbose",
        action="store_true",
        help="show every TensorFlow log and warning (also TF1RUN_VERBOSE=1)",
    )
    # tf1_reference/session.py's three flags, written out here: importing that module would
    # load TensorFlow before --verbose and --device have chosen its log level.
    result.add_argument(
        "--device",
        choices=("original", "cpu", "gpu"),
        default="original",
        help="session placement: the script's own ConfigProto, cpu only, or gpu with "
        "allow_growth and soft placement (default: original)",
    )
    result.add_argument(
        "--gpu-memory-fraction",
        type=float,
        default=None,
        help="with --device gpu: reserve this fraction of GPU memory instead of allow_growth",
    )
    result.add_argument(
        "--log-device-placement", action="store_true", help="print the device every op is placed on"
    )
    return result


def check(args):
    """Refuse bad tf1run arguments with one sentence (cli.UserError)."""
    if args.max_steps is not None and args.max_steps < 0:
        raise cli.UserError(f"--max-steps must be 0 or more, got {args.max_steps}.")
    if not os.path.isfile(args.script):
        raise cli.UserError(f"{args.script}: no such script (give the path of a .py file).")
    if args.gpu_memory_fraction is not None:
        if args.device != "gpu":
            raise cli.UserError("--gpu-memory-fraction only applies with --device gpu.")
        if not 0.0 < args.gpu_memory_fraction <= 1.0:
            raise cli.UserError(
                f"--gpu-memory-fraction must lie in (0, 1], got {args.gpu_memory_fraction}."
            )


def start_tensorflow(args, verbose):
    """Import TensorFlow quietly, enter graph mode, seed; return the script's builtins."""
    os.environ["TF_USE_LEGACY_KERAS"] = "1"  # tf.layers needs Keras 2, read at first use.
    os.environ["MPLBACKEND"] = "Agg"
    import numpy as np
    import tensorflow as tf

    v1 = tf.compat.v1
    v1.logging.set_verbosity(v1.logging.ERROR)  # tf1run's own calls warn of nothing useful.
    v1.disable_v2_behavior()
    from tf1run import batch_norm, contrib, input_data, session, shim

    session.SETTINGS = session.Settings(args)
    input_data.DATA_DIR, input_data.SEED = args.data_dir, args.seed
    if args.seed is not None:
        np.random.seed(args.seed)
        random.seed(args.seed)
        v1.set_random_seed(args.seed)
    notices = scan.Notices(args.found or ())
    top = shim.build(notices, session, [contrib, batch_norm], input_data)
    # Warnings about what the script calls, each once; Agg's plt.show() notice, never.
    v1.logging.set_verbosity(v1.logging.DEBUG if verbose else v1.logging.WARN)
    warnings.simplefilter("default" if verbose else "once", UserWarning)
    warnings.filterwarnings("ignore", message=".*non-interactive, and thus cannot be shown")
    return shim.builtins_for(top)


def main(argv=None):
    args = parser().parse_args(argv)
    check(args)
    verbose = args.verbose or os.environ.get("TF1RUN_VERBOSE") == "1"
    tf_logs.choose("0" if verbose else tf_logs.level_for(["--device", args.device]))
    with open(args.script, encoding="utf-8") as file:
        source = file.read()
    try:
        args.found = scan.scan(source, args.script)
    except SyntaxError:
        args.found = None  # The run reports it as the script's error, at its line.
    version = importlib.metadata.version("tensorflow")
    print(scan.block(args.found, args.script, version), file=sys.stderr, flush=True)
    builtins_table = start_tensorflow(args, verbose)
    from tf1run import runner

    return runner.run(args.script, args.args, builtins_table)


if __name__ == "__main__":
    sys.exit(cli.run(main))
