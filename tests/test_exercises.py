"""nnlib.exercises: a failed check says what was expected and what the code gave (Jupyter shows
that message alone, no traceback through nnlib), and right answers in any reasonable form pass."""
import numpy as np
import pytest
from IPython.core.interactiveshell import InteractiveShell

from nnlib import ExerciseFailed, expect_close, expect_equal, expect_shape


@pytest.mark.parametrize("got, expected", [([1, 0], (1, 0)), ((np.int64(1), 2), (1, 2)),
                                           (np.int64(3), 3), (np.array([1, 2]), [1, 2]),
                                           ("int", "int"), (True, True)])
def test_expect_equal_accepts_the_same_value_in_another_form(got, expected):
    expect_equal("x", got, expected)


@pytest.mark.parametrize("got, expected", [([0, 1], (1, 0)), ((1,), (1, 0)), (3, 4),
                                           ([[1, 2], [3]], (1, 2)), (False, True)])
def test_expect_equal_rejects_other_values(got, expected):
    with pytest.raises(ExerciseFailed, match="x should be"):
        expect_equal("x", got, expected, hint="look again")


def test_unfinished_exercise_is_named_as_such():
    with pytest.raises(ExerciseFailed, match="did you finish the exercise"):
        expect_close("f(0)", None, 0.5)
    with pytest.raises(ExerciseFailed, match="shape"):
        expect_shape("W", np.zeros((2, 3)), (3, 2))


def test_messages_say_expected_and_got():
    with pytest.raises(ExerciseFailed, match=r"sigmoid\(0\) should be 0.5, your code gave 0"):
        expect_close("sigmoid(0)", 0.0, 0.5)
    with pytest.raises(ExerciseFailed, match=r"should have shape \(2,\), your code gave shape"):
        expect_shape("y", np.zeros(3), (2,))
    with pytest.raises(ExerciseFailed, match="did you finish the exercise"):
        expect_equal("n", None, 3)


def test_jupyter_shows_the_message_alone(capsys):
    shell = InteractiveShell.instance()
    shell.run_cell("from nnlib import expect_close\n"
                   "expect_close('neuron(x=[1, 2])', 0.5, 0.731059, hint='z = 1')")
    shown = capsys.readouterr()
    out = shown.out + shown.err
    assert "Check failed:" in out and "neuron(x=[1, 2]) should be 0.731059" in out
    assert "Hint: z = 1" in out
    assert "Traceback" not in out and "exercises.py" not in out
