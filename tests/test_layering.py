"""The library's layers, read from the source with ``ast`` and from ``docs/architecture.md`` itself.

The layer table of the architecture document (``layer | modules | may import``) and its list of allowed
exceptions are parsed from the file, so the document and this test cannot disagree: every module of
``mcgan_lib`` is placed in exactly one layer, and every import (module level, in functions, in classes)
goes to a layer its row allows, or is a listed exception. A regularizer's narrower rule, read from the
same table, allows only the adversarial losses, the networks, the regularizer interface, the Batch type
and the argument checks: training loops and fitting (which import the loop) live in ``experiments``.
The import graph has no cycles, and no module reaches into torch's private ``torch._C``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import mcgan_lib

LIBRARY = Path(mcgan_lib.__file__).parent
REGULARIZERS = LIBRARY / "regularizers"
ARCHITECTURE = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"

TABLE_HEADER = "| layer | modules | may import |"
# A module in the modules column: `name`, `pkg/` (the package and everything in it) or `pkg/name`.
# Other backticked text there (`ToySetup`, `tasks.make_task`, `train --task ...`) describes, and is skipped.
MODULE_ENTRY = re.compile(r"[a-z_]+(?:/[a-z_]+)*/?")
LAYER_RANGE = re.compile(r"\blayers? (\d+)(?:\s*[–-]\s*(\d+))?")
EXCEPTION_LINE = re.compile(r"- `(mcgan_lib(?:\.\w+)*)` -> `(mcgan_lib(?:\.\w+)*)`")
REGULARIZER_RULE = re.compile(r"a regularizer imports only (.+?)(?:—|$)")


# --------------------------------------------------------------------------------------- the source
def module_name(path: Path) -> str:
    parts = path.relative_to(LIBRARY.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(LIBRARY.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _nodes(tree: ast.AST, type_checking: bool):
    """Every node below ``tree``; without the bodies of ``if TYPE_CHECKING:`` when ``type_checking`` is False."""
    for child in ast.iter_child_nodes(tree):
        if not type_checking and isinstance(child, ast.If) and _is_type_checking(child.test):
            for node in child.orelse:
                yield node
                yield from _nodes(node, type_checking)
            continue
        yield child
        yield from _nodes(child, type_checking)


def imported_modules(
    source: str, name: str, is_package: bool = False, type_checking: bool = True
) -> list[tuple[int, str]]:
    """Every module imported anywhere in ``source`` (module level, functions, classes), as
    (line, absolute name); ``from a import b`` gives ``a.b`` (b may be a submodule). With
    ``type_checking=False``, imports under ``if TYPE_CHECKING:`` (annotations only) are left out."""
    package = name if is_package else name.rpartition(".")[0]
    found = []
    for node in _nodes(ast.parse(source), type_checking):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) in (
            "import_module",
            "__import__",
        ):
            found.append((node.lineno, "<dynamic import>"))
    return found


def owning_module(target: str, modules=MODULES) -> str:
    """The library module that ``target`` (a module, or an object inside one) lives in: its longest prefix
    that is a module (``mcgan_lib.experiments.PLAIN_GAN_SETUP`` -> ``mcgan_lib.experiments``)."""
    parts = target.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return target


def is_library(target: str) -> bool:
    return target == "mcgan_lib" or target.startswith("mcgan_lib.") or target == "<dynamic import>"


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


# ------------------------------------------------------------------------------------- the document
@dataclass(frozen=True)
class Layer:
    number: int
    title: str
    entries: tuple[str, ...]  # as written: `sweeps`, `data/`, `experiments/toy`, `__init__`
    may_import: frozenset[int]
    rule: str  # the "may import" cell as written

    def places(self, module: str) -> bool:
        return any(entry_matches(entry, module) for entry in self.entries)


def entry_module(entry: str) -> str:
    """``sweeps`` -> ``mcgan_lib.sweeps``; ``data/`` -> ``mcgan_lib.data``; ``__init__`` -> ``mcgan_lib``."""
    if entry == "__init__":
        return "mcgan_lib"
    return ".".join(["mcgan_lib", *entry.rstrip("/").split("/")])


def entry_matches(entry: str, module: str) -> bool:
    base = entry_module(entry)
    return module == base or (entry.endswith("/") and module.startswith(base + "."))


def entry_exists(entry: str) -> bool:
    """``pkg/`` must be a package, ``name`` and ``pkg/name`` a module file (``__init__``: the package root)."""
    if entry == "__init__":
        return True
    relative = Path(*entry.rstrip("/").split("/"))
    if entry.endswith("/"):
        return (LIBRARY / relative / "__init__.py").is_file()
    return relative.name != "__init__" and (LIBRARY / relative).with_suffix(".py").is_file()


def parse_may_import(cell: str, own: int, all_layers: frozenset[int]) -> frozenset[int]:
    """A "may import" cell as layer numbers: "layers 0–3 and each other" -> {0, 1, 2, 3, own}, "everything"
    -> every layer; torch and the standard library are always allowed and not named here."""
    if "everything" in cell:
        return all_layers
    allowed = set()
    for first, last in LAYER_RANGE.findall(cell):
        allowed.update(range(int(first), int(last or first) + 1))
    if "each other" in cell:
        allowed.add(own)
    return frozenset(allowed)


def table_rows(text: str) -> list[list[str]]:
    lines = text.splitlines()
    start = lines.index(TABLE_HEADER)
    rows = []
    for line in lines[start + 2 :]:  # past the header and the |---| line
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def parse_layers(text: str) -> list[Layer]:
    rows = table_rows(text)
    numbers = [int(re.match(r"(\d+)\.", row[0]).group(1)) for row in rows]
    all_layers = frozenset(numbers)
    layers = []
    for number, (title, modules, may_import) in zip(numbers, rows):
        entries = tuple(token for token in re.findall(r"`([^`]+)`", modules) if MODULE_ENTRY.fullmatch(token))
        layers.append(Layer(number, title, entries, parse_may_import(may_import, number, all_layers), may_import))
    return layers


def parse_exceptions(text: str) -> list[tuple[str, str]]:
    """The bullets after "Allowed exceptions" below the table: (importer, imported module) pairs; none when
    that paragraph says "...): none"."""
    after_table = text[text.index(TABLE_HEADER) :]
    heading, block = after_table[after_table.index("Allowed exceptions") :].split("\n\n", 2)[:2]
    if re.search(r"\):\s*none\b", heading):
        return []
    pairs = []
    for line in block.splitlines():
        match = EXCEPTION_LINE.match(line)
        assert match, f"an allowed exception must read '- `mcgan_lib.a` -> `mcgan_lib.b` (why)', got: {line!r}"
        pairs.append((match.group(1), match.group(2)))
    return pairs


def parse_regularizer_rule(layers: list[Layer]) -> tuple[str, ...]:
    """The modules named in "a regularizer imports only `losses`, ..." of the row that holds ``regularizers/``."""
    (row,) = [layer for layer in layers if "regularizers/" in layer.entries]
    match = REGULARIZER_RULE.search(row.rule)
    assert match, f"the row of regularizers/ states no regularizer rule: {row.rule!r}"
    return tuple(f"mcgan_lib.{name}" for name in re.findall(r"`([\w.]+)`", match.group(1)))


DOCUMENT = ARCHITECTURE.read_text()
LAYERS = parse_layers(DOCUMENT)
EXCEPTIONS = parse_exceptions(DOCUMENT)
ALLOWED_IN_REGULARIZERS = parse_regularizer_rule(LAYERS)


def layers_of(module: str, layers: list[Layer] = LAYERS) -> list[int]:
    return [layer.number for layer in layers if layer.places(module)]


# ---------------------------------------------------------------------------------------- the checks
def against_the_table(module: str, target: str, layers: list[Layer] = LAYERS, modules=MODULES) -> str | None:
    """Why the import of ``target`` by ``module`` breaks the table (None when the table allows it)."""
    if target == "<dynamic import>":
        return "a dynamic import, which no layer rule can check"
    owner = owning_module(target, modules)
    importer_layers, target_layers = layers_of(module, layers), layers_of(owner, layers)
    if len(importer_layers) != 1 or len(target_layers) != 1:
        return f"{owner}, but the table places {module} in layers {importer_layers} and {owner} in {target_layers}"
    importer_layer = next(layer for layer in layers if layer.number == importer_layers[0])
    if target_layers[0] in importer_layer.may_import:
        return None
    allowed = sorted(importer_layer.may_import)
    return f"{owner} (layer {target_layers[0]}; layer {importer_layer.number} may import layers {allowed})"


def is_excepted(module: str, target: str, exceptions=EXCEPTIONS, modules=MODULES) -> bool:
    owner = owning_module(target, modules)
    return any(module == importer and within(owner, imported) for importer, imported in exceptions)


def layer_problems(
    source: str, name: str, is_package: bool = False, layers=LAYERS, exceptions=EXCEPTIONS, modules=MODULES
) -> list[str]:
    problems = []
    for line, target in imported_modules(source, name, is_package):
        if not is_library(target):
            continue  # torch, numpy, the standard library
        reason = against_the_table(name, target, layers, modules)
        if reason and not is_excepted(name, target, exceptions, modules):
            problems.append(f"{name}:{line} imports {reason}")
    return problems


def allowed_in_regularizer(module: str, importer: str) -> bool:
    if not module.startswith("mcgan_lib") and module != "<dynamic import>":
        return True  # torch, the standard library
    if importer == "mcgan_lib.regularizers" and module.startswith("mcgan_lib.regularizers."):
        return True  # the package's __init__ re-exports its modules
    return any(within(module, prefix) for prefix in ALLOWED_IN_REGULARIZERS)


def forbidden_imports(source: str, name: str, is_package: bool = False) -> list[str]:
    return [
        f"{name}:{line} imports {module}"
        for line, module in imported_modules(source, name, is_package)
        if not allowed_in_regularizer(module, name)
    ]


def import_graph(type_checking: bool = False) -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        targets = imported_modules(path.read_text(), name, path.name == "__init__.py", type_checking)
        graph[name] = {owning_module(t) for _, t in targets if is_library(t) and owning_module(t) != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path that ends where it starts, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for successor in sorted(graph.get(node, ())):
            if state.get(successor) == "open":
                return stack[stack.index(successor) :] + [successor]
            if successor not in state:
                cycle = visit(successor)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def private_torch_references(source: str) -> list[int]:
    """Lines that touch ``torch._C``: an attribute ``._C``, ``import torch._C...`` or ``from torch import _C``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "_C":
            lines.append(node.lineno)
        elif isinstance(node, ast.Import) and any(a.name.startswith("torch._C") for a in node.names):
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and (
            (node.module or "").startswith("torch._C")
            or (node.module == "torch" and any(a.name == "_C" for a in node.names))
        ):
            lines.append(node.lineno)
    return lines


