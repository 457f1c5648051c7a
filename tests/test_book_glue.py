"""Code taught is code shown: ``mcgan_lib.book`` and the chapters' ``show_source`` cells.

A library function whose docstring has the line "Taught in chapter NN." has a ``show_source(function)``
cell in notebook NN; every ``show_source`` cell of a notebook names a function taught in that chapter;
and the source a notebook stores as the cell's output is the library's current source, so a reader never
sees stale code (after editing a taught function, rerun its ``show_source`` cell). Nothing is executed:
the notebooks are read as JSON and their imports resolved in this process.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import nbformat
import pytest
from IPython.core.formatters import DisplayFormatter
from IPython.display import Code

import mcgan_lib
from mcgan_lib import book
from mcgan_lib.book import Source, show_source, taught_in
from mcgan_lib.regularizers.mode_seeking import mode_seeking_loss
from mcgan_lib.regularizers.reconstruction import reconstruction_loss

LIBRARY = Path(mcgan_lib.__file__).parent
NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def chapter_of(notebook: Path) -> int:
    return int(notebook.name[:2])


def python_source(cell_source: str) -> str:
    """A code cell without its IPython lines (``%matplotlib inline``, ``!pip ...``), which ``ast`` cannot read."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell_source.splitlines())


def code_cells(notebook: Path) -> list[tuple[int, nbformat.NotebookNode]]:
    cells = nbformat.read(notebook, as_version=4).cells
    return [(index, cell) for index, cell in enumerate(cells) if cell.cell_type == "code"]


