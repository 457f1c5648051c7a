"""Sphinx configuration of the static book: every chapter notebook, rendered from its stored outputs.

``docs/book/build.py`` lays this folder and ``notebooks/[0-9][0-9]_*.ipynb`` side by side under
``build/book/src`` and runs Sphinx there (``make book``); nothing is ever executed.

The notebooks stay plain Jupyter notebooks: a citation role or an admonition in a notebook cell would
show as raw text in JupyterLab. So what only the book needs is added at build time, to the text Sphinx
reads (the ``source-read`` hook below), never to the files: the notebook a reader downloads from a page
is the one in git, byte for byte. The hook

- drops the "NN · " prefix of a chapter's title: the numbered table of contents gives the number;
- puts a note under the title that the page shows stored outputs, with a download link of the notebook;
- links each item of a chapter's "Further reading" list to its entry on the bibliography page (a
  ``{cite:p}`` role appended to the item, matched on the first author's surname and the year), and warns,
  which fails the build, when an item has no entry in ``references.bib``;
- replaces each widget output (alive only with a kernel) by what the widget showed when the notebook was
  saved, the figure and text of its output area, followed by a note that the control is live in
  JupyterLab and which setting the figure shows;
- folds the code cells that JupyterLab shows folded (``source_hidden``).

MathJax is served from the book itself (``_static/mathjax``, copied from the ``django-static-mathjax``
package, a plain copy of MathJax 3 with no Django code), so equations render offline. Its SVG output needs
no web fonts, which a browser may refuse to load from ``file://`` pages.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
from pathlib import Path

from sphinx.util import logging
from sphinx.util.fileutil import copy_asset

logger = logging.getLogger(__name__)

project = "mcgan: mode collapse in GANs"
author = "the mcgan authors"
html_title = "Mode collapse in GANs"
html_show_copyright = False

extensions = ["myst_nb", "sphinxcontrib.bibtex"]
root_doc = "index"
exclude_patterns = ["**.ipynb_checkpoints"]

# Notebooks: stored outputs only, and no widget JavaScript from a CDN (the hook shows stored figures).
nb_execution_mode = "off"
nb_ipywidgets_js = {}
nb_merge_streams = True
nb_render_markdown_format = "myst"  # markdown printed by a cell may hold $...$, as JupyterLab renders it
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_dmath_double_inline = True  # JupyterLab typesets $$...$$ inside a paragraph too
myst_heading_anchors = 3

bibtex_bibfiles = ["references.bib"]
bibtex_default_style = "plain"
bibtex_reference_style = "author_year"

html_theme = "sphinx_book_theme"
html_static_path = ["_static"]
html_css_files = ["book.css"]
html_sourcelink_suffix = ""  # the download button serves `_sources/<chapter>.ipynb`, the notebook itself
html_theme_options = {
    "use_download_button": True,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
}

MATHJAX_PACKAGE_DIR = "static/mathjax/es5"  # inside the `mathjax` module of django-static-mathjax
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-svg.js"


def local_mathjax() -> Path | None:
    """The folder of MathJax 3's browser bundles (``tex-svg.js`` and the extensions it loads), or None."""
    spec = importlib.util.find_spec("mathjax")
    for location in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(location) / MATHJAX_PACKAGE_DIR
        if (folder / "tex-svg.js").is_file():
            return folder
    return None


MATHJAX_DIR = local_mathjax()
mathjax_path = "mathjax/tex-svg.js" if MATHJAX_DIR else MATHJAX_CDN

CHAPTER_TITLE = re.compile(r"^#\s+\d+\s*·\s*", re.MULTILINE)
FURTHER_READING = re.compile(r"^##\s+Further reading", re.IGNORECASE)
FIRST_AUTHOR = re.compile(r"^\s*[-*]\s+(?:[A-Z][a-z]?\.[\s-]*)+([^\s,.]+)")
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
BUTTONS = {"ButtonModel", "ToggleButtonModel"}


