"""Sample quality of a MNIST model's TF1 reference and PyTorch port, from several seeds each.

`python -m crosscheck results MODEL` trains the reference and the port from each seed for the
stated budget, draws 10,000 digits from each trained generator, and scores them with the
archive's classifier (quality/): Inception Score, Frechet distance to the real test set's
features, and the number of classes with at least 5% of the digits. It prints mean and spread
(sample standard deviation over the seeds) per framework, beside the real test set's own
figures, as a markdown table that states the budget and the machine; the same table and every
single run's figures go to results.md and results.json in the output folder.

Each run uses the model module's own pieces (`build_graph` and `train_step` of the reference;
`Generator`, `Discriminator`, initialisation and `train_step` of the port) and feeds them as the
module's training loop does (same data reader, batch order, noise prior and seeding), without
the loop's prints and pictures, so that the trained generator is still at hand to sample from.
Skipping the pictures' extra noise draws changes which z each step sees, not their law.

Run:
    python -m crosscheck results mnist_vanilla_gan                  # 20,000 steps, seeds 0 1 2
    python -m crosscheck results mnist_vanilla_gan --budget 2000 --out /tmp/q
    python -m crosscheck results mnist_vanilla_gan --loss sce       # the repository's loss form
    python -m crosscheck results mnist_mlp_gan --budget 10epochs    # the seed's full run
    python -m crosscheck results mnist_dcgan --budget 2epochs --seeds 0 1 2
"""

import dataclasses
import datetime
import itertools
import json
import os
import pathlib
import random
import re
import sys
import time

import numpy as np

from harness import cli, cpu, run_folder

MODELS = ("mnist_vanilla_gan", "mnist_mlp_gan", "mnist_dcgan")
# Steps (one D and one G step) per pass over the training data, as each original counts them.
STEPS_PER_EPOCH = {
    "mnist_vanilla_gan": 55000 // 128,  # next_batch(128) on 55,000 images: 429 (and a bit)
    "mnist_mlp_gan": 60000 // 128,  # 468 full batches of 128; the last 96 images skipped
    "mnist_dcgan": 55000 // 64,  # total_batch = int(55000 / 64) = 859
}
# Default budgets: long enough for digits to form, short enough for 6 runs on 2 CPU cores.
DEFAULT_BUDGET = {
    "mnist_vanilla_gan": "20000steps",  # ~7 ms per step: ~2.5 min per run (originals: 1e6)
    "mnist_mlp_gan": "10epochs",  # The seed's full run: ~5-6 min per run.
    "mnist_dcgan": "2epochs",  # 1,718 steps: ~4 min (TF1), ~8 min (PyTorch) per run (seed: 20)
}
SEEDS = (0, 1, 2)  # The issue asks for 3 seeds per framework.
FIGURES = ("inception_score", "frechet_distance", "classes")


def parse_budget(text, model):
    """'2000', '2000steps' or '10epochs' -> (steps, the budget in words)."""
    match = re.fullmatch(r"\s*(\d+)\s*(steps?|epochs?)?\s*", str(text))
    if not match or int(match.group(1)) < 1:
        raise cli.UserError(f"--budget {text!r} is not a positive count like 2000, 2000steps "
                            "or 10epochs.")  # fmt: skip
    count, unit = int(match.group(1)), (match.group(2) or "steps").rstrip("s")
    if unit == "epoch":
        steps = count * STEPS_PER_EPOCH[model]
        return steps, f"{count} epoch{'s' * (count > 1)} ({steps} steps)"
    return count, f"{count} step{'s' * (count > 1)}"


def _tf1_session(graph):
    import tensorflow as tf

    config = tf.compat.v1.ConfigProto(device_count={"GPU": 0})
    return tf.compat.v1.Session(graph=graph, config=config)


