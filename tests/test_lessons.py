"""Every lesson runs, prints what it claims, ends with Takeaways, and its rendered page is fresh.

The lessons are executed once, by the renderer's own worker processes (graph-mode lessons in
one process, each eager lesson in another), and every test below reads that one run: the
claims are checked on the very output a reader sees on the rendered pages. Each lesson's
exercises ("predict, then run", or "write a fix" for broken code) carry a worked solution in a
collapsed <details> section, which the lesson runs and, for a fix, checks; the solution prints
its answer as a line "Exercise N.K: ...", which EXERCISE_ANSWERS checks.
"""

import ast
import re

import pytest

from lessons import render

LESSONS = render.lesson_paths()
NAMES = [path.name for path in LESSONS]
EXERCISE = re.compile(r"^# ### Exercise (\d+\.\d+): (?:predict, then run|write a fix)$", re.M)
COUNT = 16  # Lessons 1 to COUNT.
SOLUTION_OPEN = "<details><summary>Worked solution</summary>"

# The right answer of every exercise, as its worked solution prints it.
EXERCISE_ANSWERS = {
    "1.1": "Exercise 1.1: 8 trainable variables | third call's ops under: discriminator_2/",
    "1.2": "Exercise 1.2: ['discriminator/d_W:0', 'discriminator/calls:0', "
    "'discriminator_1/calls:0']",
    "2.1": "Exercise 2.1: ValueError: Trying to share variable discriminator/d_W, but specified "
    "shape (3, 1) and found shape (2, 1).",
    "2.2": "Exercise 2.2: reuse in inner: True | in outer afterwards: False",
    "2.3": "Exercise 2.3: get_variable('d_W') without a shape -> discriminator/d_W:0 (2, 1)",
    "3.1": "Exercise 3.1: vs/w:0 ns/vs/add:0",
    "3.2": "Exercise 3.2: doubled:0 | original_name_scope: ''",
    "4.1": "Exercise 4.1: 8 variables, all of G: True",
    "4.2": "Exercise 4.2: ['discriminator/conv2d/kernel', 'discriminator/conv2d/bias', "
    "'discriminator/conv2d_1/kernel', 'discriminator/conv2d_1/bias']",
    "4.3": "Exercise 4.3: ['generator/dense/kernel', 'generator/dense/bias', "
    "'discriminator/dense/kernel', 'discriminator/dense/bias']",
    "5.1": "Exercise 5.1: ['beta1_power_1:0', 'beta2_power_1:0', 'discriminator/d_w/Adam_2:0', "
    "'discriminator/d_w/Adam_3:0']",
    "5.2": "Exercise 5.2: ['beta1_power:0', 'beta2_power:0', 'discriminator/d_w/D_Adam:0', "
    "'discriminator/d_w/D_Adam_1:0']",
    "6.1": "Exercise 6.1: 1 tracked | the first call's weight among them: False",
    "6.2": "Exercise 6.2: no error; 6 variables created",
    "7.1": "Exercise 7.1: after three G steps, moving_mean all 0: True",
    "7.2": "Exercise 7.2: eval() forward moved running_mean: True | num_batches_tracked: 0",
    "8.1": "Exercise 8.1: 8 entries, moving statistics among them: False",
    "8.2": "Exercise 8.2: size mismatch for dense.weight: copying a param with shape "
    "torch.Size([1, 10]) from checkpoint, the shape in current model is torch.Size([1, 6272]).",
    "9.1": "Exercise 9.1: [5, 5, 1, 64] -> (64, 1, 5, 5)",
    "9.2": "Exercise 9.2: eval() logits equal the train() logits: True",
    "9.3": "Exercise 9.3: TF checkpoint <prefix> is not a mnist_dcgan checkpoint, first mismatch "
    "'critic/discriminator/batch_normalization/beta'",
    "10.1": "Exercise 10.1: zero: False | within +-sqrt(3) = +-1.732: True",
    "10.2": "Exercise 10.2: a, b, c = [0.5, 2.0, 1.0]",
    "10.3": "Exercise 10.3: [('embedding/w', [4, 3])]",
    "11.1": "Exercise 11.1: discriminator/conv2d/kernel:0 | same name: True | same variable: False",
    "11.2": "Exercise 11.2: traced 2 times, 18 variables",
    "12.1": "Exercise 12.1: TF1's first step is 0.26 of PyTorch's",
    "12.2": "Exercise 12.2: from step 3,238 on",
    "13.1": "Exercise 13.1: 8 variables, all under discriminator/, G(z) unchanged",
    "13.2": "Exercise 13.2: one step moves the moving mean with both D calls' batches: True",
    "13.3": "Exercise 13.3: fixed ['discriminator/dense/kernel'] -> dense_nhwc_in:7,7,128",
    "14.1": "Exercise 14.1: 10 tensors in D.losses",
    "14.2": "Exercise 14.2: restored after the first call: outputs equal: True",
    "15.1": "Exercise 15.1: step 2 under the tool alone, identical: False",
    "15.2": "Exercise 15.2: Keras Adam() 0.0032 lr, TF1 AdamOptimizer() 0.0307 lr, "
    "Keras Adam(epsilon=1e-8) 0.0307 lr",
    "16.1": "Exercise 16.1: FAIL: dropout in the D step: PyTorch p=0.7, TF rate=0.5",
    "16.2": "Exercise 16.2: fixed discriminator/D_W2 -> dense; step 1 gradients agree to "
    "1e-12: True",
}