def bibliography_keys(bibfile: Path) -> dict[tuple[str, str], str]:
    """(first author's surname, year) -> BibTeX key, for every entry of ``bibfile``."""
    from pybtex.database import parse_file

    keys = {}
    for key, entry in parse_file(str(bibfile)).entries.items():
        surname = " ".join(entry.persons["author"][0].last_names)
        keys[(re.sub(r"[{}\\']", "", surname), entry.fields["year"])] = key
    return keys


def cite_further_reading(source: str, keys: dict, docname: str) -> str:
    """Append ``{cite:p}`key``` to each item of a "Further reading" list."""
    lines = []
    for line in source.splitlines():
        author, years = FIRST_AUTHOR.match(line), YEAR.findall(line)
        if author and years:
            key = keys.get((author.group(1), years[-1]))
            if key:
                line = f"{line.rstrip()} {{cite:p}}`{key}`"
            else:
                logger.warning(
                    f"further-reading item has no entry in references.bib (first author {author.group(1)!r}, "
                    f"year {years[-1]}): {line.strip()!r}",
                    location=docname,
                )
        lines.append(line)
    return "\n".join(lines)


def widget_control(model: dict) -> str | None:
    """'description = value' for a control that holds a value (a slider, a dropdown, a text box)."""
    state = model["state"]
    if "_options_labels" in state and state.get("index") is not None:
        value = state["_options_labels"][state["index"]]
    elif "value" in state and model["model_name"] not in {"HTMLModel", "LabelModel", "ImageModel"}:
        value = state["value"]
    else:
        return None
    return f"{state.get('description') or model['model_name'].removesuffix('Model')} = {value}"


def stored_view(state: dict, model_id: str, outputs: list, controls: list, buttons: list) -> None:
    """Walk a saved widget tree: collect what its output areas and images showed, its controls, its buttons."""
    model = state.get(model_id)
    if model is None:
        return
    name, fields = model["model_name"], model["state"]
    if name == "OutputModel":
        outputs.extend(copy.deepcopy(fields.get("outputs", [])))
    elif name == "ImageModel":
        for buffer in model.get("buffers", []):
            if buffer.get("path") == ["value"] and buffer.get("encoding") == "base64" and buffer.get("data"):
                image = {f"image/{fields.get('format', 'png')}": buffer["data"], "text/plain": "<image>"}
                outputs.append({"output_type": "display_data", "data": image, "metadata": {}})
    elif name in BUTTONS:
        buttons.append(fields.get("description") or "button")
    elif (control := widget_control(model)) is not None:
        controls.append(control)
    for child in fields.get("children", []):
        stored_view(state, child.removeprefix("IPY_MODEL_"), outputs, controls, buttons)


def widget_note(controls: list, buttons: list, shown: bool) -> str:
    """The note placed after a widget cell: the control is live in JupyterLab, and what the page shows."""
    names = [control.split(" = ")[0] for control in controls] + buttons
    what = f" ({', '.join(names)})" if names else ""
    if shown and controls:
        showing = f"This page shows the output stored with the notebook, for {', '.join(controls)}."
    elif shown:
        showing = "This page shows the output stored with the notebook."
    else:
        showing = "This page shows nothing for it: the widget and its output appear when the cell runs."
    return (
        "```{admonition} Live in JupyterLab\n:class: note widget-note\n"
        f"The controls of this cell{what} run only in JupyterLab, with a Python kernel. {showing} "
        "Open the notebook in JupyterLab (`make lab`) to use them.\n```"
    )


def has_widgets(cells: list) -> bool:
    """Whether any of ``cells`` shows a widget among its outputs."""
    return any(WIDGET_VIEW in output.get("data", {}) for cell in cells for output in cell.get("outputs", []))