def train_tf1(model, steps, seed, data_dir=None, loss=None):
    """Train the TF1 reference `steps` steps from `seed`; returns sample(n) -> (n, 784) in [0, 1]."""
    import tensorflow as tf

    import tf1_reference  # noqa: F401  (TF1 behaviour)
    from inputs import mnist

    tf1 = tf.compat.v1
    reference = __import__(f"tf1_reference.{model}", fromlist=["HParams"])
    hp = reference.HParams(**({"loss": loss} if loss else {}))
    np.random.seed(seed)
    random.seed(seed)
    graph = tf.Graph()
    with graph.as_default():
        tf1.set_random_seed(seed)
        g = reference.build_graph(hp)
        init = tf1.global_variables_initializer()
    sess = _tf1_session(graph)
    sess.run(init)
    if model == "mnist_vanilla_gan":
        train = mnist.read_data_sets(data_dir, one_hot=True, rng=seed).train
        for step in _progress(steps, model, "tf1", seed):
            X_mb, _ = train.next_batch(hp.mb_size)
            Z_D = reference.sample_Z(hp.mb_size, hp.Z_dim)
            Z_G = reference.sample_Z(hp.mb_size, hp.Z_dim)
            _finite(step, *reference.train_step(sess, g, X_mb, Z_D, Z_G))
        generate, z_of, value_range = g.G_sample, g.Z, (0.0, 1.0)
        noise = lambda n: reference.sample_Z(n, hp.Z_dim)  # noqa: E731
    elif model == "mnist_mlp_gan":
        images = reference.normalized(mnist.read_raw(data_dir).train_images)
        per_epoch = len(images) // hp.bs
        for step in _progress(steps, model, "tf1", seed):
            if step % per_epoch == 0:
                order = np.random.permutation(len(images))
            x = images[order[(step % per_epoch) * hp.bs :][: hp.bs]]
            z_D = np.random.normal(size=(hp.bs, hp.z_dim))
            z_G = np.random.normal(size=(hp.bs, hp.z_dim))
            _finite(step, *reference.train_step(sess, g, x, z_D, z_G))
        generate, z_of, value_range = g.G_output, g.z, (-1.0, 1.0)
        noise = lambda n: np.random.normal(size=(n, hp.z_dim))  # noqa: E731
    else:
        train = mnist.read_data_sets(data_dir, one_hot=True, rng=seed).train
        for step in _progress(steps, model, "tf1", seed):
            batch_xs, _ = train.next_batch(hp.batch_size)
            z = np.random.uniform(-1.0, 1.0, size=[hp.batch_size, hp.noise_dim]).astype(np.float32)
            _finite(step, *reference.train_step(sess, g, reference.real_batch(batch_xs, hp), z))
        generate, z_of = g.G, g.z_placeholder
        value_range = (-1.0, 1.0) if hp.real_scale == "tanh" else (0.0, 1.0)
        noise = lambda n: np.random.uniform(-1.0, 1.0, size=[n, hp.noise_dim]).astype(
            np.float32
        )  # noqa: E731,E501

    def sample(n):
        out = np.concatenate([sess.run(generate, {z_of: noise(min(1000, n - start))})
                              for start in range(0, n, 1000)])  # fmt: skip
        return _unit(out, value_range)

    return sample


def train_pytorch(model, steps, seed, data_dir=None, loss=None):
    """Train the PyTorch port `steps` steps from `seed`; returns sample(n) -> (n, 784) in [0, 1]."""
    import torch

    from inputs import mnist

    port = __import__(f"ports.{model}", fromlist=["HParams"])
    hp = port.HParams(**({"loss": loss} if loss else {}))
    np.random.seed(seed)
    random.seed(seed)
    torch.manual_seed(seed)
    if model == "mnist_vanilla_gan":
        train = mnist.read_data_sets(data_dir, one_hot=True, rng=seed).train
        G, D = port.Generator(hp.Z_dim, hp.h_dim), port.Discriminator(hp.h_dim)
        port.initialize([G, D])
        opt_D = torch.optim.Adam(D.parameters(), lr=hp.lr_D)
        opt_G = torch.optim.Adam(G.parameters(), lr=hp.lr_G)
        uniform = lambda m: torch.as_tensor(np.random.uniform(-1.0, 1.0, size=[m, hp.Z_dim]),  # noqa: E731,E501
                                            dtype=torch.float32)  # fmt: skip
        for step in _progress(steps, model, "pytorch", seed):
            X_mb, _ = train.next_batch(hp.mb_size)
            _finite(step, *port.train_step(G, D, opt_D, opt_G, torch.as_tensor(X_mb),
                                           uniform(hp.mb_size), uniform(hp.mb_size), hp.loss)[:2])  # fmt: skip
        noise, value_range = uniform, (0.0, 1.0)
    elif model == "mnist_mlp_gan":
        raw = mnist.read_raw(data_dir)
        loader = mnist.torch_loader(mnist.TorchMnist(raw.train_images, raw.train_labels), hp.bs,
                                    generator=torch.Generator().manual_seed(seed))  # fmt: skip
        G, D = port.Generator(hp.z_dim, 784), port.Discriminator(784, hp.dropout)
        opt_G = torch.optim.Adam(G.parameters(), lr=hp.lr)
        opt_D = torch.optim.Adam(D.parameters(), lr=hp.lr)
        # Epoch after epoch, skipping each epoch's last, incomplete batch as the loop does.
        batches = (x for _epoch in itertools.count() for x, _ in loader if len(x) == hp.bs)
        for step, x in zip(_progress(steps, model, "pytorch", seed), batches):
            z_D, z_G = torch.randn(hp.bs, hp.z_dim), torch.randn(hp.bs, hp.z_dim)
            _finite(step, *port.train_step(G, D, opt_D, opt_G, x.view(-1, 784), z_D, z_G))
        noise, value_range = (lambda n: torch.randn(n, hp.z_dim)), (-1.0, 1.0)
    else:
        train = mnist.read_data_sets(data_dir, one_hot=True, rng=seed).train
        G, D = port.Generator(hp.noise_dim), port.Discriminator()
        port.initialize([G, D])
        opt_D = torch.optim.Adam(D.parameters(), lr=hp.learning_rate)
        opt_G = torch.optim.Adam(G.parameters(), lr=hp.learning_rate)
        uniform = lambda m: torch.as_tensor(  # noqa: E731
            np.random.uniform(-1.0, 1.0, size=[m, hp.noise_dim]).astype(np.float32)
        )
        for step in _progress(steps, model, "pytorch", seed):
            batch_xs, _ = train.next_batch(hp.batch_size)
            images = port.real_batch(batch_xs, hp, torch.device("cpu"))
            _finite(step, *port.train_step(G, D, opt_D, opt_G, images, uniform(hp.batch_size))[:2])
        noise = uniform
        value_range = (-1.0, 1.0) if hp.real_scale == "tanh" else (0.0, 1.0)

    @torch.no_grad()
    def sample(n):
        G.eval()
        out = torch.cat([G(noise(min(1000, n - start))) for start in range(0, n, 1000)])
        return _unit(out.numpy(), value_range)

    return sample


