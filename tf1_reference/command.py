"""The command line every TF1 reference shares: its flags, seed, session config and run folder."""

import sys

from harness import cli, run_folder
from tf1_reference import session


def parser(model, hparams, doc, default_seed=None):
    """Flags from `hparams`, plus --seed, --out and the session's --device options."""
    result = cli.ArgumentParser(
        prog=f"python -m tf1_reference.{model}",
        description=doc.split("\n\n")[0],
        epilog="Source, how to run and the list of deviations: the module docstring.",
    )
    cli.add_hparams(result, hparams)
    cli.add_run_arguments(result, default_seed)
    session.add_arguments(result)
    return result


def start(args, hparams, model, original_config=None):
    """Resolve hyper-parameters, seed and ConfigProto; open the run folder and log the setup."""
    hp = cli.hparams_from_args(hparams, args)
    seed = cli.resolve_seed(args.seed)
    config = session.from_args(args, original=original_config)
    out = run_folder.RunFolder(args.out or run_folder.default_path(model, "tf1"))
    out.save_hparams(hp, seed=seed, device=args.device, framework="tf1", model=model)
    print(f"{model} (tf1): {hp}, seed={seed}, run folder {out.path}", file=sys.stderr)
    return hp, seed, config, out
