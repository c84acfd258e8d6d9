"""bench/conv_bound.py records every convolution of one DCGAN --fast iteration and times each."""

from bench import conv_bound


def test_one_iteration_records_every_convolution_of_the_step():
    names = [name for name, _, _ in conv_bound.one_iteration_calls()]
    forwards = [n for n in names if n.endswith("forward")]
    gradients = [n for n in names if "gradient" in n]
    # D's two layers on real, fake and the G step's fake, and G's two layers once (the G step
    # reuses the D step's G(z)); as many backward calls.
    assert len(forwards) == 8 and len(gradients) == 8 and len(names) == 16
    assert sum("conv_transpose" in n for n in forwards) == 2
    # The G step asks D's layers for input gradients only (D is frozen there).
    input_only = [n for n in gradients if n.endswith("gradient (input)")]
    assert len(input_only) == 2


def test_measure_gives_a_positive_time_for_each_distinct_call():
    rows = conv_bound.measure(seconds=0.005)
    assert sum(count for count, _ in rows.values()) == 16
    assert all(ms > 0 for _, ms in rows.values())