def save_grid(images, path):
    """The first 100 scored digits of a run as a 10 x 10 PNG; returns its file name."""
    from figures import image_grid

    figure = image_grid.tiled(images, nrow=10)
    run_folder.atomic_write(path, lambda p: figure.savefig(p, format="png"))
    return path.name


class Diverged(Exception):
    """A run whose loss became NaN or infinite; the message names the step."""


def _finite(step, loss_D, loss_G, *_):
    """Stop a run at its first non-finite loss (the originals' raw logs can reach inf)."""
    for name, value in (("D_loss", loss_D), ("G_loss", loss_G)):
        if not np.isfinite(float(value)):
            raise Diverged(f"{name} became {float(value)} at step {step + 1}")


def _progress(steps, model, framework, seed):
    """range(steps) with a progress bar on a terminal (none in logs and tests)."""
    import tqdm

    return tqdm.tqdm(range(steps), desc=f"{model} {framework} seed {seed}", leave=False,
                     disable=None, mininterval=1.0)  # fmt: skip


def _unit(images, value_range):
    from quality import metrics

    return metrics.to_unit(np.asarray(images).reshape(len(images), 784), value_range)


TRAINERS = {"tf1": train_tf1, "pytorch": train_pytorch}


def spread(values):
    """(mean, sample standard deviation; 0 for one value)."""
    values = np.asarray(values, dtype=np.float64)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def table(model, budget_words, runs, real, seeds, machine):
    """The README's results table for one model: mean ± spread per framework, the real line.

    A run whose loss became NaN or infinite has no samples to score: it is counted in the
    "runs scored" column and named below the table, and the figures are over the other runs.
    """
    lines = [
        f"`{model}`, {budget_words} per run, seeds {', '.join(map(str, seeds))}, 10,000 "
        f"generated digits per run; {machine}.",
        "",
        "| | Inception Score (max 10) | Frechet distance to the test set | classes with >= 5% | runs scored | train seconds per run |",  # noqa: E501
        "|---|---|---|---|---|---|",
    ]
    notes = []
    for framework, label in (("tf1", "TF1 reference"), ("pytorch", "PyTorch port")):
        mine = [r for r in runs if r["framework"] == framework]
        if not mine:
            continue
        scored = [r for r in mine if "quality" in r]
        notes += [f"- {label}, seed {r['seed']}: {r['stopped']}; the run stopped there."
                  for r in mine if "stopped" in r]  # fmt: skip
        cells = []
        for figure in FIGURES:
            digits = 1 if figure == "classes" else 2
            if scored:
                mean, std = spread([r["quality"][figure] for r in scored])
                cells.append(f"{mean:.{digits}f} ± {std:.{digits}f}")
            else:
                cells.append("-")
        seconds = spread([r["seconds"] for r in scored or mine])[0]
        lines.append(f"| {label} | " + " | ".join(cells) +
                     f" | {len(scored)} of {len(mine)} | {seconds:.0f} |")  # fmt: skip
    lines.append(f"| real test images (ceiling) | {real['inception_score']:.2f} | 0 | "
                 f"{real['classes']} | - | - |")  # fmt: skip
    pictures = [f"[{r['framework']} seed {r['seed']}]({r['picture']})" for r in runs
                if "picture" in r]  # fmt: skip
    if pictures:
        notes.append("- The first 100 digits of each run: " + ", ".join(pictures) + ".")
    return "\n".join(lines + ([""] + notes if notes else []))