def freeze_widgets(notebook: dict) -> None:
    """Replace each widget output by its saved output areas, and add a note after its cell."""
    state = notebook.get("metadata", {}).pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    cells = []
    for cell in notebook["cells"]:
        cells.append(cell)
        if not has_widgets([cell]):
            continue
        outputs, controls, buttons = [], [], []
        for output in cell["outputs"]:
            if WIDGET_VIEW in output.get("data", {}):
                stored_view(state, output["data"][WIDGET_VIEW]["model_id"], outputs, controls, buttons)
            else:
                outputs.append(output)
        cell["outputs"] = outputs
        note = widget_note(controls, buttons, shown=bool(outputs))
        note_id = f"{cell.get('id', len(cells))}-note"
        cells.append({"cell_type": "markdown", "id": note_id, "metadata": {}, "source": note})
    notebook["cells"] = cells


def chapter_banner(filename: str, widgets: bool) -> str:
    """The note under a chapter's title: what the page shows, and where to get and run the notebook."""
    run = "run its cells and use its controls" if widgets else "run its cells"
    return (
        "```{admonition} Read here, run in JupyterLab\n:class: tip chapter-source\n"
        f"This page shows the notebook `{filename}` with the outputs stored in it; nothing was run to build "
        f"it. {{download}}`Download the notebook <{filename}>` and open it in JupyterLab (`make lab`) to {run}.\n```"
    )


def prepare_chapter(notebook: dict, filename: str, keys: dict, docname: str) -> dict:
    """The book's reading of a chapter notebook (see the module docstring); ``notebook`` is left as it was."""
    notebook = copy.deepcopy(notebook)
    for cell in notebook["cells"]:
        if isinstance(cell["source"], list):
            cell["source"] = "".join(cell["source"])
    markdown = [cell for cell in notebook["cells"] if cell["cell_type"] == "markdown"]
    if markdown and CHAPTER_TITLE.search(markdown[0]["source"]):
        title, _, rest = CHAPTER_TITLE.sub("# ", markdown[0]["source"], count=1).partition("\n")
        banner = chapter_banner(filename, has_widgets(notebook["cells"]))
        markdown[0]["source"] = f"{title}\n\n{banner}\n{rest}"
    for cell in markdown:
        if FURTHER_READING.match(cell["source"]):
            cell["source"] = cite_further_reading(cell["source"], keys, docname)
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code" and cell.get("metadata", {}).get("jupyter", {}).get("source_hidden"):
            cell["metadata"].setdefault("tags", []).append("hide-input")
    freeze_widgets(notebook)
    return notebook


def drop_empty_globs(source: str, srcdir: Path) -> str:
    """Leave out toctree globs that match no notebook yet (chapters 10-99): Sphinx warns on them."""
    globs = re.compile(r"^(notebooks/\S*[*?[]\S*)$", re.MULTILINE)
    return globs.sub(lambda line: line[0] if any(srcdir.glob(line[0] + ".ipynb")) else "", source)


def on_source_read(app, docname: str, source: list) -> None:
    path = Path(app.env.doc2path(docname))
    if docname == root_doc:
        source[0] = drop_empty_globs(source[0], Path(app.srcdir))
    if path.suffix != ".ipynb":
        return
    bibfile = Path(app.srcdir) / bibtex_bibfiles[0]
    for dependency in (bibfile, Path(__file__)):  # a chapter is read again when either changes
        app.env.note_dependency(str(dependency))
    keys = bibliography_keys(bibfile)
    source[0] = json.dumps(prepare_chapter(json.loads(source[0]), path.name, keys, docname))


def copy_mathjax(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        copy_asset(str(MATHJAX_DIR), str(Path(app.outdir) / "_static" / "mathjax"), force=True)


def setup(app):
    app.connect("source-read", on_source_read)
    if MATHJAX_DIR:
        app.connect("build-finished", copy_mathjax)
    else:
        logger.info(
            "\nNOTE: django-static-mathjax is not installed (pip install -e '.[dev]'), so the book loads MathJax "
            f"from {MATHJAX_CDN}: its equations render only with a network connection.\n"
        )
    return {"parallel_read_safe": True, "parallel_write_safe": True}
