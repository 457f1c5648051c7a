"""The notebooks' glue: what a chapter calls to show the library, as opposed to computing with it.

Code taught is code shipped, and shown. A function that a chapter explains carries the docstring line

    Taught in chapter 04.

and that chapter shows the library's own source with :func:`show_source` where it explains it, so the
reader sees the very code that the tables come from, not a copy typed into the notebook.
``tests/test_book_glue.py`` keeps the two in step: every such function has a ``show_source`` cell in its
chapter, every ``show_source`` cell names a function taught there, and the source stored in the
notebook is the library's current one. :func:`taught_in` reads the line.

The chapters' table and figure glue lives here too, one version each, so that no notebook defines its
own: :func:`method_label`, :func:`labelled`, :func:`mean_of`, :func:`seeds_of` and :func:`noises_of`.

Layer 5 (presentation, ``docs/architecture.md``).
"""

from __future__ import annotations

import inspect
import re

import pandas as pd
from IPython.display import Code, display

from mcgan_lib.data.paired import DISPLAY_NOISES
from mcgan_lib.methods import METHODS
from mcgan_lib.viz import stored_images

# The one form of the line; a line that starts like it but differs (``taught in chapter 4``) is an error.
TAUGHT_IN_LINE = re.compile(r"Taught in chapter (\d{2})\.")
_TAUGHT_IN_START = re.compile(r"taught in chapter", re.IGNORECASE)


class Source(str):
    """A function's source text as :func:`show_source` returns it: an ordinary ``str``.

    :func:`show_source` has already displayed it as a highlighted block, so as the value of a notebook
    cell it displays nothing more (Jupyter would otherwise print the string's ``repr`` below the block).
    """

    def _ipython_display_(self) -> None:
        return None


def show_source(function) -> Source:
    """Display ``function``'s source (``inspect.getsource``) as a syntax-highlighted Python block, and return it.

    ``function``: a function or class of the library (anything ``inspect.getsource`` accepts). In Jupyter
    the block is one ``display_data`` output (HTML and LaTeX from Pygments, the plain source as
    ``text/plain``); outside IPython, ``display`` prints the source. The returned text is a ``str``.
    """
    source = inspect.getsource(function)
    display(Code(source, language="python"))
    return Source(source)


def taught_in(function) -> int | None:
    """The chapter whose notebook teaches ``function``: NN from its docstring line "Taught in chapter NN.".

    Returns the chapter number as an int (4 for "Taught in chapter 04."), or None when the function's
    own docstring (not one inherited from a base class) has no such line. Raises ValueError for a line
    that starts like it in another form, or for two such lines.
    """
    doc = inspect.cleandoc(getattr(function, "__doc__", None) or "")
    lines = [line.strip() for line in doc.splitlines() if _TAUGHT_IN_START.match(line.strip())]
    name = getattr(function, "__qualname__", repr(function))
    if len(lines) > 1:
        raise ValueError(f"{name}'s docstring names more than one chapter: {lines}; a function is taught once")
    if not lines:
        return None
    match = TAUGHT_IN_LINE.fullmatch(lines[0])
    if match is None:
        raise ValueError(
            f"{name}'s docstring line {lines[0]!r} must read exactly 'Taught in chapter NN.' (two digits, a full stop)"
        )
    return int(match.group(1))


# ------------------------------------------------------------------------------------ tables and figures
def method_label(name: str, with_weight: bool = False) -> str:
    """The registry's display name of method ``name`` (``"MSGAN"``); with ``with_weight``, its default λ
    appended (``"MSGAN (λ 1)"``) when it has one."""
    method = METHODS[name]
    weight = method.defaults.get("weight") if with_weight else None
    return method.label + ("" if weight is None else f" (λ {weight:g})")


def labelled(table: pd.DataFrame, setting: str) -> pd.DataFrame:
    """``table`` with a ``setting`` column set to ``setting`` (the name a chapter's summary groups by)."""
    return table.assign(setting=setting)


def _rows(table: pd.DataFrame, where: dict) -> pd.DataFrame:
    for column, value in where.items():
        if column not in table.columns:
            raise ValueError(f"table has no column {column!r} to select on; its columns: {list(table.columns)}")
        table = table[table[column] == value]
    return table


def mean_of(table: pd.DataFrame, column: str, **where) -> float:
    """The mean of ``column`` over the rows of ``table`` whose columns equal ``where``
    (``mean_of(table, "lpips", task="inpainting", method="gan_l2")``), NaN skipped."""
    return _rows(table, where)[column].mean()


def seeds_of(table: pd.DataFrame, column: str, **where):
    """The values of ``column`` in the rows of ``table`` whose columns equal ``where``, one per seed, in the
    table's order, as a numpy array."""
    return _rows(table, where)[column].to_numpy()


def noises_of(task, samples, which: int = 0):
    """The images of one test input under the ``DISPLAY_NOISES`` latents that a paired sweep stores for it:
    input ``which`` of ``samples`` (a stored ``samples`` cell of ``task``'s sweep), as (DISPLAY_NOISES, C, H, W)."""
    images = stored_images(samples, task.data_shape, condition_dim=task.condition_dim)
    return images[which * DISPLAY_NOISES : (which + 1) * DISPLAY_NOISES]
