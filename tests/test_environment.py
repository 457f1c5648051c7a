"""environment.yml (conda) and pyproject.toml (pip) must name the same packages and versions."""

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ ;\[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["dev"]
    return {_name(r): r.replace(" ", "") for r in requirements}


def _conda_requirements() -> dict[str, str]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))
    return {_name(r): r.replace(" ", "") for r in pip_section}


def test_environment_yml_and_pyproject_name_the_same_packages_and_pins():
    assert _conda_requirements() == _pyproject_requirements()


def test_torch_and_torchvision_are_pinned_as_a_matching_pair():
    requirements = _pyproject_requirements()
    assert requirements["torch"] == "torch==2.13.0"
    assert requirements["torchvision"] == "torchvision==0.28.0"
    import torch
    import torchvision

    assert torch.__version__.split("+")[0] == "2.13.0"
    assert torchvision.__version__.split("+")[0] == "0.28.0"


def test_ci_runs_the_readme_test_command():
    assert (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1] == "make test"
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