def parser():
    result = cli.ArgumentParser(
        prog="python -m crosscheck results",
        description="Train a MNIST model's TF1 reference and PyTorch port from several seeds "
        "and compare the quality of their samples (Inception Score, Frechet distance, classes).",
    )
    result.add_argument("model", choices=MODELS, help="which MNIST model")
    result.add_argument("--budget", default=None,
                        help="training length per run: N or Nsteps (one D and one G step each) "
                        "or Nepochs; default: " + ", ".join(
                            f"{m} {b}" for m, b in DEFAULT_BUDGET.items()))  # fmt: skip
    result.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=list(SEEDS),
        help="seeds, each trained in both frameworks (default: 0 1 2)",
    )
    result.add_argument(
        "--frameworks",
        nargs="+",
        choices=tuple(TRAINERS),
        default=list(TRAINERS),
        help="which frameworks to train (default: both)",
    )
    result.add_argument("--loss", choices=("log", "sce", "bce"), default=None,
                        help="mnist_vanilla_gan only: its loss form (default: the blog's log, "
                        "whose raw logs can reach inf; sce is the repository's stable form)")  # fmt: skip
    result.add_argument(
        "--samples",
        type=int,
        default=10000,
        help="generated digits scored per run (default: 10000)",
    )
    result.add_argument("--out", default=None,
                        help="folder for results.md and results.json (default: "
                        "runs/results/<model>/<UTC time>)")  # fmt: skip
    result.add_argument(
        "--data-dir", default=None, help="MNIST folder (default: $MNIST_DATA_DIR, else data/mnist)"
    )
    return result


def main(argv=None):
    args = parser().parse_args(argv)
    steps, budget_words = parse_budget(args.budget or DEFAULT_BUDGET[args.model], args.model)
    if args.loss and args.model != "mnist_vanilla_gan":
        raise cli.UserError(f"--loss applies to mnist_vanilla_gan only, not {args.model}.")
    if args.loss:
        budget_words += f", --loss {args.loss}"
    if args.samples < 2:
        raise cli.UserError(f"--samples must be at least 2, got {args.samples}.")
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    folder = pathlib.Path(args.out or pathlib.Path("runs") / "results" / args.model / stamp)
    if (folder / "results.json").exists():
        raise cli.UserError(f"{folder} already holds results; choose another --out.")
    folder.mkdir(parents=True, exist_ok=True)
    from inputs import mnist
    from quality import classifier, metrics

    classifier_model, record = classifier.load(data_dir=args.data_dir)
    raw = mnist.read_raw(args.data_dir, download=False)
    reference = metrics.reference_statistics(classifier_model, raw.test_images)
    real = dataclasses.asdict(metrics.evaluate(classifier_model, raw.test_images, reference))
    started, runs = time.time(), []
    for seed in args.seeds:
        for framework in args.frameworks:
            print(f"== {args.model} ({framework}), seed {seed}: {budget_words}", flush=True)
            began = time.time()
            record = {"framework": framework, "seed": seed}
            try:
                sample = TRAINERS[framework](args.model, steps, seed, args.data_dir, args.loss)
            except Diverged as stop:
                record.update(seconds=round(time.time() - began, 1), stopped=str(stop))
                runs.append(record)
                print(f"   stopped: {stop}; no samples scored", flush=True)
                continue
            record["seconds"] = round(time.time() - began, 1)
            images = sample(args.samples)
            quality = metrics.evaluate(classifier_model, images, reference)
            record["picture"] = save_grid(images[:100], folder / f"{framework}_seed{seed}.png")
            runs.append({**record, "quality": dataclasses.asdict(quality)})
            print(f"   IS {quality.inception_score:.2f}, FD {quality.frechet_distance:.2f}, "
                  f"classes {quality.classes}, counts {quality.counts}, {record['seconds']:.0f} s",
                  flush=True)  # fmt: skip
    machine = (f"{cpu.label()}, load average "
               f"{os.getloadavg()[0]:.1f} at the end, {time.time() - started:.0f} s in all, "
               f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d}")  # fmt: skip
    text = table(args.model, budget_words, runs, real, args.seeds, machine)
    summary = {"model": args.model, "steps": steps, "budget": budget_words, "seeds": args.seeds,
               "machine": machine, "classifier": record, "real_test": real, "runs": runs}  # fmt: skip
    run_folder.atomic_write(folder / "results.json",
                            lambda p: p.write_text(json.dumps(summary, indent=1)))  # fmt: skip
    run_folder.atomic_write(folder / "results.md", lambda p: p.write_text(text + "\n"))
    print()
    print(text)
    print(f"\nResults: {folder / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
