"""The textbook as a reader meets it: JupyterLab in headless Chromium, driven by Selenium.

JupyterLab starts on a free loopback port with a token, over a copy of chapters 01, 04 and 05 (so the
repository's notebooks are never written), in quick mode. For each chapter the test runs every cell as a
reader's "Run All" would, checks that no output holds an error, moves a slider and times how long its
figure takes to change, and saves a screenshot under ``build/screenshots/``. In chapter 01 it also
opens the exercises' folded solution (a ``<details>`` block) by its summary and checks that it unfolds,
presses Run in the training panel, checks that the panel's figure advances, and runs other cells while
the panel trains to check that none of them receives a copy of the panel's figure. The measured times go
to ``build/screenshots/browser_timings.json``.

It needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them when it runs as root);
without them it is skipped with that reason, never passed.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
CHAPTERS = ("01_eight_gaussians.ipynb", "04_mode_seeking.ipynb", "05_hierarchical_modes.ipynb")
TIMINGS: dict = {}

pytestmark = [
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER),
        reason="the browser test needs Chromium and chromedriver (Debian: apt-get install chromium chromium-driver)",
    ),
    pytest.mark.browser,
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server over a copy of the chapters, on loopback with a token; yields its base URL."""
    folder = tmp_path_factory.mktemp("lab")
    for name in CHAPTERS:
        shutil.copy(ROOT / "notebooks" / name, folder / name)
    port, token = free_port(), secrets.token_hex(16)
    environment = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    settings = folder / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')  # no news pop-up
    environment.update(
        MCGAN_QUICK="1",
        MCGAN_CACHE_DIR=str(folder / "cache"),
        JUPYTER_CONFIG_DIR=str(folder / "cfg"),
        JUPYTERLAB_SETTINGS_DIR=str(folder / "settings"),
    )
    log = open(folder / "lab.log", "w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            "--LabApp.expose_app_in_browser=True",
            f"--ServerApp.root_dir={folder}",
            "--allow-root",
        ],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        if server.poll() is not None or time.time() > deadline:
            server.kill()
            pytest.fail(f"JupyterLab did not start; its log:\n{(folder / 'lab.log').read_text()[-3000:]}")
        time.sleep(0.5)
    yield base, token
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "browser_timings.json").write_text(json.dumps(TIMINGS, indent=2))


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


def wait_for(condition, timeout: float, what: str, poll: float = 0.25):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


NOTEBOOK = "const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
# The interact boxes of the notebook in front only: a notebook opened by an earlier test stays in the page,
# hidden, and its widgets cannot be focused.
INTERACT_BOXES = NOTEBOOK + "const boxes = panel.node.querySelectorAll('.widget-interact');"


def open_notebook(driver, lab, name: str) -> None:
    base, token = lab
    driver.get(f"{base}/lab/tree/{name}?token={token}")
    wait_for(
        lambda: driver.execute_script(
            NOTEBOOK + "return !!(panel && panel.context && panel.context.path === arguments[0]"
            " && panel.content && panel.content.widgets && panel.content.widgets.length"
            " && panel.sessionContext.session && panel.sessionContext.session.kernel"
            " && panel.sessionContext.session.kernel.status === 'idle');",
            name,
        ),
        120,
        f"{name} to open with an idle kernel",
    )


def run_all(driver, timeout: float) -> float:
    """Clear every output, run every cell, wait until each code cell has run; returns the seconds."""
    driver.execute_script("return window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs');")
    began = time.time()
    driver.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells');")
    pending = (
        NOTEBOOK + "const cells = panel.content.widgets.filter(c => c.model.type === 'code');"
        "const waiting = cells.filter(c => c.model.executionCount === null).length;"
        "return waiting === 0 && panel.sessionContext.session.kernel.status === 'idle';"
    )
    wait_for(lambda: driver.execute_script(pending), timeout, "every cell to run", poll=1.0)
    return time.time() - began


def error_outputs(driver) -> list[str]:
    return driver.execute_script(
        NOTEBOOK + "return panel.content.widgets.filter(c => c.model.type === 'code')"
        ".flatMap((c, i) => c.model.outputs.toJSON().filter(o => o.output_type === 'error')"
        ".map(o => `cell ${i}: ${o.ename}: ${o.evalue}`));"
    )


def interact_figure(driver, index: int):
    """What the ``index``-th interact box shows: its figures and printed text (None while it has no figure)."""
    return driver.execute_script(
        INTERACT_BOXES + "const box = boxes[arguments[0]]; if (!box) return null;"
        "const output = box.querySelector('.widget-output'); if (!output) return null;"
        "const images = [...output.querySelectorAll('img')].map(i => i.src);"
        "return images.length ? images.join('|') + output.innerText : null;",
        index,
    )


