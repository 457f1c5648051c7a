"""The static HTML book (``make book``): built from the notebooks' stored outputs, read offline.

A fresh build goes to a temporary folder (``docs/book/build.py --out``, as ``make book`` runs it, with
warnings as errors). Without a browser the test checks that every chapter has a page whose download is
its notebook, unchanged, that nothing is loaded from the network, and that the chapters link their
further reading to the bibliography. In headless Chromium (Debian's ``chromium`` and ``chromium-driver``,
as for ``tests/test_browser.py``; skipped with that reason without them) it opens the pages through
``file://`` URLs, as a reader on a train would, waits for MathJax, and checks that the equations were
typeset, that every figure loaded, and that the widget cells show their stored figure and the note that
their controls are live in JupyterLab. Screenshots go to ``build/screenshots/book_*.png``.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_browser import CHROMEDRIVER, CHROMIUM, SCREENSHOTS
from test_browser import browser as browser  # the same headless Chromium fixture, for the page tests

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CORE_PAPERS = (  # titles as the bibliography prints them (BibTeX's sentence case)
    "Mode seeking generative adversarial networks for diverse image synthesis",
    "Mode regularized generative adversarial networks",
    "Harmonizing maximum likelihood with GANs for multimodal conditional generation",
    "Hierarchical modes exploring in generative adversarial networks",
)
needs_chromium = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="the book's pages are read in Chromium with chromedriver (Debian: apt-get install chromium chromium-driver)",
)


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    """A fresh build of the book, as ``make book`` runs it; returns its html folder."""
    out = tmp_path_factory.mktemp("book")
    began = time.time()
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "book" / "build.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == 0, f"the book did not build:\n{(result.stdout + result.stderr)[-5000:]}"
    print(f"book built in {time.time() - began:.1f} s")
    return out / "html"


def load_conf():
    spec = importlib.util.spec_from_file_location("book_conf", ROOT / "docs" / "book" / "conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return conf


def test_a_widget_output_becomes_its_stored_figure_and_a_note():
    conf = load_conf()
    view = {"model_id": "box", "version_major": 2, "version_minor": 0}
    figure = {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}}
    state = {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_lam", "IPY_MODEL_go", "IPY_MODEL_out"]}},
        "lam": {
            "model_name": "SelectionSliderModel",
            "state": {"description": "λ", "_options_labels": ["0", "1"], "index": 1},
        },
        "go": {"model_name": "ButtonModel", "state": {"description": "Train"}},
        "out": {"model_name": "OutputModel", "state": {"outputs": [figure]}},
    }
    notebook = {
        "metadata": {"widgets": {conf.WIDGET_STATE: {"state": state}}},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# 04 · Mode seeking"},
            {
                "cell_type": "code",
                "id": "c1",
                "metadata": {},
                "source": "w",
                "outputs": [{"output_type": "display_data", "data": {conf.WIDGET_VIEW: view, "text/plain": "VBox()"}}],
            },
            {
                "cell_type": "markdown",
                "metadata": {},
                "source": "## Further reading\n\n- Q. Mao, H.-Y. Lee. *MSGAN*. CVPR 2019.",
            },
        ],
    }
    book = conf.prepare_chapter(notebook, "04_mode_seeking.ipynb", {("Mao", "2019"): "mao2019msgan"}, "04")
    title, code, note, reading = book["cells"]
    assert title["source"].startswith("# Mode seeking\n") and "{download}`" in title["source"]
    assert code["outputs"] == [figure]
    assert "widget-note" in note["source"] and "(λ, Train)" in note["source"] and "for λ = 1." in note["source"]
    assert reading["source"].endswith("CVPR 2019. {cite:p}`mao2019msgan`")
    assert "widgets" not in book["metadata"] and "widgets" in notebook["metadata"]  # the input is left as it was


def test_every_chapter_has_a_page_whose_download_is_its_notebook(book):
    assert CHAPTERS, "no chapter notebooks found"
    index = (book / "index.html").read_text()
    for chapter in CHAPTERS:
        page = book / "notebooks" / f"{chapter.stem}.html"
        assert page.is_file(), f"{chapter.name} has no page"
        assert f'href="notebooks/{chapter.stem}.html"' in index, f"{chapter.name} is not in the table of contents"
        assert f'href="../_sources/notebooks/{chapter.name}"' in page.read_text(), f"{page.name}: no download button"
        assert (book / "_sources" / "notebooks" / chapter.name).read_bytes() == chapter.read_bytes()
        downloads = list((book / "_downloads").glob(f"*/{chapter.name}"))
        assert downloads and downloads[0].read_bytes() == chapter.read_bytes(), f"{page.name}: no download link"


def test_pages_load_nothing_from_the_network(book):
    pages = [book / "index.html", book / "bibliography.html", *sorted((book / "notebooks").glob("*.html"))]
    if "cdn.jsdelivr.net/npm/mathjax" in (book / "index.html").read_text():
        pytest.skip("django-static-mathjax is not installed: the pages load MathJax from a CDN (pip install -e .[dev])")
    assert (book / "_static" / "mathjax" / "tex-svg.js").is_file()
    for page in pages:
        remote = re.findall(r'<(?:script|link)\b[^>]*(?:src|href)="(https?://[^"]+)"', page.read_text())
        assert remote == [], f"{page.name} loads {remote}"


def test_each_further_reading_item_links_to_the_bibliography(book):
    for chapter in CHAPTERS:
        html = (book / "notebooks" / f"{chapter.stem}.html").read_text()
        section = html.partition('<section id="further-reading">')[2]
        if not section:
            continue
        items = re.findall(r"<li>.*?</li>", section.partition("</section>")[0], re.DOTALL)
        assert items, f"{chapter.name}: an empty further-reading list"
        for item in items:
            assert 'href="../bibliography.html#' in item, f"{chapter.name}: an item with no citation: {item[:200]}"


WAIT_FOR_MATHJAX = (  # true once MathJax has typeset the page, "none" on a page without equations
    "const done = arguments[arguments.length - 1];"
    "if (!document.querySelector('script[src*=\"mathjax\"]')) return done('none');"
    "const wait = () => (window.MathJax && MathJax.startup && MathJax.startup.promise)"
    "  ? MathJax.startup.promise.then(() => done(true), error => done(String(error)))"
    "  : setTimeout(wait, 100);"
    "wait();"
)
PROSE = (  # the page's text outside code, with typeset equations left out
    "const article = document.querySelector('article').cloneNode(true);"
    "article.querySelectorAll('pre, code, mjx-container, script').forEach(e => e.remove());"
    "return article.innerText;"
)
FIGURES = (  # load every figure now (some are lazy) and list those that did not load
    "const images = [...document.querySelectorAll('article img')];"
    "images.forEach(image => image.loading = 'eager');"
    "return [images.length, images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(-80))];"
)


def open_page(driver, page: Path) -> bool:
    """Open ``page`` and wait for MathJax; returns whether the page has equations."""
    if "cdn.jsdelivr.net/npm/mathjax" in page.read_text():
        pytest.skip("django-static-mathjax is not installed: the pages load MathJax from a CDN, out of reach here")
    driver.get(page.as_uri())
    typeset = driver.execute_async_script(WAIT_FOR_MATHJAX)
    assert typeset in (True, "none"), f"MathJax failed on {page.name}: {typeset}"
    return typeset is True


def check_typeset(driver, page: Path) -> int:
    """Assert every equation was typeset and every figure loaded; returns the number of figures."""
    untypeset = driver.execute_script(  # Sphinx's math elements that hold no typeset equation
        "return [...document.querySelectorAll('article .math')].filter(m => !m.querySelector('mjx-container'))"
        ".map(m => m.innerText.slice(0, 80));"
    )
    assert untypeset == [], f"{page.name}: equations left as TeX: {untypeset[:3]}"
    prose = driver.execute_script(PROSE)
    for raw in ("$$", "\\(", "\\[", "\\begin{"):
        assert raw not in prose, f"{page.name}: raw TeX {raw!r} left in: ...{prose[prose.find(raw) - 80 :][:200]}"
    assert not re.search(r"\$[^$\s][^$\n]*\$", prose), f"{page.name}: an unrendered $...$"
    assert driver.execute_script("return document.querySelectorAll('mjx-merror').length;") == 0, page.name
    deadline = time.time() + 20
    while (found := driver.execute_script(FIGURES))[1] and time.time() < deadline:
        time.sleep(0.25)
    figures, broken = found
    assert broken == [], f"{page.name}: figures that did not load: {broken}"
    return figures


def screenshot(driver, name: str, selector: str | None = None) -> None:
    if selector:
        driver.execute_script(
            "const e = document.querySelector(arguments[0]); e.scrollIntoView({block: 'center'});", selector
        )
        time.sleep(0.2)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / name))


@needs_chromium
@pytest.mark.browser
def test_index_shows_its_equation_and_the_numbered_chapters(book, browser):
    assert open_page(browser, book / "index.html")
    check_typeset(browser, book / "index.html")
    assert browser.execute_script("return document.querySelectorAll('article mjx-container').length;") >= 1
    numbered = browser.execute_script(
        "return [...document.querySelectorAll('article .toctree-l1 a')].map(a => a.innerText);"
    )
    assert any(title.startswith("4. Mode seeking") for title in numbered), numbered
    screenshot(browser, "book_index.png")


@needs_chromium
@pytest.mark.browser
def test_chapter_04_equations_figures_widget_notes_download_and_citations(book, browser):
    page = book / "notebooks" / "04_mode_seeking.html"
    assert open_page(browser, page)
    screenshot(browser, "book_04_mode_seeking.png")
    assert check_typeset(browser, page) >= 3
    assert browser.execute_script("return document.querySelectorAll('article mjx-container').length;") >= 5

    downloads = browser.execute_script(
        "return [...document.querySelectorAll('a')].map(a => a.href).filter(h => h.endsWith('.ipynb'));"
    )
    assert any(h.endswith("_sources/notebooks/04_mode_seeking.ipynb") for h in downloads), downloads
    assert any("/_downloads/" in h for h in downloads), downloads

    notes = browser.execute_script(
        "return [...document.querySelectorAll('.widget-note')].map(n => {"
        "  const cell = n.previousElementSibling;"
        "  const image = cell && cell.querySelector('.cell_output img');"
        "  return [n.innerText, n.getBoundingClientRect().height, !!(image && image.naturalWidth > 0)]; });"
    )
    assert len(notes) >= 1, "no note after the widget cells"
    for text, height, _ in notes:
        assert "JupyterLab" in text and height > 0, text
    assert notes[0][2], "the first slider cell shows no stored figure above its note"
    screenshot(browser, "book_04_widget_note.png", ".widget-note")

    screenshot(browser, "book_04_further_reading.png", "#further-reading")
    citation = browser.execute_script(
        "const a = document.querySelector('#further-reading a[href*=\"bibliography.html#\"]'); return a && a.href;"
    )
    assert citation, "chapter 04 does not link to the bibliography"
    browser.get(citation)
    text = browser.execute_script("return document.querySelector('article').innerText;")
    for title in CORE_PAPERS:
        assert title in text, f"the bibliography does not list {title!r}"
    target = browser.execute_script("return location.hash && document.querySelector(location.hash).innerText;")
    assert "Mode seeking" in target, target
    screenshot(browser, "book_bibliography.png")


@needs_chromium
@pytest.mark.browser
def test_every_page_typesets_its_equations_and_loads_its_figures(book, browser):
    for page in [book / "bibliography.html", *sorted((book / "notebooks").glob("*.html"))]:
        open_page(browser, page)
        check_typeset(browser, page)
