"""The notebooks' glue: what a chapter calls to show the library, as opposed to computing with it.

Code taught is code shipped, and shown. A function that a chapter explains carries the docstring line

    Taught in chapter 04.

and that chapter shows the library's own source with :func:`show_source` where it explains it, so the
reader sees the very code that the tables come from, not a copy typed into the notebook.
``tests/test_book_glue.py`` keeps the two in step: every such function has a ``show_source`` cell in its
chapter, every ``show_source`` cell names a function taught there, and the source stored in the
notebook is the library's current one. :func:`taught_in` reads the line.

Layer 5 (presentation, ``docs/architecture.md``): it imports IPython's display and nothing of the library.
"""

from __future__ import annotations

import inspect
import re

from IPython.display import Code, display

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
