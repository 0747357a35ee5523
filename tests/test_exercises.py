"""The exercise checks of nnlib.exercises: clear failures, and right answers in any reasonable
form pass."""
import numpy as np
import pytest

from nnlib import expect_close, expect_equal, expect_shape
from nnlib.exercises import ExerciseFailed


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
