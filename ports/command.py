"""The command line every PyTorch port shares: its flags, seed, device and run folder."""

import sys

import torch

from harness import cli, run_folder


def parser(model, hparams, doc, default_seed=None):
    """Flags from `hparams`, plus --seed, --out and --device auto|cpu|cuda."""
    result = cli.ArgumentParser(
        prog=f"python -m ports.{model}",
        description=doc.split("\n\n")[0],
        epilog="Source, how to run and the list of deviations: the module docstring.",
    )
    cli.add_hparams(result, hparams)
    cli.add_run_arguments(result, default_seed)
    result.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="where the port runs; auto is cuda when PyTorch sees a GPU (default: auto)",
    )
    return result


def device_of(name):
    """The torch.device for --device; asking for cuda without a GPU is a user error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise cli.UserError("--device cuda: PyTorch sees no GPU here; use --device cpu or auto.")
    return torch.device(name)


def start(args, hparams, model, **extra):
    """Resolve hyper-parameters, seed and device; open the run folder and log the setup."""
    hp = cli.hparams_from_args(hparams, args)
    device = device_of(args.device)
    seed = cli.resolve_seed(args.seed)
    out = run_folder.RunFolder(args.out or run_folder.default_path(model, "pytorch"))
    out.save_hparams(hp, seed=seed, device=str(device), framework="pytorch", model=model, **extra)
    print(f"{model} (pytorch): {hp}, seed={seed}, device={device}, run folder {out.path}",
          file=sys.stderr)  # fmt: skip
    return hp, seed, device, out