# ------------------------------------------------------------------------------------------ the tests
def test_the_document_numbers_its_layers_from_0_each_with_modules_and_a_rule():
    assert [layer.number for layer in LAYERS] == list(range(len(LAYERS))) and len(LAYERS) >= 2
    for layer in LAYERS:
        assert layer.entries, f"layer {layer.number} names no module"
        assert layer.may_import or layer.number == 0, f"layer {layer.number}'s rule names no layer: {layer.rule!r}"
        assert all(below in layer.may_import for below in range(layer.number)), f"layer {layer.number}: {layer.rule}"
    assert LAYERS[-1].may_import == frozenset(range(len(LAYERS)))  # presentation: everything
    assert "mcgan_lib.losses" in ALLOWED_IN_REGULARIZERS and "mcgan_lib.validation" in ALLOWED_IN_REGULARIZERS


def test_every_module_the_table_names_exists():
    missing = [f"{layer.number}: `{entry}`" for layer in LAYERS for entry in layer.entries if not entry_exists(entry)]
    assert not missing, (
        f"docs/architecture.md names modules that do not exist: {missing} (write a module `name`, `pkg/` or "
        "`pkg/name`; write an object dotted, `module.object`)"
    )


def test_every_module_is_placed_in_exactly_one_layer():
    problems = {module: layers_of(module) for module in MODULES if len(layers_of(module)) != 1}
    assert not problems, (
        "every module of mcgan_lib needs exactly one layer in docs/architecture.md's table "
        f"(module: layers that place it): {problems}"
    )


