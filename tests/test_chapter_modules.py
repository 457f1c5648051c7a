"""Every chapter has one module in ``mcgan_lib.chapters``, and its notebook takes every setting of its runs from it.

A notebook's calls to ``sweep``, ``compare`` and ``seed_table`` may pass only what comes from a chapter module:
a call of a function imported from ``mcgan_lib.chapters`` or one of its modules (``**chapter_sweep("07_comparison",
name)``, ``**live_run(weight)``), a name imported from there, or a notebook variable computed from such a value
(``arguments = chapter_sweep(...)``; ``for arguments in mr_sweeps.values()``). A literal setting (``seeds=[0]``,
``"ms"``, ``{"weight": 1.0}``) fails: declare it in the chapter module, so that ``prebuild`` trains and stores it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

import mcgan_lib.chapters as chapters
from mcgan_lib.chapters import CHAPTER_CLAIMS, CHAPTER_MODULES, CHAPTERS

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CHAPTER_PACKAGE = Path(chapters.__file__).parent
CHECKED_CALLS = ("sweep", "compare", "seed_table")


def chapter_notebooks() -> list[Path]:
    return sorted(path for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb") if not path.name.startswith("00_"))


def notebook_tree(source: str) -> ast.Module:
    """The code cells of a notebook as one module (IPython's ``%`` and ``!`` lines dropped)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    return ast.parse("\n".join(lines))


def notebook_source(path: Path) -> str:
    notebook = nbformat.read(path, as_version=4)
    return "\n\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")


def _target_names(target: ast.AST) -> list[str]:
    return [node.id for node in ast.walk(target) if isinstance(node, ast.Name)]


class Declarations:
    """The names of a notebook whose values come from a chapter module (see the module docstring)."""

    def __init__(self, tree: ast.Module):
        self.names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mcgan_lib.chapters"):
                self.names |= {alias.asname or alias.name for alias in node.names}
        bindings = []  # (targets, value): assignments, loops and comprehensions
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                bindings += [(target, node.value) for target in node.targets]
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
                bindings.append((node.target, node.value))
            elif isinstance(node, (ast.For, ast.comprehension)):
                bindings.append((node.target, node.iter))
        values = {}
        for target, value in bindings:
            for name in _target_names(target):
                values.setdefault(name, []).append(value)
        # The largest consistent set: start from every bound name and drop, until none changes, each name with
        # a bound value that is not declared (so a name that two comprehensions bind from each other stays).
        self.names |= set(values)
        while True:
            dropped = {name for name, bound in values.items() if not all(self.declared(value) for value in bound)}
            dropped &= self.names
            if not dropped:
                break
            self.names -= dropped

    def declared(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.names
        if isinstance(node, ast.Call):  # a chapter module's function, whatever its arguments name
            return self.declared(node.func)
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            return self.declared(node.value)
        if isinstance(node, ast.Starred):
            return self.declared(node.value)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            return all(self.declared(g.iter) for g in node.generators) and self.declared(node.elt)
        if isinstance(node, ast.DictComp):
            return all(self.declared(g.iter) for g in node.generators) and self.declared(node.value)
        return False


def undeclared_arguments(source: str) -> list[str]:
    """Each argument of a ``sweep`` / ``compare`` / ``seed_table`` call in ``source`` that does not come from a
    chapter module, as ``"line N: sweep(..., <argument>)"``."""
    tree = notebook_tree(source)
    declarations = Declarations(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", None))
        if name not in CHECKED_CALLS:
            continue
        arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
        found += [
            f"line {node.lineno}: {name}(..., {ast.unparse(argument)})"
            for argument in arguments
            if not declarations.declared(argument)
        ]
    return found


# ------------------------------------------------------------------------------------------ the tests
@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda path: path.stem)
def test_every_sweep_of_a_notebook_takes_its_settings_from_a_chapter_module(path):
    problems = undeclared_arguments(notebook_source(path))
    assert not problems, (
        f"{path.name} passes settings that do not come from mcgan_lib.chapters (declare them in its chapter "
        f"module): {problems}"
    )


def test_the_check_fails_on_a_planted_literal_setting_and_passes_declared_ones():
    good = (
        "from mcgan_lib.chapters import chapter_sweep\n"
        "from mcgan_lib.chapters.ch07_comparison import comparison_arguments, comparison_seeds\n"
        "from mcgan_lib.sweeps import compare, sweep\n"
        "SEEDS = comparison_seeds()\n"
        'arguments = chapter_sweep("07_comparison", "ring_gan")\n'
        "table = sweep(**arguments)\n"
        'tables = [sweep(**chapter_sweep("07_comparison", f"ring_{name}")) for name in ("gan", "ms")]\n'
        'first = compare(**comparison_arguments("ring"))\n'
    )
    assert undeclared_arguments(good) == []
    planted = good + 'bad = sweep("ring", "ms", seeds=[0], method_options={"weight": 1.0})\n'
    problems = undeclared_arguments(planted)
    assert len(problems) == 4 and all(problem.startswith("line 9: sweep(") for problem in problems)
    mixed = good + 'also_bad = sweep(**arguments, steps=100)\nalso = compare(("ring",), seeds=SEEDS)\n'
    assert undeclared_arguments(mixed) == ["line 9: sweep(..., 100)", "line 10: compare(..., ('ring',))"]
    shadowed = good + "arguments = {'task': 'ring'}\nagain = sweep(**arguments)\n"  # rebound to a literal
    assert len(undeclared_arguments(shadowed)) == 2


def test_every_chapter_module_is_collected_and_names_its_notebook():
    files = sorted(path.stem for path in CHAPTER_PACKAGE.glob("ch[0-9][0-9]_*.py"))
    assert sorted(module.__name__.rpartition(".")[2] for module in CHAPTER_MODULES) == files, (
        "a chapter module is missing from CHAPTER_MODULES in mcgan_lib/chapters/__init__.py"
    )
    notebooks = {path.stem for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}
    for module in CHAPTER_MODULES:
        stem = module.__name__.rpartition(".")[2]
        assert re.fullmatch(r"ch\d\d_\w+", stem) and module.CHAPTER == stem[2:], (stem, module.CHAPTER)
        assert module.CHAPTER in notebooks, f"{stem} names no notebook: {module.CHAPTER}.ipynb"
        assert isinstance(module.CLAIMS, tuple) and callable(module.sweeps)
    assert list(CHAPTERS) == [module.CHAPTER for module in CHAPTER_MODULES]
    assert set(CHAPTER_CLAIMS) == {module.CHAPTER for module in CHAPTER_MODULES if module.CLAIMS}
