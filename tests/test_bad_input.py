"""Bad input, tried for real on every command: one sentence, exit status 2, nothing lost.

Most cases call a command's `main(argv)` in this process through `harness.cli.run`, as
`python -m` does, and read stderr; one real subprocess per command family (tests/
test_commands.py holds those of tf1_reference, ports and crosscheck) shows that no traceback
reaches the terminal. The property tests at the end feed the IDX reader random and cut bytes.
"""

import gzip
import importlib
import os
import pathlib
import shutil
import subprocess
import sys

import hypothesis
import numpy as np
import pytest
import torch
from hypothesis import strategies as st

from harness import cli, registry
from inputs import mnist

ROOT = pathlib.Path(__file__).resolve().parents[1]
TRAINING = [
    f"{package}.{model}" for package in ("tf1_reference", "ports") for model in registry.NAMES
]
MNIST_COMMANDS = [c for c in TRAINING if ".mnist_" in c]
PHASE = {"mnist_dcgan": ["train"]}  # Positional arguments a command needs before its flags.


def argv_of(command, *flags):
    return PHASE.get(command.split(".")[1], []) + list(flags)


def main_of(command):
    return importlib.import_module(command).main


def fails(capsys, main, argv, *fragments):
    """Run `main(argv)` as `python -m` would; assert exit 2 and one sentence naming `fragments`."""
    with pytest.raises(SystemExit) as exit_info:
        cli.run(main, argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(("error: ", "python -m")) and "error: " in last, err
    for fragment in fragments:
        assert fragment in last, last
    return last


def subprocess_fails(*args, fragments=(), cwd=ROOT):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "error: " in last and all(f in last for f in fragments), result.stderr
    return last


def first_count_flag(command):
    """The flag of the command's first integer hyper-parameter (--epochs, --num-epochs, ...)."""
    import dataclasses

    hparams = importlib.import_module(command).HParams
    field = next(f for f in dataclasses.fields(hparams) if type(f.default) is int)
    return "--" + field.name.replace("_", "-")


def unwritable(tmp_path):
    """A folder no run may create: inside a read-only folder, or /proc when we are root."""
    locked = tmp_path / "locked"
    locked.mkdir(exist_ok=True)
    locked.chmod(0o500)
    return locked / "run" if not os.access(locked, os.W_OK) else pathlib.Path("/proc/gan-run")


# Training commands: counts, devices, output folders.


@pytest.mark.parametrize("command", TRAINING)
@pytest.mark.parametrize("value", ["0", "-3", "1.5", "many"])
def test_counts_must_be_positive_integers(command, value, capsys, tmp_path):
    flag = first_count_flag(command)
    out = tmp_path / "r"
    fails(capsys, main_of(command), argv_of(command, flag, value, "--out", str(out)), flag)
    assert not out.exists()


@pytest.mark.parametrize("command", TRAINING)
def test_unknown_device(command, capsys, tmp_path):
    argv = argv_of(command, "--device", "tpu", "--out", str(tmp_path / "r"))
    fails(capsys, main_of(command), argv, "--device", "invalid choice: 'tpu'")


@pytest.mark.parametrize("command", TRAINING)
def test_output_folder_without_write_permission(command, capsys, tmp_path):
    target = unwritable(tmp_path)
    try:
        argv = argv_of(command, "--seed", "0", "--out", str(target))
        fails(capsys, main_of(command), argv, "cannot write to output folder", "--out")
    finally:
        (tmp_path / "locked").chmod(0o700)


@pytest.mark.parametrize("command", TRAINING)
def test_an_earlier_run_is_not_damaged(command, capsys, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "log.txt").write_text("an earlier run\n")
    (folder / "metrics.jsonl").write_text('{"epoch": 0}\n')
    argv = argv_of(command, "--seed", "0", "--out", str(folder))
    fails(capsys, main_of(command), argv, "already holds a run")
    assert (folder / "log.txt").read_text() == "an earlier run\n"
    assert (folder / "metrics.jsonl").read_text() == '{"epoch": 0}\n'
    assert sorted(p.name for p in folder.iterdir()) == ["log.txt", "metrics.jsonl"]


# MNIST commands: the data folder.


@pytest.fixture
def no_download(monkeypatch):
    """The tests never download: a missing file must be named, not fetched."""

    def refuse(url):
        raise OSError(f"tests do not download ({url})")

    monkeypatch.setattr(mnist, "fetch", refuse)


def data_folder(kind, tmp_path, mnist_dir):
    """A broken MNIST folder: missing, empty, a truncated file, or the wrong files.

    The readers open the training images first, so a broken training-images file is all a
    folder needs to hold for the last two (no 55 MB copies).
    """
    folder = tmp_path / "data"
    if kind == "missing":
        return folder, "expected a download, found an error"
    folder.mkdir()
    if kind == "empty":
        return folder, "expected a download, found an error"
    if kind == "truncated":
        cut = (mnist_dir / mnist.TRAIN_IMAGES).read_bytes()[:5000]
        (folder / mnist.TRAIN_IMAGES).write_bytes(cut)
        return folder, "is the file truncated?"
    shutil.copy(mnist_dir / mnist.TEST_LABELS, folder / mnist.TRAIN_IMAGES)  # "wrong files"
    return folder, "is this a labels file?"


@pytest.mark.parametrize("command", MNIST_COMMANDS)
@pytest.mark.parametrize("kind", ["missing", "empty", "truncated", "wrong files"])
def test_broken_data_folder(command, kind, capsys, tmp_path, mnist_dir, no_download):
    folder, fragment = data_folder(kind, tmp_path, mnist_dir)
    before = (
        sorted((p.name, p.stat().st_size) for p in folder.iterdir()) if folder.exists() else None
    )
    argv = argv_of(command, "--seed", "0", "--data-dir", str(folder), "--out", str(tmp_path / "r"))
    fails(capsys, main_of(command), argv, fragment)
    after = (
        sorted((p.name, p.stat().st_size) for p in folder.iterdir()) if folder.exists() else None
    )
    assert after == before  # Nothing half-downloaded or rewritten in the data folder.
    assert not (tmp_path / "r").exists()  # Refused before the run folder was made.


def test_truncated_data_in_a_real_subprocess(tmp_path, mnist_dir):
    folder, fragment = data_folder("truncated", tmp_path, mnist_dir)
    subprocess_fails(
        "ports.mnist_mlp_gan",
        "--seed",
        "0",
        "--data-dir",
        str(folder),
        "--out",
        str(tmp_path / "r"),
        fragments=(fragment,),
    )


@pytest.mark.parametrize("package", ["tf1_reference", "ports"])
def test_dcgan_restore_of_another_models_checkpoint(package, capsys, tmp_path, mnist_dir):
    other = tmp_path / "other" / "models"
    other.mkdir(parents=True)
    if package == "ports":
        torch.save({"model": "gaussian_gan", "G": {}, "D": {}}, other / "gan.pt")
    else:
        shutil.copy(mnist_dir / mnist.TEST_LABELS, other / "gan.ckpt.index")  # Not a checkpoint.
    argv = [
        "train-d",
        "--restore",
        str(tmp_path / "other"),
        "--seed",
        "0",
        "--out",
        str(tmp_path / "r"),
    ]
    fails(capsys, main_of(f"{package}.mnist_dcgan"), argv, "--restore", "mnist_dcgan")


# crosscheck, report.demo and convert.


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["gaussian_gan", "--steps", "0"], "--steps"),
        (["gaussian_gan", "--steps", "-2"], "--steps"),
        (["no_such_gan"], "invalid choice: 'no_such_gan'"),
        (["gaussian_gan", "--dtype", "float16"], "invalid choice: 'float16'"),
        (["gaussian_gan", "--adam", "sgd"], "invalid choice: 'sgd'"),
        (["gaussian_gan", "--seed", "x"], "--seed"),
    ],
)
def test_crosscheck(argv, fragment, capsys):
    from crosscheck import __main__ as command

    fails(capsys, command.main, argv, fragment)


