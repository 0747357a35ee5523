"""Tools for the chapter notebooks (not part of nnlib, which is the book's numpy library).

* ``python -m chaptertools convert chapters/NN_name.ipynb …`` — rewrites book-only markup into
  markup that the HTML book and JupyterLab (with jupyterlab-myst) both render (``markup``);
* ``python -m chaptertools execute chapters/NN_name.ipynb …`` — runs a chapter from a fresh
  kernel and stores it exactly as JupyterLab would save it (``execute``), used by
  ``make outputs``;
* ``chaptertools.execute.pre_save_hook`` — JupyterLab's ``make lab`` stores saved chapters the
  same way (no live widget views that a new kernel cannot show).
"""