@pytest.fixture(scope="module")
def outputs():
    """{lesson file name: printed output of the whole lesson}, from one fresh run."""
    return render.run_all()


def printed(outputs, name):
    return "\n".join(outputs[name])


def test_the_lessons_are_numbered_in_course_order():
    assert [int(name[:2]) for name in NAMES] == list(range(1, COUNT + 1)), NAMES


@pytest.mark.parametrize("path", LESSONS, ids=NAMES)
def test_header_cells_and_takeaways(path):
    doc = ast.get_docstring(ast.parse(path.read_text()))
    assert doc and doc.splitlines()[0].endswith(".") and len(doc.splitlines()[0]) <= 100
    for header in ("Source:", "Run:", "Deviations:"):
        assert f"\n{header}" in f"\n{doc}", f"{path.name}: no {header!r} section"
    assert f"python lessons/{path.name}" in doc
    cells = render.parse(path.read_text())
    headings = [line for c in cells if c.kind == "markdown" for line in c.source.splitlines()]
    assert "# ## The PyTorch way" in headings, f"{path.name}: no PyTorch section"
    assert cells[-1].kind == "markdown" and cells[-1].source.startswith("# ## Takeaways")


def test_index_is_the_course_in_order_with_one_line_per_lesson():
    index = render.index(LESSONS)
    items = re.findall(r"^(\d+)\. \[(.+)\]\((\d\d_\w+)\.md\) \(`\3\.py`\)$", index, re.M)
    assert [int(number) for number, _, _ in items] == list(range(1, COUNT + 1))
    assert [stem for _, _, stem in items] == [path.stem for path in LESSONS]
    for (_, line, _), path in zip(items, LESSONS):
        assert line == render.teaches(path) and line.endswith("."), line
        assert not line.startswith("Lesson"), line
    assert [f"## {part}" in index for part in render.PARTS.values()] == [True] * len(render.PARTS)


def test_rendering_is_fresh(outputs):
    diffs = render.stale(render.pages(outputs))
    assert not diffs, "stale lessons/*.md; run `python -m lessons.render`:\n" + "".join(diffs)


def test_rendering_has_no_addresses_or_log_noise(outputs):
    text = "\n".join(printed(outputs, name) for name in NAMES)
    for noise in ("0x", "WARNING", "I0000", "cuda", "deprecat"):
        assert noise not in text


