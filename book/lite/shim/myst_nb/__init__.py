"""A stand-in for myst_nb inside the in-browser edition of the book.

The chapters call ``myst_nb.glue(name, value)`` so that the HTML book can print computed numbers
in its prose. That is a build-time job; in the browser, where myst-nb is not installed, this
module does what ``glue`` shows in a notebook: it displays the value unless ``display=False``.
"""
from IPython.display import display as _display

__all__ = ["glue"]


def glue(name: str, variable, display: bool = True) -> None:
    """Show ``variable`` like myst_nb.glue does in a notebook (the book's prose uses ``name``)."""
    if display:
        _display(variable)