@pytest.mark.parametrize("name", sorted(MODULES), ids=str)
def test_every_module_imports_only_what_its_layer_allows(name):
    path = MODULES[name]
    problems = layer_problems(path.read_text(), name, path.name == "__init__.py")
    assert not problems, (
        "imports against docs/architecture.md's layer table, and not among its allowed exceptions: "
        + "; ".join(problems)
    )


def test_every_allowed_exception_is_still_used_and_breaks_the_table():
    for importer, imported in EXCEPTIONS:
        assert importer in MODULES and imported in MODULES, f"{importer} -> {imported}: no such module"
        path = MODULES[importer]
        used = [
            target
            for _, target in imported_modules(path.read_text(), importer, path.name == "__init__.py")
            if is_library(target) and within(owning_module(target), imported)
        ]
        assert used, f"{importer} no longer imports {imported}: remove the exception from docs/architecture.md"
        assert all(against_the_table(importer, target) for target in used), (
            f"{importer} -> {imported} is allowed by the table itself; it is no exception"
        )


def test_the_import_graph_has_no_cycles():
    cycle = find_cycle(import_graph(type_checking=False))
    assert cycle is None, "an import cycle: " + " -> ".join(cycle)


def test_the_cycle_check_finds_a_cycle_and_ignores_type_checking_imports():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from mcgan_lib.data.toy import GaussianMixture\n"
    assert imported_modules(source, "mcgan_lib.metrics.toy", type_checking=False) == [(1, "typing.TYPE_CHECKING")]
    assert (3, "mcgan_lib.data.toy.GaussianMixture") in imported_modules(source, "mcgan_lib.metrics.toy")