def test_stale_reports_a_changed_page_and_a_stray_one(tmp_path):
    (tmp_path / "01_a.md").write_text("old\n")
    (tmp_path / "99_gone.md").write_text("x\n")
    diffs = render.stale({"01_a.md": "new\n", "README.md": "index\n"}, tmp_path)
    assert len(diffs) == 3
    assert "-old" in diffs[1] and "+new" in diffs[1]
    assert diffs[0].startswith("99_gone.md: committed")
    assert not render.stale({"01_a.md": "old\n", "99_gone.md": "x\n"}, tmp_path)


def test_parse_splits_header_markdown_and_code():
    cells = render.parse('"""Doc."""\n\n# %%\nx = 1\n\n# %% [markdown]\n# ## Title\n')
    assert [c.kind for c in cells] == ["header", "code", "markdown"]
    assert cells[1].source == "x = 1" and cells[1].line == 4


def test_lesson_1_sharing(outputs):
    text = printed(outputs, "01_sharing_variables.py")
    assert "trainable variables after two calls: ['D_W1:0', 'D_b1:0', 'D_W2:0', 'D_b2:0']" in text
    assert "trainable variables after two calls: ['D_W:0', 'D_W_1:0']" in text
    assert "same input, same logits from both calls: False" in text
    assert "real_logits: discriminator/add_2:0" in text
    assert "fake_logits: discriminator_1/add_2:0" in text
    assert "    discriminator/d_W1:0" in text and "    generator/g_W:0" in text


def test_lesson_2_reuse_errors(outputs):
    text = printed(outputs, "02_reuse.py")
    assert (
        "ValueError: Variable discriminator/d_W already exists, disallowed. "
        "Did you mean to set reuse=True or reuse=tf.AUTO_REUSE in VarScope?"
    ) in text
    assert (
        "ValueError: Variable discriminater/d_W does not exist, or was not created with "
        "tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in VarScope?"
    ) in text
    assert "ValueError: Variable wiseodd_style/D_W1 does not exist" in text
    assert "but specified shape (3, 1) and found shape (2, 1)" in text
    assert "but specified dtype float64 and found dtype float32_ref." in text
    assert text.count("-> discriminator/d_W:0, same object: True") == 4
    assert "same object: False" not in text
    # The title's count of ValueErrors is the count the lesson provokes.
    assert "4 kinds of ValueError provoked" in text
    assert "the four ValueErrors" in render.title_of(render.LESSONS_DIR / "02_reuse.py")
    # What AUTO_REUSE costs: a misspelt scope creates; initializer and trainable are ignored.
    assert "trainable variables: ['discriminator/d_W:0', 'discriminater/d_W:0']" in text
    assert "| trainable: True | all zeros: False" in text


def test_lesson_3_scopes(outputs):
    text = printed(outputs, "03_name_scope_vs_variable_scope.py")
    assert "get_variable -> v3:0 | tf.Variable -> ns/v4:0 | op -> ns/addop:0" in text
    assert "get_variable -> vs/v5:0 | tf.Variable -> vs/v6:0 | op -> vs/addop:0" in text
    assert "ValueError: Variable weights already exists, disallowed." in text
    assert "discriminator_1/MatMul <- discriminator/d_W1:0" in text
    assert "fake_logits: discriminator_2/logits:0" in text
    assert "ops under discriminator_1/: []" in text
    assert "tf.Variable('v') three times: ['net/v:0', 'net/v_1:0', 'net_1/v:0']" in text
    assert "real_logits: discriminator/logits:0 | fake_logits: discriminator/logits_1:0" in text


