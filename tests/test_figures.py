"""Every committed figure reads at a glance, and image mosaics can be drawn at a stated true size.

The size rule decodes every ``image/png`` output stored in ``notebooks/*.ipynb`` (a cell's outputs, and the
figures a widget cell showed when the notebook was saved, kept in the notebook's widget state: what the
static book shows for a slider) and fails, naming the notebook, the cell index (0-based, in the notebook's
cell list) and the size, on a figure narrower than 500 px, shorter than 200 px, or taller than twice its
width.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from mcgan_lib.viz import image_grid, tile_images

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MIN_WIDTH, MIN_HEIGHT, MAX_HEIGHT_PER_WIDTH = 500, 200, 2.0


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def widget_figures(state: dict, model_id: str) -> list:
    """The PNGs that the saved widget ``model_id`` and its children showed in their output areas."""
    model = state.get(model_id)
    if model is None:
        return []
    outputs = model["state"].get("outputs", []) if model["model_name"] == "OutputModel" else []
    pngs = [o["data"]["image/png"] for o in outputs if "image/png" in o.get("data", {})]
    for child in model["state"].get("children", []):
        pngs += widget_figures(state, child.removeprefix("IPY_MODEL_"))
    return pngs


def committed_figures(path: Path):
    """(cell index, where, width, height) of every PNG stored in ``path``: ``where`` is "figure k" for
    the k-th PNG output of the cell, "widget figure k" for one its widget showed when it was saved."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    state = notebook.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for index, cell in enumerate(notebook["cells"]):
        outputs = cell.get("outputs", [])
        figures = [("figure", o["data"]["image/png"]) for o in outputs if "image/png" in o.get("data", {})]
        for output in outputs:
            if WIDGET_VIEW in output.get("data", {}):
                model_id = output["data"][WIDGET_VIEW]["model_id"]
                figures += [("widget figure", png) for png in widget_figures(state, model_id)]
        counts: dict[str, int] = {}
        for kind, png in figures:
            counts[kind] = counts.get(kind, 0) + 1
            data = base64.b64decode(png if isinstance(png, str) else "".join(png))
            width, height = Image.open(io.BytesIO(data)).size
            yield index, f"{kind} {counts[kind]}", width, height


def size_problem(width: int, height: int) -> str | None:
    """Why a ``width`` × ``height`` px figure fails the size rule, or None."""
    if width < MIN_WIDTH:
        return f"narrower than {MIN_WIDTH} px"
    if height < MIN_HEIGHT:
        return f"shorter than {MIN_HEIGHT} px"
    if height > MAX_HEIGHT_PER_WIDTH * width:
        return "taller than twice its width"
    return None


def test_the_rule_names_each_failure():
    assert size_problem(600, 300) is None and size_problem(500, 200) is None and size_problem(500, 1000) is None
    assert "narrower" in size_problem(499, 300)
    assert "shorter" in size_problem(600, 199)
    assert "twice" in size_problem(600, 1201)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_committed_figure_has_a_readable_size(path):
    failures = [
        f"{path.name} cell {index} ({where} of the cell): {width} × {height} px, {problem}"
        for index, where, width, height in committed_figures(path)
        if (problem := size_problem(width, height))
    ]
    assert not failures, "figures that do not read at a glance:\n" + "\n".join(failures)


def test_image_grid_scale_draws_every_pixel_as_a_square_and_states_the_true_size():
    import matplotlib.pyplot as plt

    images = torch.stack([torch.full((1, 8, 8), v) for v in (-1.0, 1.0, 0.0)])  # black, white, grey
    images[0, 0, 2, 5] = 1.0  # one white pixel in the black image
    fig = image_grid({"digits": images}, ncols=3, panel_columns=1, scale=6)
    fig.canvas.draw()
    (ax,) = [a for a in fig.axes if a.images]
    tile = tile_images(images, ncols=3)
    box = ax.get_window_extent()
    assert (round(box.width), round(box.height)) == (tile.shape[1] * 6, tile.shape[0] * 6)  # 6 px a pixel
    assert any("each image 8×8 px, drawn ×6 (nearest neighbour)" in t.get_text() for t in fig.texts)
    # the drawn pixels are the tile repeated 6 × 6 times: no smoothing, no uneven rows or columns
    canvas = np.asarray(fig.canvas.buffer_rgba())[..., 0].astype(float)
    top = canvas.shape[0] - round(box.y1)
    drawn = canvas[top : top + tile.shape[0] * 6, round(box.x0) : round(box.x0) + tile.shape[1] * 6]
    expected = np.repeat(np.repeat(np.round(tile * 255), 6, axis=0), 6, axis=1)
    assert np.abs(drawn - expected).max() <= 1
    plt.close(fig)


def test_image_grid_scale_is_checked_and_optional():
    images = torch.zeros(3, 3, 16, 16)
    with pytest.raises(ValueError, match="scale must be >= 1"):
        image_grid({"a": images}, scale=0)
    with pytest.raises(ValueError, match="scale must be an integer"):
        image_grid({"a": images}, scale=2.5)
    fig = image_grid({"a": images, "b": images}, ncols=3)  # no scale: stretched to >= 600 px, no size line
    assert fig.get_size_inches()[0] * fig.dpi >= 600 and not fig.texts
