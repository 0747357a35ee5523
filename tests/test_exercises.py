"""nnlib.exercises: a failed check says what was expected and what the code gave, and Jupyter
shows that message alone (no traceback through nnlib)."""
import numpy as np
import pytest
from IPython.core.interactiveshell import InteractiveShell

from nnlib import ExerciseFailed, expect_close, expect_equal, expect_shape


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