def notebook_namespace(notebook: Path) -> dict[str, object]:
    """What the notebook's ``import`` statements bind, imported here (the chapters import from the library)."""
    namespace = {}
    for _, cell in code_cells(notebook):
        for node in ast.walk(ast.parse(python_source(cell.source))):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                module = importlib.import_module(node.module)
                for alias in node.names:
                    if alias.name != "*":
                        namespace[alias.asname or alias.name] = getattr(module, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        namespace[alias.asname] = importlib.import_module(alias.name)
                    else:
                        top = alias.name.split(".")[0]
                        namespace[top] = importlib.import_module(top)
    return namespace


def resolve(expression: ast.expr, namespace: dict[str, object]) -> object:
    if isinstance(expression, ast.Name):
        assert expression.id in namespace, f"{expression.id} is not imported by the notebook"
        return namespace[expression.id]
    if isinstance(expression, ast.Attribute):
        return getattr(resolve(expression.value, namespace), expression.attr)
    raise AssertionError(f"show_source takes a name or a dotted name, got {ast.unparse(expression)}")


def show_source_calls(notebook: Path) -> list[tuple[int, nbformat.NotebookNode, str, object]]:
    """(cell index, cell, the argument as written, the object it names) for each ``show_source(x)`` call."""
    calls, namespace = [], None
    for index, cell in code_cells(notebook):
        for node in ast.walk(ast.parse(python_source(cell.source))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "show_source"
            ):
                assert len(node.args) == 1 and not node.keywords, f"cell {index}: show_source takes one function"
                namespace = namespace if namespace is not None else notebook_namespace(notebook)
                calls.append((index, cell, ast.unparse(node.args[0]), resolve(node.args[0], namespace)))
    return calls


def _taught_definitions(node: ast.AST, owner: object, prefix: str) -> list[tuple[str, object]]:
    """(qualname, object) of the functions and classes under ``node`` whose docstring has the line."""
    found = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            obj = getattr(owner, child.name, None)
            lines = (ast.get_docstring(child) or "").splitlines()
            if obj is not None and any(line.strip().lower().startswith("taught in chapter") for line in lines):
                found.append((f"{prefix}{child.name}", obj))
            if isinstance(child, ast.ClassDef) and obj is not None:
                found += _taught_definitions(child, obj, f"{prefix}{child.name}.")
    return found


def taught_functions() -> list[tuple[str, object]]:
    """(module.qualname, object) for every function or class of the library whose own docstring has a
    "taught in chapter" line, found with ``ast`` and then imported."""
    found = []
    for path in sorted(LIBRARY.rglob("*.py")):
        text = path.read_text()
        if "aught in chapter" not in text:
            continue
        parts = path.relative_to(LIBRARY.parent).with_suffix("").parts
        module = importlib.import_module(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
        found += [(f"{module.__name__}.{name}", obj) for name, obj in _taught_definitions(ast.parse(text), module, "")]
    return found


TAUGHT = taught_functions()


def test_the_chapters_teach_the_mode_seeking_and_reconstruction_losses():
    taught = {name: obj for name, obj in TAUGHT}
    assert taught["mcgan_lib.regularizers.mode_seeking.mode_seeking_loss"] is mode_seeking_loss
    assert taught["mcgan_lib.regularizers.reconstruction.reconstruction_loss"] is reconstruction_loss
    assert taught_in(mode_seeking_loss) == 4 and taught_in(reconstruction_loss) == 2


@pytest.mark.parametrize("name, function", TAUGHT, ids=[name for name, _ in TAUGHT])
def test_every_taught_function_is_shown_in_its_chapter(name, function):
    chapter = taught_in(function)
    notebooks = [path for path in NOTEBOOKS if chapter_of(path) == chapter]
    assert len(notebooks) == 1, f"{name} is taught in chapter {chapter:02d}, which has no notebook"
    shown = [obj for _, _, _, obj in show_source_calls(notebooks[0])]
    assert any(obj is function for obj in shown), (
        f"{name} says 'Taught in chapter {chapter:02d}.' but {notebooks[0].name} has no "
        f"show_source({function.__name__}) cell"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_show_source_cell_shows_a_function_taught_there_with_its_current_source(notebook):
    for index, cell, written, function in show_source_calls(notebook):
        assert taught_in(function) == chapter_of(notebook), (
            f"{notebook.name} cell {index} shows {written}, whose docstring does not say "
            f"'Taught in chapter {chapter_of(notebook):02d}.' (it says {taught_in(function)})"
        )
        displayed = [output for output in cell.outputs if output.output_type == "display_data"]
        assert len(cell.outputs) == 1 and len(displayed) == 1, f"{notebook.name} cell {index}: one displayed block"
        data = displayed[0].data
        assert "text/html" in data, f"{notebook.name} cell {index}: the block is highlighted"
        assert data["text/plain"].rstrip("\n") == inspect.getsource(function).rstrip("\n"), (
            f"{notebook.name} cell {index} stores an old source of {written}: rerun the cell"
        )


def test_show_source_displays_python_code_and_returns_the_source(monkeypatch):
    shown = []
    monkeypatch.setattr(book, "display", shown.append)
    source = show_source(mode_seeking_loss)
    assert source == inspect.getsource(mode_seeking_loss) and isinstance(source, str)
    assert source.startswith("def mode_seeking_loss(") and "Taught in chapter 04." in source
    (block,) = shown
    assert isinstance(block, Code) and block.data == source and block.language == "python"


def test_the_returned_source_adds_no_second_output_as_a_cells_value():
    text = Source("def f():\n    pass\n")
    assert DisplayFormatter().format(text) == ({}, {})  # the block is already displayed: nothing more
    assert DisplayFormatter().format(str(text))[0]["text/plain"]  # a plain str would print its repr


def test_taught_in_reads_the_line_and_is_none_without_it():
    def taught():
        """A helper.

        Taught in chapter 11.
        """

    def plain():
        """A helper that no chapter explains."""

    def undocumented():
        pass

    assert taught_in(taught) == 11
    assert taught_in(plain) is None and taught_in(undocumented) is None


def test_taught_in_ignores_a_docstring_inherited_from_a_base_class():
    class Base:
        def method(self):
            """Taught in chapter 03."""

    class Child(Base):
        def method(self):
            pass

    assert taught_in(Base.method) == 3 and taught_in(Child.method) is None


@pytest.mark.parametrize(
    "line", ["Taught in chapter 4.", "taught in chapter 04.", "Taught in chapter 04", "Taught in chapter 04 and 05."]
)
def test_taught_in_rejects_a_line_in_another_form(line):
    def function():
        pass

    function.__doc__ = f"A helper.\n\n{line}\n"
    with pytest.raises(ValueError, match="Taught in chapter NN"):
        taught_in(function)


def test_taught_in_rejects_two_chapters():
    def function():
        """Taught in chapter 02.

        Taught in chapter 04.
        """

    with pytest.raises(ValueError, match="more than one chapter"):
        taught_in(function)


def test_the_table_glue_selects_rows_by_column_values():
    import pandas as pd

    from mcgan_lib.book import labelled, mean_of, method_label, seeds_of

    table = pd.concat(
        [
            labelled(pd.DataFrame({"seed": [0, 1], "fid": [1.0, 3.0]}), "a"),
            labelled(pd.DataFrame({"seed": [0], "fid": [5.0]}), "b"),
        ],
        ignore_index=True,
    )
    assert mean_of(table, "fid", setting="a") == 2.0 and mean_of(table, "fid") == 3.0
    assert seeds_of(table, "fid", setting="a").tolist() == [1.0, 3.0]
    assert seeds_of(table, "seed", setting="b", fid=5.0).tolist() == [0]
    with pytest.raises(ValueError, match="no column 'task'"):
        mean_of(table, "fid", task="ring")
    assert method_label("ms") == "MSGAN" and method_label("ms", with_weight=True) == "MSGAN (λ 1)"
    assert method_label("gan", with_weight=True) == method_label("gan")


def test_noises_of_returns_one_inputs_outputs():
    from types import SimpleNamespace

    import numpy as np

    from mcgan_lib.book import noises_of
    from mcgan_lib.data.paired import DISPLAY_NOISES

    task = SimpleNamespace(data_shape=(1, 2, 2), condition_dim=4)
    samples = np.concatenate([np.zeros((2 * DISPLAY_NOISES, 4)), np.arange(2 * DISPLAY_NOISES * 4).reshape(-1, 4)], 1)
    second = noises_of(task, samples, which=1)
    assert tuple(second.shape) == (DISPLAY_NOISES, 1, 2, 2)
    assert float(second[0].flatten()[0]) == float(samples[DISPLAY_NOISES, 4])
