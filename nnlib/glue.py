"""Numbers for the prose: ``glue("n_digits", f"{len(images):,}")`` in a code cell, and
``{eval}`glued.n_digits``` in the text around it.

The same markdown renders in the HTML book (myst-nb evaluates ``glued.n_digits`` in the chapter's
kernel while it builds the page) and in JupyterLab (the jupyterlab-myst extension evaluates it
when the markdown cell is run; ``python -m chaptertools execute`` stores the values in the
notebook so that they show before anything runs). The glued values live in one namespace,
``glued``, so that a glued text never replaces a variable of the same name in the chapter.
"""
from __future__ import annotations

from types import SimpleNamespace

from ._checks import describe


class GluedText(str):
    """A string shown as itself: ``repr`` without quotes, so that every viewer (the book,
    JupyterLab, a plain ``print``) shows ``1,797`` rather than ``'1,797'``."""

    def __repr__(self) -> str:
        return str(self)


#: every value glued so far, as attributes: ``glued.n_digits``
glued = SimpleNamespace()


def glue(name: str, value, display: bool = False) -> None:
    """Make ``value`` (shown as text) available to the prose as ``{eval}`glued.<name>```.

    ``display`` is accepted for compatibility with ``myst_nb.glue`` and must stay False: the
    value appears in the text, not as an output.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"glue name must be a Python identifier such as 'n_digits', "
                         f"got {describe(name)}")
    if display:
        raise ValueError("glue(..., display=True) is not supported: print the value instead")
    setattr(glued, name, GluedText(value))
