"""What every chapter holds besides its code: exercises with folded solutions, and further reading."""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_there_are_chapters():
    assert len(NOTEBOOKS) >= 9


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_chapter_ends_with_exercises_folded_solutions_and_further_reading(path):
    cells = json.loads(path.read_text())["cells"]
    sources = ["".join(cell["source"]) for cell in cells]
    starts = [i for i, s in enumerate(sources) if cells[i]["cell_type"] == "markdown" and s.startswith("## Exercises")]
    assert len(starts) == 1, "one '## Exercises' section"
    exercises = sources[starts[0]]
    numbered = re.findall(r"^(\d+)\. ", exercises, flags=re.MULTILINE)
    assert 3 <= len(numbered) <= 6 and numbered == [str(i) for i in range(1, len(numbered) + 1)]
    solutions = [
        i for i in range(starts[0] + 1, len(cells)) if "solution" in cells[i].get("metadata", {}).get("tags", [])
    ]
    assert solutions, "solutions follow the exercises"
    for i in solutions:  # folded: a <details> block in markdown (JupyterLab and HTML), a hidden source in code
        if cells[i]["cell_type"] == "markdown":
            assert "<details>" in sources[i] and "</details>" in sources[i], f"cell {i} is folded"
        else:
            assert cells[i]["metadata"].get("jupyter", {}).get("source_hidden") is True, f"cell {i} is collapsed"
    assert sources[solutions[0]].startswith("### Solutions")
    reading = [s for s in sources[starts[0] :] if s.startswith("## Further reading")]
    assert reading and len(re.findall(r"^- .+\. .+\d{4}", reading[0], flags=re.MULTILINE)) >= 1
