"""Checks for the exercises: each failure says what was expected and what the student's code gave,
instead of a bare ``AssertionError``.

::

    expect_close("sigmoid(0)", sigmoid(0), 0.5)
    # AssertionError: sigmoid(0) should be 0.5, your code gave 0.0
"""
from __future__ import annotations

import numpy as np


class ExerciseFailed(AssertionError):
    """An exercise check failed; the message explains why.

    In Jupyter (JupyterLab, the notebook, nbgrader's feedback) the failure is shown as the message
    alone: IPython asks an exception for ``_render_traceback_`` before it formats a traceback, and
    the frames inside ``nnlib.exercises`` would only hide what the student needs to read.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[1;31mCheck failed:\x1b[0m {self}"]


def _show(x) -> str:
    if isinstance(x, np.ndarray):
        with np.printoptions(precision=4, suppress=True, threshold=20):
            return f"{np.array2string(x)} (shape {x.shape})"
    return repr(x)


def _not_done(what: str, got) -> None:
    if got is None or got is NotImplemented or got is Ellipsis:
        raise ExerciseFailed(f"{what}: your code returned {got!r}; did you finish the exercise "
                             "(replace the `raise NotImplementedError()` with your code and "
                             "`return` the result)?")


def expect_close(what: str, got, expected, *, rtol: float = 1e-6, atol: float = 1e-9,
                 hint: str = "") -> None:
    """``got`` must equal ``expected`` up to rounding (numbers or arrays of the same shape)."""
    _not_done(what, got)
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise ExerciseFailed(f"{what} should be a number or an array of numbers, your code gave "
                             f"{type(got).__name__} {got!r}") from None
    e = np.asarray(expected, dtype=np.float64)
    if g.shape != e.shape:
        raise ExerciseFailed(f"{what} should have shape {e.shape}, your code gave shape {g.shape}"
                             + (f". Hint: {hint}" if hint else ""))
    if not np.allclose(g, e, rtol=rtol, atol=atol, equal_nan=False):
        raise ExerciseFailed(f"{what} should be {_show(e) if e.ndim else f'{float(e):.6g}'}, "
                             f"your code gave {_show(g) if g.ndim else f'{float(g):.6g}'}"
                             + (f". Hint: {hint}" if hint else ""))


def _same(got, expected) -> bool:
    """Equal as values: a list equals the tuple with the same entries, ``np.int64(3)`` equals 3."""
    sequences = (list, tuple, np.ndarray)
    if isinstance(got, sequences) or isinstance(expected, sequences):
        try:
            g, e = np.asarray(got), np.asarray(expected)
        except (TypeError, ValueError):  # ragged nested sequences
            return False
        return g.shape == e.shape and bool(np.array_equal(g, e))
    return bool(got == expected)


def expect_equal(what: str, got, expected, *, hint: str = "") -> None:
    """``got == expected`` exactly (for integers, labels, strings, tuples). Sequences compare by
    their entries, so a list passes where a tuple is expected, and numpy integers pass as ints."""
    _not_done(what, got)
    if not _same(got, expected):
        raise ExerciseFailed(f"{what} should be {_show(expected)}, your code gave {_show(got)}"
                             + (f". Hint: {hint}" if hint else ""))


def expect_shape(what: str, got, shape: tuple, *, hint: str = "") -> None:
    """``got`` must be an array of the given shape."""
    _not_done(what, got)
    g = np.shape(got)
    if g != tuple(shape):
        raise ExerciseFailed(f"{what} should have shape {tuple(shape)}, your code gave shape {g}"
                             + (f". Hint: {hint}" if hint else ""))