def test_lesson_4_var_lists_and_generator_drift(outputs):
    text = printed(outputs, "04_var_lists.py")
    assert (
        "'d_' in var.name: ['generator/conv2d_transpose/kernel', 'generator/conv2d_transpose/bias'"
        ", 'generator/conv2d_transpose_1/kernel', 'generator/conv2d_transpose_1/bias', "
        "'discriminator/conv2d_1/kernel', 'discriminator/conv2d_1/bias']"
    ) in text
    assert "'g_' in var.name: []" in text
    assert "generator variables in D's list: 4" in text
    assert "discriminator variables missing from D's list: 6 of 8" in text
    assert "ValueError: No variables to optimize." in text
    scope_part, substring_part = text.split("substring list:\n")
    assert "generator variables changed by D's steps: []" in scope_part
    assert "max |G(z) after - G(z) before| on fixed z: 0.0e+00" in scope_part
    drift = float(substring_part.split("on fixed z: ")[1].split()[0])
    assert drift > 1e-3
    assert "['generator/conv2d_transpose/kernel'" in substring_part
    assert "generator unchanged after five D steps: True" in text
    assert (
        "scope=\"discriminator\":  ['discriminator/w', 'discriminator/scale', "
        "'discriminator_1/scale', 'discriminator2/w', 'discriminator2/scale']"
    ) in text
    assert "scope=\"discriminator/\": ['discriminator/w', 'discriminator/scale']" in text


def test_lesson_5_root_scope_trap(outputs):
    text = printed(outputs, "05_root_scope_reuse_trap.py")
    assert "root scope reuse after:  True" in text
    assert (
        "ValueError: Variable d_w/Adam/ does not exist, or was not created with "
        "tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in VarScope?"
    ) in text
    for name in (
        "discriminator/d_w/Adam:0",
        "discriminator/d_w/Adam_1:0",
        "beta1_power:0",
        "beta2_power:0",
        "beta1_power_1:0",
        "generator/g_W/Adam_1:0",
    ):
        assert f"    {name}\n" in text + "\n", name
    assert "'d_w/Adam_1:0', 'd_w/Adam_2:0', 'd_b/Adam:0', 'd_b/Adam_1:0'" in text
    assert "beta1_power before and after two steps: [0.9, 0.81, 0.729]" in text
    # Only d_w's name was used up by the failed minimize; d_b's is free.
    assert "next op name for 'd_w/Adam': d_w/Adam_1 | for 'd_b/Adam': d_b/Adam" in text
    assert "three times: ['d_w/Adam', 'd_w/Adam_1', 'd_w/Adam_2']" in text
    # AUTO_REUSE creates under an inherited reuse=True.
    assert "under AUTO_REUSE: fresh/w:0 created" in text
    # The beta powers follow the name scope; opt.variables() says whose they are.
    assert "['discriminator/d_w:0', 'd_train/beta1_power:0', 'd_train/beta2_power:0'," in text
    assert (
        "{\"D's Adam\": ['beta1_power:0', 'beta2_power:0'], "
        "\"G's Adam\": ['beta1_power_1:0', 'beta2_power_1:0']}"
    ) in text
    assert "get_variable('discriminator/d_w/Adam/') -> discriminator/d_w/Adam:0" in text


def test_lesson_6_eager(outputs):
    text = printed(outputs, "06_tf2_eager.py")
    assert "executing eagerly: True" in text
    assert text.count("same object as the first: False") == 5
    assert "same object as the first: True" not in text
    assert "TRAINABLE_VARIABLES collection: []" in text
    assert "weights after two calls: ['dense/kernel:0', 'dense/bias:0', 'dense_1/kernel:0'" in text
    # The shim runs the archive's netD, all six variables, and acts as AUTO_REUSE.
    assert (
        "variables after two layer calls: ['discriminator/d_W1:0', 'discriminator/d_W2:0', "
        "'discriminator/d_W3:0', 'discriminator/d_b1:0', 'discriminator/d_b2:0', "
        "'discriminator/d_b3:0']"
    ) in text
    assert "reuse of a scope opened without reuse: _ReuseMode.AUTO_REUSE" in text
    assert "reuse=True, misspelt scope: discriminater/d_W1:0" in text
    assert "two reuse=False calls, same logits: True" in text


