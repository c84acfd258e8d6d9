"""The shared pieces: session configs, run folders, flags from HParams, the TF-exact Adam, logs."""

import dataclasses
import os
import pathlib
import subprocess
import sys

import pytest
import tensorflow as tf

from harness import cli, command, run_folder, tf_logs
from tf1_reference import session


def test_original_config_is_copied_not_shared():
    original = tf.compat.v1.ConfigProto(device_count={"GPU": 0})
    config = session.config_proto("original", original=original)
    assert config.device_count["GPU"] == 0 and config is not original
    assert session.config_proto("original", original=None) is None


def test_cpu_config_hides_gpus():
    assert session.config_proto("cpu").device_count["GPU"] == 0


def test_gpu_config_grows_memory_and_places_softly():
    notices = []
    config = session.config_proto("gpu", gpu_available=False, log=notices.append)
    assert config.gpu_options.allow_growth and config.allow_soft_placement
    assert notices == ["--device gpu: TensorFlow sees no GPU here; running on the CPU."]
    config = session.config_proto("gpu", gpu_memory_fraction=0.25, gpu_available=True)
    assert config.gpu_options.per_process_gpu_memory_fraction == 0.25
    assert not config.gpu_options.allow_growth


def test_device_placement_logging_applies_to_every_device():
    for device in ("original", "cpu", "gpu"):
        config = session.config_proto(device, log_device_placement=True, gpu_available=True)
        assert config.log_device_placement


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(device="tpu"), "unknown device 'tpu'"),
        (dict(device="cpu", gpu_memory_fraction=0.5), "only applies with --device gpu"),
        (dict(device="gpu", gpu_memory_fraction=1.5), "must lie in (0, 1]"),
    ],
)
def test_bad_session_settings(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("]", r"\]")):
        session.config_proto(**kwargs, gpu_available=True)


def test_run_folder_writes_log_metrics_and_atomic_files(tmp_path, capsys):
    with run_folder.RunFolder(tmp_path / "run") as out:
        out.print("\nline %d" % 1)
        out.metric(step=1, value=0.5)
        out.write_json("extra.json", {"a": [1, 2]})
    assert capsys.readouterr().out == "\nline 1\n"
    assert (tmp_path / "run" / "log.txt").read_text() == "\nline 1\n"
    assert (tmp_path / "run" / "metrics.jsonl").read_text() == '{"step": 1, "value": 0.5}\n'
    assert not list((tmp_path / "run").glob(".*.tmp"))


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "picture.png"
    target.write_text("old")

    def broken(path):
        path.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        run_folder.atomic_write(target, broken)
    assert target.read_text() == "old" and sorted(tmp_path.iterdir()) == [target]


def test_flags_come_from_hparams_with_their_comments():
    @dataclasses.dataclass(frozen=True)
    class HParams:
        steps: int = 3  # the original's loop count
        rate: float = 0.5  # the original's rate
        flag: bool = True  # whether to do it

    parser = cli.ArgumentParser(prog="x")
    command.add_hparams(parser, HParams)
    args = parser.parse_args(["--steps", "5", "--no-flag"])
    assert command.hparams_from_args(HParams, args) == HParams(steps=5, rate=0.5, flag=False)
    assert "the original's loop count" in parser.format_help()
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["--rate", "nan"])
    assert exit_info.value.code == 2


def test_non_finite_loss_names_the_step():
    with pytest.raises(cli.UserError, match="loss_D became nan at epoch 2 step 5"):
        cli.check_finite("epoch 2 step 5", loss_D=float("nan"), loss_G=1.0)


def test_replace_block_rewrites_only_between_the_markers(tmp_path):
    """The one helper behind every generated block (crosscheck, results and speed pages)."""
    doc = tmp_path / "page.md"
    doc.write_text("intro\n<!-- b -->\nold\n<!-- e -->\nafter\n")
    run_folder.replace_block(doc, "<!-- b -->", "<!-- e -->", "new table")
    assert doc.read_text() == "intro\n<!-- b -->\nnew table\n<!-- e -->\nafter\n"
    doc.write_text("no markers\n")
    with pytest.raises(cli.UserError, match="page.md has no <!-- b --> ... <!-- e --> block"):
        run_folder.replace_block(doc, "<!-- b -->", "<!-- e -->", "x", "; add them")
    assert doc.read_text() == "no markers\n"  # Nothing lost.
    assert list(tmp_path.iterdir()) == [doc]  # No temporary left behind.


def test_the_start_up_filter_keeps_what_the_level_allows():
    captured = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1.0 1 port.cc:153] oneDNN custom operations are on.\n"
        "I0000 00:00:1.0 1 cpu_feature_guard.cc:227] This TensorFlow binary is optimized\n"
        "To enable the following instructions: AVX2 FMA, in other operations, rebuild.\n"
        "E0000 00:00:1.0 1 cuda.cc:1] failed call to cuInit\n"
        "a Python warning of the import\n"
    )
    assert tf_logs.keep(captured, "3") == "a Python warning of the import\n"
    assert tf_logs.keep(captured, "2").splitlines() == captured.splitlines()[-2:]
    assert tf_logs.keep(captured, "0") == captured
    assert tf_logs.level_for(["--device", "gpu"]) == "2" and tf_logs.level_for([]) == "3"


def test_crosscheck_from_a_plain_shell_prints_no_tensorflow_noise():
    """harness/tf_logs.py, imported by crosscheck/__init__.py before TensorFlow loads: without it
    this command printed 132 "Not handling type DT_DOUBLE" lines and six start-up notices."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    command = ["crosscheck", "gaussian_gan", "--dtype", "float64", "--adam", "tf", "--steps", "3"]
    result = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=pathlib.Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout + result.stderr
    for noise in ("DT_DOUBLE", "cuInit", "oneDNN custom operations", "absl::InitializeLog"):
        assert noise not in out, out
