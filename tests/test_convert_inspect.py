"""`python -m convert inspect` (convert/listing.py): any TF1 checkpoint, no model needed.

A tiny TF1 graph made here (a scope, a dense layer, a plain variable, a global step, and Adam,
Momentum, RMSProp and a self-named Adagrad over parts of it), saved by a Saver, is listed with
every slot under its variable; an archive model's checkpoint is listed as its own map knows it;
a missing, empty or cut checkpoint ends in one sentence.
"""

import json
import pathlib

import pytest

from convert import checkpoint as convert
from convert import listing, maps
from harness import cli


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The prefix of a Saver checkpoint of a tiny TF1 graph with four optimizers."""
    import tensorflow as tf

    tf1 = tf.compat.v1
    with tf.Graph().as_default():
        x = tf1.placeholder(tf.float32, [None, 3])
        with tf1.variable_scope("net"):
            hidden = tf1.layers.dense(x, 4, name="hidden")  # net/hidden/kernel, net/hidden/bias
            w = tf1.get_variable("w", [4, 2])
            v = tf1.get_variable("v", [2], dtype=tf.float64)
        loss = tf.reduce_mean(tf.matmul(hidden, w) ** 2) + tf.cast(tf.reduce_sum(v**2), tf.float32)
        dense = tf1.trainable_variables("net/hidden")
        step = tf1.train.get_or_create_global_step()
        train = [
            tf1.train.AdamOptimizer(0.1).minimize(loss, var_list=dense, global_step=step),
            tf1.train.MomentumOptimizer(0.1, 0.9).minimize(loss, var_list=[w]),
            tf1.train.RMSPropOptimizer(0.1, momentum=0.9).minimize(loss, var_list=[v]),
            tf1.train.AdagradOptimizer(0.1, name="Custom").minimize(loss, var_list=[w]),
        ]
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            sess.run(train, {x: [[1.0, 2.0, 3.0]]})
            folder = tmp_path_factory.mktemp("small")
            return tf1.train.Saver().save(sess, str(folder / "small.ckpt"))


def test_a_small_checkpoint_lists_every_variable_with_its_slots_under_it(small, capsys):
    assert convert.main(["inspect", small, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    variables = {v["name"]: v for v in listed["variables"]}
    assert listed["checkpoint"] == small
    kinds = {name: v["kind"] for name, v in variables.items()}
    assert [n for n, k in kinds.items() if k == "weight"] == [
        "net/hidden/bias",
        "net/hidden/kernel",
        "net/v",
        "net/w",
    ]
    assert kinds["global_step"] == "counter" and variables["global_step"]["dtype"] == "int64"
    assert sorted(n for n, k in kinds.items() if k == "non-slot") == ["beta1_power", "beta2_power"]
    slots = {(v["owner"], v["slot"], v["optimizer"]) for v in variables.values() if "slot" in v}
    assert slots == {
        ("net/hidden/kernel", "Adam", "Adam"),
        ("net/hidden/kernel", "Adam_1", "Adam"),
        ("net/hidden/bias", "Adam", "Adam"),
        ("net/hidden/bias", "Adam_1", "Adam"),
        ("net/w", "Momentum", "Momentum"),
        ("net/w", "Custom", "Custom"),
        ("net/v", "RMSProp", "RMSProp"),
        ("net/v", "RMSProp_1", "RMSProp"),
    }
    assert variables["net/hidden/kernel"]["shape"] == [3, 4]
    assert variables["net/v/RMSProp"]["dtype"] == "float64" and variables["net/v"]["scope"] == "net"
    weights = 3 * 4 + 4 + 4 * 2 + 2
    assert listed["parameters"] == {
        "weights": weights,
        "statistics": 0,
        "counters": 1,
        "optimizer_state": 2 * 16 + 8 + 8 + 2 * 2 + 2,  # Adam, Momentum, Adagrad, RMSProp, powers
        "total": weights + 1 + 54,
    }
    assert listed["optimizers"]["Adam"] == {
        "slots": ["Adam", "Adam_1"],
        "weights": 2,
        "non_slot": ["beta1_power", "beta2_power"],
    }

    assert convert.main(["inspect", str(pathlib.Path(small).parent)]) == 0  # A folder, as text.
    text = capsys.readouterr().out
    assert (
        "net/  4 variables, 26 parameters" in text
        and "(root scope)  1 variable, 1 parameter" in text
    )
    assert "      + Adam (m), Adam_1 (v)" in text and "      + Custom, Momentum (momentum)" in text
    assert "      + RMSProp (rms), RMSProp_1 (momentum)" in text
    assert "Adam's non-slot variables (whose var_list each belongs to is not saved):" in text
    assert "Parameters: 26 in weights (+ 1 in counters); 81 with optimizer state." in text


def test_an_archive_checkpoint_is_listed_as_its_model_map_knows_it(tmp_path):
    """mnist_dcgan's reference graph, saved: the listing finds, from the names alone, the Adam
    slots, beta powers and BatchNorm statistics that the converter's map knows by construction."""
    m = maps.model_map("mnist_dcgan")
    with m.tf1.Session(graph=m.graph) as sess:
        sess.run(m.tf1.variables_initializer(list(m.variables.values())))
        prefix = m.saver.save(sess, str(tmp_path / "gan.ckpt"), write_meta_graph=False)
    listed = listing.describe(prefix)
    by_kind = {}
    for v in listed["variables"]:
        by_kind.setdefault(v["kind"], set()).add(v["name"])
    weights = {n for o in m.optimizers.values() for n in o["names"]}
    assert by_kind["weight"] == weights
    assert by_kind["statistic"] == set(m.weights) - weights  # BUFFER_MAP: the moving statistics.
    assert by_kind["slot"] == {f"{n}/{s}" for n in weights for s in maps.ADAM_SLOTS}
    assert by_kind["non-slot"] == {p for o in m.optimizers.values() for p in o["powers"]}
    assert listed["parameters"]["weights"] == 1_241_602  # G 1,028,481 and D's 213,121 weights.
    assert listed["parameters"]["total"] == 3 * 1_241_602 + 256 + 4


def test_a_missing_empty_or_cut_checkpoint_is_one_sentence(small, tmp_path, capsys):
    def fails(path, *fragments):
        with pytest.raises(SystemExit) as exit_:
            cli.run(convert.main, ["inspect", str(path)])
        assert exit_.value.code == 2
        last = capsys.readouterr().err.strip()
        assert "\n" not in last and all(f in last for f in fragments), last

    fails(tmp_path / "nothing.ckpt", "no TF checkpoint", "does not exist")
    fails(tmp_path, "holds no TF checkpoint")
    source = pathlib.Path(small)
    for part in source.parent.glob(source.name + ".*"):
        data = part.read_bytes()
        (tmp_path / part.name).write_bytes(data[: len(data) // 2] if ".data" in part.name else data)
    fails(tmp_path / source.name, "cannot read the TF checkpoint", "is it complete?")
    (tmp_path / f"{source.name}.index").write_bytes(b"not an index")
    fails(tmp_path / source.name, "cannot read the TF checkpoint")