def test_demo_unknown_model(capsys, tmp_path):
    from report import demo

    fails(capsys, demo.main, ["no_such_gan", "--out", str(tmp_path / "d")], "no_such_gan")
    assert not (tmp_path / "d").exists()


@pytest.fixture(scope="module")
def ring_pt(tmp_path_factory):
    """A real ring_gan .pt, converted from a fresh TF checkpoint of the reference graph."""
    from convert import checkpoint as convert
    from convert import maps, torch_side

    folder = tmp_path_factory.mktemp("pt")
    m = maps.model_map("ring_gan")
    with m.tf1.Session(graph=m.graph) as sess:
        sess.run(m.tf1.variables_initializer(list(m.variables.values())))
        prefix = m.saver.save(sess, str(folder / "ring.ckpt"), write_meta_graph=False)
    checkpoint, _ = convert.tf_to_torch("ring_gan", prefix)
    return prefix, torch_side.write_torch(checkpoint, folder / "ring.pt")


def test_convert_bad_input(capsys, tmp_path, ring_pt):
    from convert import checkpoint as convert

    prefix, pt = ring_pt
    main = convert.main
    fails(capsys, main, ["tf-to-torch", "no_such_gan", prefix, "x.pt"], "invalid choice")
    fails(
        capsys,
        main,
        ["tf-to-torch", "ring_gan", str(tmp_path / "nothing.ckpt"), str(tmp_path / "x.pt")],
        "no TF checkpoint",
        "does not exist",
    )
    fails(
        capsys,
        main,
        ["tf-to-torch", "ring_gan", prefix, str(tmp_path / "x.pt"), "--step", "0"],
        "--step",
    )
    last = fails(
        capsys,
        main,
        ["tf-to-torch", "gaussian_gan", prefix, str(tmp_path / "x.pt")],
        "is not a gaussian_gan checkpoint, first mismatch",
    )
    assert "missing (" in last and "unexpected (" in last
    fails(
        capsys,
        main,
        ["torch-to-tf", "gaussian_gan", pt, str(tmp_path / "g.ckpt")],
        "holds a ring_gan checkpoint, not gaussian_gan",
    )
    junk = tmp_path / "junk.pt"
    junk.write_bytes(bytes(range(256)) * 4)
    fails(
        capsys,
        main,
        ["torch-to-tf", "ring_gan", str(junk), str(tmp_path / "g.ckpt")],
        "is not a readable PyTorch checkpoint",
    )
    # Outputs that exist are kept; an unwritable folder is named.
    before = pathlib.Path(pt).read_bytes()
    fails(capsys, main, ["tf-to-torch", "ring_gan", prefix, pt], "already exists")
    assert pathlib.Path(pt).read_bytes() == before
    fails(capsys, main, ["torch-to-tf", "ring_gan", pt, prefix], "already exists")
    target = unwritable(tmp_path)
    try:
        fails(
            capsys, main, ["torch-to-tf", "ring_gan", pt, str(target / "r.ckpt")], "cannot write to"
        )
    finally:
        (tmp_path / "locked").chmod(0o700)
    assert not list(tmp_path.glob("*.ckpt*")) and not (tmp_path / "x.pt").exists()


