"""Input checks shared by every public function.

Each helper turns bad input into a ``TypeError`` or ``ValueError`` whose message says what was
expected and what was received, so a student never has to read a numpy traceback.
"""
from __future__ import annotations

import numbers

import numpy as np


class NonFiniteError(ValueError):
    """An array that must be finite contains NaN or inf."""


def describe(x) -> str:
    """A short description of ``x`` for error messages: type, and shape/dtype for arrays."""
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}" if np.isscalar(x) or x is None else type(x).__name__


def _all_finite(arr: np.ndarray) -> bool:
    # A finite sum means every entry is finite: one pass and no temporary array, which matters
    # for a whole data set. (An infinite sum of finite numbers is checked entry by entry.)
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(arr.sum())) or bool(np.isfinite(arr).all())


def as_array(x, name: str, *, ndim: int | tuple[int, ...] | None = None,
             dtype=np.float64, finite: bool = True) -> np.ndarray:
    """Return ``x`` as a numpy array of ``dtype``, checking type, dimensions and finiteness.

    ``ndim`` may be one int or a tuple of allowed numbers of dimensions.
    """
    if isinstance(x, (str, bytes, dict, set)) or x is None:
        raise TypeError(f"{name} must be a number or an array of numbers, got {describe(x)}")
    try:
        arr = np.asarray(x)
    except ValueError:  # numpy: "setting an array element with a sequence ... inhomogeneous"
        raise ValueError(f"{name} must be a rectangular array of numbers (every row of the same "
                         f"length), got a ragged {type(x).__name__}") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must contain numbers, got {describe(x)}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must contain real numbers, got complex dtype {arr.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be a {want} array, got shape {arr.shape} ({arr.ndim}-D)")
    if dtype is not None:
        arr = np.asarray(arr, dtype=dtype)
    if finite and arr.dtype.kind == "f" and not _all_finite(arr):
        bad = np.argwhere(~np.isfinite(arr))[0]
        where = tuple(int(i) for i in bad) if arr.ndim else ()
        raise NonFiniteError(f"{name} contains NaN or inf (first at index {where}); "
                         "check the data or the computation that produced it")
    return arr


def check_positive(value, name: str, *, allow_zero: bool = False) -> float:
    """A real number > 0 (or >= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {describe(value)}")
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


def check_int(value, name: str, *, minimum: int = 1) -> int:
    """An integer >= ``minimum`` (bools are rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {describe(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_fraction(value, name: str) -> float:
    """A real number strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number between 0 and 1, got {describe(value)}")
    if not 0 < value < 1:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value!r}")
    return float(value)


def check_choice(value, name: str, choices) -> str:
    """One of the strings in ``choices`` (case-insensitive)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {sorted(choices)}, got {describe(value)}")
    key = value.lower()
    if key not in choices:
        raise ValueError(f"unknown {name} {value!r}; choose one of {sorted(choices)}")
    return key


def as_rng(seed, name: str = "rng") -> np.random.Generator:
    """A ``numpy.random.Generator`` from a seed (int), a Generator, or None (unseeded)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{name} must be an int seed or a numpy.random.Generator, "
                        f"got {describe(seed)}")
    if seed < 0:
        raise ValueError(f"{name} must be >= 0, got {seed}")
    return np.random.default_rng(int(seed))


def float_dtype_of(x, default=np.float64) -> np.dtype:
    """The dtype a box computes in for input ``x``: its own float type, else ``default``."""
    return x.dtype if isinstance(x, np.ndarray) and x.dtype.kind == "f" else np.dtype(default)


def first_non_finite(named_arrays) -> str | None:
    """The name of the first array in ``(name, array)`` pairs that holds NaN or inf, or None."""
    for name, a in named_arrays:
        if not np.isfinite(a).all():
            return name
    return None