def test_the_table_check_catches_an_import_from_above_anywhere_and_honours_only_listed_exceptions():
    in_function = "def f():\n    from mcgan_lib.sweeps import sweep\n"
    assert layer_problems(in_function, "mcgan_lib.data.toy")  # layer 1 -> layer 5
    assert layer_problems("from mcgan_lib.nets.base import generate\n", "mcgan_lib.config")  # 0 -> 1
    assert layer_problems("from mcgan_lib import viz\n", "mcgan_lib.training")  # 4 -> 6, as `from package import`
    assert layer_problems("import importlib\nimportlib.import_module('x')\n", "mcgan_lib.viz")  # unchecked
    # a listed pair data.toy -> metrics.toy is allowed; the same import from another data module is not
    toy_metric = "from mcgan_lib.metrics.toy import evaluate_mixture\n"
    listed = [("mcgan_lib.data.toy", "mcgan_lib.metrics.toy")]
    assert layer_problems(toy_metric, "mcgan_lib.data.toy")
    assert not layer_problems(toy_metric, "mcgan_lib.data.toy", exceptions=listed)
    assert layer_problems(toy_metric, "mcgan_lib.data.digits", exceptions=listed)
    # within a layer that allows "each other", below, and the presentation layer's "everything"
    assert not layer_problems("from mcgan_lib.experiments.toy import ToySetup\n", "mcgan_lib.sweeps")
    assert not layer_problems("from mcgan_lib.data.toy import ring\n", "mcgan_lib.training")
    assert not layer_problems("from mcgan_lib.sweeps import sweep\nimport torch\n", "mcgan_lib.viz")
    assert not layer_problems("from .base import DataSource\n", "mcgan_lib.data.toy")