def test_lesson_7_batch_norm(outputs):
    text = printed(outputs, "07_batch_norm_update_ops.py")
    assert "54 global variables, 16 trainable" in text
    assert "after three seed steps: moving_mean all 0: True | moving_variance all 1: True" in text
    assert "moving_mean     == 0.01 * batch mean of D(real): True" in text
    assert "moving_variance == 0.99 + 0.01 * batch variance of D(real): True" in text
    # Bessel's correction only on the fused 4-D path; PyTorch's running_var always has it.
    assert "on 0, 10, 20, 30, 4-D, fused (the seed's)   2.6567 | FusedBatchNorm op: True" in text
    assert "on 0, 10, 20, 30, 4-D, fused=False          2.2400 | FusedBatchNorm op: False" in text
    assert "on 0, 10, 20, 30, 2-D, after a dense layer  2.2400 | FusedBatchNorm op: False" in text
    assert "PyTorch BatchNorm1d running_var after the same update: 2.6567" in text
    # training=False is not the identity: gamma x / sqrt(1 + eps) + beta.
    assert "training=False on 0, 10, 20, 30: 0.5000, 20.4900, 40.4800, 60.4700" in text
    assert "equal to the input: False | to gamma x / sqrt(1.001) + beta: True" in text
    assert 'scope="discriminator/"         -> 2 update ops' in text
    assert 'scope="discriminator(_\\d+)?/"  -> 4 update ops' in text
    assert "four update ops: moving_mean is still the real-only update: False" in text
    assert "an eval() forward leaves the buffers alone: True" in text


def test_lesson_8_checkpoints(outputs):
    text = printed(outputs, "08_checkpoints_by_name.py")
    assert (
        "54 entries: {'weights': 16, 'Adam slots': 32, 'beta powers': 4, 'moving statistics': 2}"
    ) in text
    # Three files only with write_meta_graph=False; the default save adds the .meta graph.
    three = "['checkpoint', 'gan.ckpt.data-00000-of-00001', 'gan.ckpt.index'"
    assert f"files, write_meta_graph=False: {three}]" in text
    assert f"files, the default save:       {three}, 'gan.ckpt.meta']" in text
    assert "restored 26 variables of D's; D(real) as saved: True | G(z) as saved: False" in text
    assert "Key critic/discriminator/batch_normalization/beta not found in checkpoint" in text
    assert "Saver({old name: variable}): D(real) as saved: True" in text
    assert (
        "init_from_checkpoint({'discriminator/': 'critic/discriminator/'}): D(real) as saved: True"
    ) in text
    assert "Saver().restore: NotFoundError: Key beta1_power_1 not found in checkpoint" in text
    assert "names the file lacks: ['beta1_power_1', 'beta2_power_1', 'd_w/Adam_2']" in text
    assert "restoring the common names loads the file's v into this graph's m: True" in text
    assert "strict=False: missing_keys = ['dense.weight', 'dense.bias']" in text


def test_lesson_9_tf1_checkpoint_in_pytorch(outputs):
    text = printed(outputs, "09_tf1_checkpoint_in_pytorch.py")
    assert "beta1_power = 0.8100 -> Adam updates: {'D': 1, 'G': 1}" in text
    for check in (
        "dense.weight == kernel.T: True",
        "HWIO.permute(3, 2, 0, 1): True",
        "-> same permutation: True",
        "moving_mean -> running_mean: True",
        "moving_variance -> running_var: True",
    ):
        assert check in text, check
    assert "dense.weight == kernel.T: False | == kernel rows in (c, h, w) order" in text
    assert "running_var after one update: {0.01: 2.6567, 0.99: 165.01}" in text
    assert "D(real) logits agree within 1e-05: True | G(z) images agree within 1e-05: True" in text


