"""The library's layers, read from the source with ``ast``.

A regularizer holds losses and the small object the training loop calls; it may import only the
adversarial losses, the networks, the regularizer interface, the Batch type and the argument checks.
Training loops and fitting (which import the loop) live in ``experiments``. No module reaches into
torch's private ``torch._C``.
"""

import ast
from pathlib import Path

import pytest

import mcgan_lib

LIBRARY = Path(mcgan_lib.__file__).parent
REGULARIZERS = LIBRARY / "regularizers"

ALLOWED_IN_REGULARIZERS = (
    "mcgan_lib.losses",
    "mcgan_lib.nets",
    "mcgan_lib.regularizers.base",
    "mcgan_lib.data.base",
    "mcgan_lib.validation",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(LIBRARY.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, name: str, is_package: bool = False) -> list[tuple[int, str]]:
    """Every module imported anywhere in ``source`` (module level, functions, classes), as
    (line, absolute name); ``from a import b`` gives ``a.b`` (b may be a submodule)."""
    package = name if is_package else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
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


def allowed(module: str, importer: str) -> bool:
    if not module.startswith("mcgan_lib") and module != "<dynamic import>":
        return True  # torch, the standard library
    if importer == "mcgan_lib.regularizers" and module.startswith("mcgan_lib.regularizers."):
        return True  # the package's __init__ re-exports its modules
    return any(module == prefix or module.startswith(prefix + ".") for prefix in ALLOWED_IN_REGULARIZERS)


def forbidden_imports(source: str, name: str, is_package: bool = False) -> list[str]:
    return [
        f"{name}:{line} imports {module}"
        for line, module in imported_modules(source, name, is_package)
        if not allowed(module, name)
    ]


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