def test_the_table_parser_reads_modules_rules_and_exceptions_from_markdown():
    text = "\n".join(
        [
            TABLE_HEADER,
            "|---|---|---|",
            "| 0. base | `validation`, `__init__` (the root: `mcgan_lib.__version__`) | torch and each other |",
            "| 1. data | `data/` (sources, `tasks.make_task`, `ToySetup`) | layer 0 |",
            "| 2. top | `sweeps`, `experiments/toy` (`train --task x`) | layers 0–1 and each other |",
            "",
            "Allowed exceptions (importer -> imported module):",
            "",
            "- `mcgan_lib.data.toy` -> `mcgan_lib.sweeps` (why)",
            "",
            "Next paragraph.",
        ]
    )
    base, data, top = parse_layers(text)
    assert base.entries == ("validation", "__init__") and base.may_import == {0}
    assert data.entries == ("data/",) and data.may_import == {0}
    assert top.entries == ("sweeps", "experiments/toy") and top.may_import == {0, 1, 2}
    assert parse_exceptions(text) == [("mcgan_lib.data.toy", "mcgan_lib.sweeps")]
    assert layers_of("mcgan_lib.data.paired", [base, data, top]) == [1]
    none = text.replace("module):\n\n- `mcgan_lib.data.toy`", "module): none.\n\n- `mcgan_lib.data.toy`")
    assert parse_exceptions(none) == []
    assert layers_of("mcgan_lib", [base, data, top]) == [0]
    assert layers_of("mcgan_lib.experiments.images", [base, data, top]) == []  # not placed: the test fails
    assert parse_may_import("everything", 5, frozenset(range(6))) == frozenset(range(6))


@pytest.mark.parametrize("path", sorted(REGULARIZERS.glob("*.py")), ids=lambda p: p.name)
def test_regularizers_import_only_losses_nets_base_batch_and_validation(path):
    problems = forbidden_imports(path.read_text(), module_name(path), is_package=path.name == "__init__.py")
    assert not problems, "a regularizer module imports beyond its layer: " + "; ".join(problems)


def test_the_layer_check_catches_the_training_loop_anywhere_in_a_module():
    name = "mcgan_lib.regularizers.example"
    at_top = "from mcgan_lib.training import Trainer\n"
    in_function = "def fit():\n    from mcgan_lib.training import Trainer\n    return Trainer\n"
    in_method = "class R:\n    def fit(self):\n        import mcgan_lib.experiments.fitting\n"
    relative = "from ..training import Trainer\n"
    from_package = "from mcgan_lib import training\n"
    dynamic = "import importlib\nimportlib.import_module('mcgan_lib.training')\n"
    for source in (at_top, in_function, in_method, relative, from_package, dynamic):
        assert forbidden_imports(source, name), source
    assert forbidden_imports("from mcgan_lib.regularizers.hierarchical import x\n", name)  # no sibling imports
    assert forbidden_imports("from mcgan_lib.metrics.toy import mode_coverage\n", name)  # nor a metric
    fine = "import torch\nfrom mcgan_lib.nets.predictor import MomentPredictor\nfrom .base import Regularizer\n"
    assert not forbidden_imports(fine, name)


@pytest.mark.parametrize("path", sorted(LIBRARY.rglob("*.py")), ids=lambda p: str(p.relative_to(LIBRARY)))
def test_no_module_uses_torch_private_c_api(path):
    lines = private_torch_references(path.read_text())
    assert not lines, f"{module_name(path)} uses torch._C on lines {lines}"


def test_the_private_api_check_catches_each_spelling():
    for source in (
        "import torch\ntorch._C._functorch.is_batchedtensor(x)\n",
        "import torch._C\n",
        "from torch._C import _functorch\n",
        "from torch import _C\n",
    ):
        assert private_torch_references(source), source
    assert not private_torch_references("import torch\ntorch.func.vmap(f)\n")