def test_lesson_10_scope_defaults(outputs):
    text = printed(outputs, "10_scope_defaults_and_getters.py")
    assert "discriminator/dense/kernel                         distinct values: [0.01]" in text
    assert "discriminator/dense/bias                           distinct values: [0.0]" in text
    assert "default == glorot_uniform_initializer(): True" in text
    assert "inherited: half/inner/w:0 float16_ref | explicit: half/v:0 float32_ref" in text
    assert (
        "penalties that reach loss_D: 0 | that reach loss_D + get_regularization_loss(): 10" in text
    )
    assert "the regularized gradient = data gradient + 1e-3 * w: True" in text
    assert "50 penalties, 32 of them on Adam slots" in text
    assert (
        "logits: float16 | MatMuls in: ['float16'] | variables stored as: ['float32_ref'] | "
        "gradients: ['float32']"
    ) in text
    assert "two calls: discriminator/logits:0 discriminator_1/logits:0" in text
    # Nested custom getters compose: the inner runs first and calls the outer.
    assert (
        "    inner getter  <- get_variable('outer/inner/w')\n"
        "    outer getter  <- get_variable('outer/inner/w')\n"
        "    outer getter  <- get_variable('outer/u')"
    ) in text
    # A partitioner splits along the first axis by default, along another when told.
    assert "    embedding/w/part_0:0     [2, 3]\n    embedding/w/part_1:0     [2, 3]" in text
    assert "    by_column/w/part_0:0     [4, 2]\n    by_column/w/part_1:0     [4, 1]" in text


def test_lesson_11_shim_in_depth(outputs):
    text = printed(outputs, "11_tf2_shim_in_depth.py")
    assert "executing eagerly: False\nexecuting eagerly: True" in text
    assert "variables after one call: 18, after two: 18 (16 trainable; D's var_list: 8)" in text
    assert "layer variables not in the checkpoint: [] | entries left unused: 36" in text
    for label in ("G(z)           ", "D(real) logits ", "D(G(z)) logits "):
        assert f"{label} equal to the TF1 graph's: True" in text, label
    assert "tf.function(gan): outputs equal to the graph's: True | variables: 18" in text
    assert "| body ran 2 times" in text
    # Pitfall 1's error type depends on the process's history.
    assert (
        "without the shim, in this process: TypeError: <tf.Tensor 'generator/dense/kernel:0' "
        "shape=() dtype=resource> is out of scope and cannot be used here. | body ran 2 times"
    ) in text
    assert (
        "without the shim, in a fresh process: AttributeError: Tensor.op is undefined when "
        "eager execution is enabled."
    ) in text
    assert "under tf.function: Variable discriminator/conv2d/kernel does not exist" in text


def test_lesson_12_adam_epsilon(outputs):
    text = printed(outputs, "12_adam_epsilon.py")
    assert "step    1: TF1's epsilon acts as 3.16e-07 in PyTorch" in text
    # Gradient 1e-8: TF1's graph, TFAdam and torch.optim.Adam at steps 1 and 1,000.
    assert "   1e-08     1       0.0307      0.0307      0.5000" in text
    assert "   1e-08  1000       0.4430      0.4430      0.5000" in text
    assert "below 1e-12 at every step: True" in text
    assert "torch.optim.Adam:           max |w_TF1 - w_port| after steps 1, 10, 20: 1.5e-05" in text


def test_lesson_13_write_the_fix(outputs):
    text = printed(outputs, "13_write_the_fix.py")
    assert "G(z) moved by one D step with the broken list: True" in text
    assert "after one broken D step: mean all 0: True | variance all 1: True" in text
    assert "loaded with the broken map: max |logits - TF logits| = 0.933" in text
    # Each check rejects the broken code before the solution passes it.
    assert "check_var_list rejects the broken list: True" in text
    assert "check_update_ops rejects the seed's op and the D(real)-only fix: [True, True]" in text
    assert "check_name_map rejects the broken map: True" in text