def test_convert_truncated_tf_checkpoint(capsys, tmp_path, ring_pt):
    from convert import checkpoint as convert

    prefix, _ = ring_pt
    for part in pathlib.Path(prefix).parent.glob(pathlib.Path(prefix).name + ".*"):
        data = part.read_bytes()
        (tmp_path / part.name).write_bytes(data[: len(data) // 2] if ".data" in part.name else data)
    fails(
        capsys,
        convert.main,
        ["tf-to-torch", "ring_gan", str(tmp_path / "ring.ckpt"), str(tmp_path / "x.pt")],
        "cannot read the TF checkpoint",
    )
    assert not (tmp_path / "x.pt").exists()


def test_convert_another_model_in_a_real_subprocess(tmp_path):
    pt = tmp_path / "cgan.pt"
    torch.save(
        {
            "model": "gaussian_cgan",
            "format": 1,
            "step": 0,
            "G": {},
            "D": {},
            "opt_G": None,
            "opt_D": None,
        },
        pt,
    )
    subprocess_fails(
        "convert",
        "torch-to-tf",
        "gaussian_gan",
        str(pt),
        str(tmp_path / "g.ckpt"),
        fragments=("not gaussian_gan",),
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cgan.pt"]


# bench and lessons.


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--repeats", "0"], "--repeats"),
        (["--repeats", "many"], "--repeats"),
        (["--block-seconds", "-1"], "--block-seconds"),
        (["--warmup", "-2"], "--warmup"),
        (["no_such_model"], "no_such_model"),
    ],
)
def test_bench_bad_values(argv, fragment, capsys):
    from bench import run as bench_run

    fails(capsys, bench_run.main, argv, fragment)


def test_bench_mnist_parse_missing_folder(capsys, tmp_path):
    from bench import mnist_parse

    fails(capsys, mnist_parse.main, [str(tmp_path / "none")], str(tmp_path / "none"))


def test_bench_in_a_real_subprocess(tmp_path):
    subprocess_fails(
        "bench.mnist_parse", str(tmp_path / "none"), fragments=("No such file or directory",)
    )


def test_lessons_render_unknown_flag_in_a_real_subprocess():
    subprocess_fails("lessons.render", "--chek", fragments=("unrecognized arguments",))


# The IDX reader, fed random and cut bytes (hypothesis).


def idx(magic, dims, count, payload):
    header = np.array([magic, count, *dims], dtype=">u4").tobytes()
    return header + payload


IMAGE_DIMS, LABEL_DIMS = (mnist.ROWS, mnist.COLS), ()
SETTINGS = hypothesis.settings(max_examples=150, deadline=None, derandomize=True)


def parse_or_refuse(data, magic, dims, count=None):
    """Parse `data` seen through an exact-length memoryview of a larger buffer.

    Bytes past the view are 0xAB sentinels: a parse that read past the buffer would show them.
    Returns the array, or None when the reader refused with MnistFileError (nothing else).
    """
    buffer = bytearray(data) + b"\xab" * 64
    view = memoryview(buffer)[: len(data)]
    try:
        array = mnist.parse_idx(view, magic, dims, count)
    except mnist.MnistFileError as error:
        assert "\n" not in str(error) and str(error).endswith((".", "?"))
        return None
    assert array.dtype == np.uint8 and array.shape[1:] == dims
    assert 4 * (2 + len(dims)) + array.size == len(data)  # Every byte read, none beyond.
    assert array.tobytes() == bytes(data[4 * (2 + len(dims)) :])
    return array


@SETTINGS
@hypothesis.given(data=st.binary(max_size=2000), labels=st.booleans())
def test_idx_reader_random_bytes(data, labels):
    magic, dims = (mnist.LABEL_MAGIC, LABEL_DIMS) if labels else (mnist.IMAGE_MAGIC, IMAGE_DIMS)
    parse_or_refuse(data, magic, dims)


@SETTINGS
@hypothesis.given(
    count=st.integers(0, 3),
    cut=st.integers(0, 3 * 784 + 16),
    extra=st.binary(max_size=8),
    seed=st.integers(0, 2**32 - 1),
)
def test_idx_reader_truncated_or_padded_valid_images(count, cut, extra, seed):
    payload = np.random.default_rng(seed).integers(0, 256, count * 784, dtype=np.uint8).tobytes()
    valid = idx(mnist.IMAGE_MAGIC, IMAGE_DIMS, count, payload)
    assert parse_or_refuse(valid, mnist.IMAGE_MAGIC, IMAGE_DIMS, count).shape == (count, 28, 28)
    cut = min(cut, len(valid))
    assert (parse_or_refuse(valid[:cut], mnist.IMAGE_MAGIC, IMAGE_DIMS) is None) == (
        cut < len(valid)
    )
    assert (parse_or_refuse(valid + extra, mnist.IMAGE_MAGIC, IMAGE_DIMS) is None) == bool(extra)


@SETTINGS
@hypothesis.given(
    magic=st.integers(0, 2**32 - 1),
    count=st.integers(0, 2**32 - 1),
    rows=st.integers(0, 2**32 - 1),
    cols=st.integers(0, 2**32 - 1),
    payload=st.binary(max_size=64),
)
def test_idx_reader_wrong_header_fields(magic, count, rows, cols, payload):
    data = idx(magic, (rows, cols), count, payload)
    array = parse_or_refuse(data, mnist.IMAGE_MAGIC, IMAGE_DIMS)
    if array is not None:  # Only a header that is right in every field, and a payload to match.
        assert (magic, rows, cols) == (mnist.IMAGE_MAGIC, 28, 28) and count * 784 == len(payload)
    # A huge declared count is refused from the header alone, never allocated or read.
    labels = parse_or_refuse(idx(mnist.LABEL_MAGIC, (), count, payload), mnist.LABEL_MAGIC, ())
    assert (labels is None) == (count != len(payload))


@hypothesis.settings(max_examples=40, deadline=None, derandomize=True)
@hypothesis.given(data=st.binary(max_size=300), gzip_it=st.booleans(), cut=st.integers(0, 400))
def test_idx_files_random_or_cut_gzip(data, gzip_it, cut, tmp_path_factory):
    folder = tmp_path_factory.mktemp("idx", numbered=True)
    raw = gzip.compress(idx(mnist.LABEL_MAGIC, (), len(data), data)) if gzip_it else data
    path = folder / "labels.gz"
    path.write_bytes(raw[:cut] if cut < len(raw) else raw)
    try:
        labels = mnist.parse_labels(path)
    except mnist.MnistFileError as error:
        assert str(path) in str(error) and "\n" not in str(error)
    else:
        assert gzip_it and cut >= len(raw) and labels.tobytes() == data
        assert labels.size == 0 or labels.max() < 10