def move_slider(driver, index: int) -> float:
    """Press → on the first slider of the ``index``-th interact box; seconds until what it shows changes."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    before = wait_for(lambda: interact_figure(driver, index), 30, f"a figure in interact box {index}")
    box = driver.execute_script(INTERACT_BOXES + "return boxes[arguments[0]];", index)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
    handle = box.find_element(By.CSS_SELECTOR, ".noUi-handle")
    began = time.time()
    handle.send_keys(Keys.ARROW_RIGHT)
    wait_for(lambda: interact_figure(driver, index) not in (None, before), 10, "the figure to change", poll=0.02)
    return time.time() - began


def screenshot(driver, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / name))


def run_chapter(driver, lab, name: str, timeout: float) -> dict:
    open_notebook(driver, lab, name)
    seconds = run_all(driver, timeout)
    screenshot(driver, name.replace(".ipynb", "_after_run_all.png"))
    assert error_outputs(driver) == [], f"{name}: outputs with errors"
    timing = {"run_all_seconds": round(seconds, 1)}
    boxes = driver.execute_script(INTERACT_BOXES + "return boxes.length;")
    assert boxes >= 1, f"{name}: every slider should render as a widget (screenshot in {SCREENSHOTS})"
    timing["slider_seconds"] = [round(move_slider(driver, i), 3) for i in range(boxes)]
    screenshot(driver, name.replace(".ipynb", ".png"))
    TIMINGS[name] = timing
    return timing


SOLUTION = (
    NOTEBOOK + "const cell = panel.content.widgets[arguments[0]];"
    "const details = cell && cell.node.querySelector('details');"
    "if (!details) return null;"
    "const body = [...details.children].find(e => e.tagName !== 'SUMMARY');"
    "return {open: details.open, text: details.innerText.trim(),"
    " bodyShown: !!body && body.checkVisibility() && body.getBoundingClientRect().height > 0};"
)


def unfold_solution(driver) -> tuple[dict, dict]:
    """Click the summary of the first folded solution (a ``<details>`` block in a rendered markdown cell);
    returns what it showed before and after the click."""
    from selenium.webdriver.common.by import By

    index = driver.execute_script(
        NOTEBOOK + "return panel.content.widgets.findIndex(c => c.model.type === 'markdown'"
        " && c.model.sharedModel.getSource().includes('<details>'));"
    )
    assert index >= 0, "the chapter should have a folded solution"
    driver.execute_async_script(
        NOTEBOOK + "const done = arguments[arguments.length - 1];"
        "Promise.resolve(panel.content.scrollToItem(arguments[0], 'center')).then(() => done(), () => done());",
        index,
    )
    before = wait_for(lambda: driver.execute_script(SOLUTION, index), 10, "the folded solution to render")
    cell = driver.execute_script(NOTEBOOK + "return panel.content.widgets[arguments[0]].node;", index)
    summary = cell.find_element(By.CSS_SELECTOR, "details > summary")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", summary)
    summary.click()
    after = wait_for(lambda: (state := driver.execute_script(SOLUTION, index))["open"] and state, 5, "it to unfold")
    return before, after


def test_chapter_01_runs_its_sliders_answer_and_the_training_panel_trains_without_leaking(browser, lab):
    from selenium.webdriver.common.by import By

    timing = run_chapter(browser, lab, "01_eight_gaussians.ipynb", timeout=900)
    assert max(timing["slider_seconds"]) < 1.0

    folded, unfolded = unfold_solution(browser)  # a reader opens the exercises' solutions
    assert not folded["open"] and not folded["bodyShown"], folded
    assert unfolded["bodyShown"] and len(unfolded["text"]) > len(folded["text"]) + 100, (folded, unfolded)
    screenshot(browser, "01_solution_unfolded.png")

    panel_image = "const image = document.querySelector('.widget-image'); return image ? image.src : null;"
    before = browser.execute_script(panel_image)
    run = next(b for b in browser.find_elements(By.CSS_SELECTOR, ".jupyter-widgets button") if b.text == "Run")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", run)
    run.click()
    first = wait_for(
        lambda: (src := browser.execute_script(panel_image)) not in (None, before) and src, 60, "the panel's figure"
    )
    wait_for(lambda: browser.execute_script(panel_image) not in (None, first), 60, "the panel's figure to advance")

    leaks = 0
    for attempt in range(5):  # other cells, run while the panel trains, must not receive its figure
        outputs = browser.execute_async_script(
            NOTEBOOK + "const done = arguments[arguments.length - 1];"
            "(async () => {"
            "  const notebook = panel.content; notebook.activeCellIndex = notebook.widgets.length - 1;"
            "  await window.jupyterapp.commands.execute('notebook:insert-cell-below');"
            "  const cell = notebook.activeCell; cell.model.sharedModel.setSource(arguments[0]);"
            "  await window.jupyterapp.commands.execute('notebook:run-cell');"
            "  const start = Date.now();"
            "  while (cell.model.executionCount === null && Date.now() - start < 30000)"
            "    await new Promise(r => setTimeout(r, 100));"
            "  done(cell.model.outputs.toJSON());"
            "})();",
            f"print('another cell {attempt}')",
        )
        assert any("another cell" in "".join(o.get("text", "")) for o in outputs), outputs
        leaks += sum("image/png" in o.get("data", {}) for o in outputs)
    screenshot(browser, "01_training_panel.png")
    pause = next(b for b in browser.find_elements(By.CSS_SELECTOR, ".jupyter-widgets button") if b.text == "Pause")
    pause.click()
    TIMINGS["01_eight_gaussians.ipynb"]["panel_leaks_in_5_cells"] = leaks
    assert leaks == 0


def test_chapter_04_runs_and_its_sliders_answer(browser, lab):
    timing = run_chapter(browser, lab, "04_mode_seeking.ipynb", timeout=900)
    assert max(timing["slider_seconds"]) < 1.0


def test_chapter_05_runs_and_its_per_layer_sliders_keep_their_figure(browser, lab):
    timing = run_chapter(browser, lab, "05_hierarchical_modes.ipynb", timeout=900)
    assert max(timing["slider_seconds"]) < 1.0
    # on-grid sliders: nothing snapped a value after Run All, so the box plot stayed in its cell
    assert interact_figure(browser, 0) is not None