def test_lesson_14_regularizers_and_checkpoints(outputs):
    text = printed(outputs, "14_tf2_regularizers_and_checkpoints.py")
    assert "TF1 graph: penalties in REGULARIZATION_LOSSES: 10" in text
    assert "layer.losses: 10 | REGULARIZATION_LOSSES: []" in text
    assert "get_regularization_loss(): 0.0" in text
    assert "its gradient == the data gradient: True" in text
    assert "loss + tf.add_n(layer.losses): gradient == data gradient + 1e-3 * w: True" in text
    assert "NameBasedSaverStatus | outputs equal to the TF1 graph's: True" in text
    assert "assert_consumed() passes, with 36 of the file's entries unused" in text
    assert "restored before the first call: outputs equal: False" in text
    assert (
        "under a renamed scope: critic/discriminator/dense/kernel:0 | outputs equal: False" in text
    )
    assert "  changed by the restore from the TF1 file: False" in text
    assert "Adam(weight_decay=1e-3) step == the step on loss + 1e-3 * l2_loss: True" in text


def test_lesson_15_migration(outputs):
    text = printed(outputs, "15_migrate_piece_by_piece.py")
    assert "xyang35's netD (get_variable), under the tool:    identical: True" in text
    assert "seed-002 D (tf.layers), under the tool:            identical: False" in text
    assert "seed-002 D, after tf.keras.utils.set_random_seed:  identical: True" in text
    assert "step 2 identical: True" in text and "step 3 identical: True" in text
    assert "'partly_keras_d/discriminator/conv1/kernel:0'" in text
    assert "the port's logits against the Keras D's, within 1e-5" in text


def test_lesson_16_your_own_model(outputs):
    text = printed(outputs, "16_your_own_model.py")
    assert "tf.contrib.layers.xavier_initializer -> tf1run's xavier_initializer" in text
    assert "(--max-steps 20 stopped the run)" in text
    assert "Parameters: 214,673 in weights" in text
    assert "sub-steps: ['D', 'G']" in text and "verdict: PASS" in text
    assert "Adam updates read off the beta powers: {'D': 10, 'G': 10}" in text
    assert "G(z) after 10 steps: max |TF - PyTorch| = " in text


@pytest.mark.parametrize("path", LESSONS, ids=NAMES)
def test_two_or_three_exercises_each_with_a_collapsed_worked_solution(path):
    source = path.read_text()
    numbers = EXERCISE.findall(source)
    lesson = str(int(path.name[:2]))
    assert numbers == [f"{lesson}.{k}" for k in range(1, len(numbers) + 1)], numbers
    assert 2 <= len(numbers) <= 3, f"{path.name}: {len(numbers)} exercises"
    # On the rendered page each solution is a <details> section holding code and its output.
    rendered = path.with_suffix(".md").read_text()
    sections = re.findall(re.escape(SOLUTION_OPEN) + r"\n(.*?)\n</details>", rendered, re.S)
    assert len(sections) == len(numbers) == rendered.count("</details>")
    for number, section in zip(numbers, sections):
        assert "```python" in section and f"Exercise {number}:" in section, number


def test_every_exercise_has_a_checked_answer():
    numbers = [n for path in LESSONS for n in EXERCISE.findall(path.read_text())]
    assert sorted(numbers) == sorted(EXERCISE_ANSWERS)


@pytest.mark.parametrize("number", sorted(EXERCISE_ANSWERS))
def test_exercise_solution_is_right(outputs, number):
    name = next(n for n in NAMES if int(n[:2]) == int(number.split(".")[0]))
    assert EXERCISE_ANSWERS[number] in printed(outputs, name)


def test_graph_lessons_share_a_process_the_eager_ones_another_and_a_switch_runs_alone():
    groups = [[p.name for p in group] for group in render.groups(LESSONS)]
    eager = [
        "06_tf2_eager.py",
        "14_tf2_regularizers_and_checkpoints.py",
        "15_migrate_piece_by_piece.py",
    ]
    switching = "11_tf2_shim_in_depth.py"
    graph_mode = [name for name in NAMES if name not in eager and name != switching]
    assert groups == [graph_mode, eager, [switching]]
