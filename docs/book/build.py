"""Build the static HTML book: ``python docs/book/build.py [--out build/book]`` (what ``make book`` runs).

Sphinx reads its sources from one folder, and the chapters live in ``notebooks/``, so this lays the
book's sources (this folder, the course guide ``docs/course.md`` and ``docs/full_size.md``) and every
chapter notebook (``notebooks/[0-9][0-9]_*.ipynb``: new chapters join by their name) side by side under
``OUT/src``, then builds ``OUT/html`` with warnings as errors.
Only files whose content changed are copied again, so a rebuild reads only the chapters that changed.
Nothing is executed: the pages show the outputs stored in the notebooks.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import time
from pathlib import Path

BOOK = Path(__file__).resolve().parent
ROOT = BOOK.parents[1]
CHAPTERS = "[0-9][0-9]_*.ipynb"
NOT_SOURCES = {"build.py", "__pycache__"}
DOCS_PAGES = (ROOT / "docs" / "course.md", ROOT / "docs" / "full_size.md")  # pages of the book kept in docs/


def sync(sources: list[Path], folder: Path, keep: frozenset[str] = frozenset()) -> None:
    """Make ``folder`` hold exactly ``sources`` (files or folders) and ``keep``; copy what differs."""
    folder.mkdir(parents=True, exist_ok=True)
    names = {source.name for source in sources} | keep
    for stale in folder.iterdir():
        if stale.name not in names:
            shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    for source in sources:
        target = folder / source.name
        if source.is_dir():
            sync(sorted(source.iterdir()), target)
        elif not target.is_file() or not filecmp.cmp(source, target, shallow=False):
            shutil.copyfile(source, target)  # a fresh modification time: Sphinx reads it again


def stage(source_folder: Path) -> None:
    """Lay the book's sources, its pages kept elsewhere in ``docs/`` and the chapter notebooks under
    ``source_folder``."""
    book = [path for path in sorted(BOOK.iterdir()) if path.name not in NOT_SOURCES] + list(DOCS_PAGES)
    sync(book, source_folder, keep=frozenset({"notebooks"}))
    sync(sorted((ROOT / "notebooks").glob(CHAPTERS)), source_folder / "notebooks")


def build(out: Path, jobs: str = "auto") -> int:
    """Stage the sources under ``out/src`` and build ``out/html``; returns Sphinx's exit status."""
    from sphinx.cmd.build import build_main

    out = out.resolve()
    stage(out / "src")
    arguments = ["-W", "--keep-going", "-n", "-q", "-b", "html", "-j", jobs, "-d", str(out / "doctrees")]
    return build_main([*arguments, str(out / "src"), str(out / "html")])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "book", help="build folder (default build/book)")
    parser.add_argument("--jobs", default="auto", help="Sphinx's -j: processes that read the notebooks")
    arguments = parser.parse_args(argv)
    began = time.time()
    status = build(arguments.out, arguments.jobs)
    if status == 0:
        index = arguments.out.resolve() / "html" / "index.html"
        print(f"built the book in {time.time() - began:.0f} s: open file://{index}")
    return status


if __name__ == "__main__":
    sys.exit(main())
