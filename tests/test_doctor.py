"""``python -m mcgan_lib doctor``: each check reports what is there, and what to do about what is not."""

import pytest

from mcgan_lib.cli import main
from mcgan_lib.doctor import INCEPTION_WEIGHTS, findings, report


@pytest.fixture
def fresh_home(tmp_path, monkeypatch):
    """An empty cache, torch hub and data root."""
    monkeypatch.setenv("MCGAN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("MCGAN_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def by_name(items):
    return {item.name: item for item in items}


def test_missing_weights_and_data_are_named_with_what_to_do(fresh_home):
    items = by_name(findings())
    for name in ("FID Inception weights", "LPIPS AlexNet weights", "CIFAR-10", "Facades", "Maps", "CelebA"):
        assert items[name].status == "missing" and items[name].advice, name
    assert "labelled" in items["CIFAR-10"].advice and "download=True" in items["CIFAR-10"].advice
    assert items["cache folder"].status == "ok" and items["cache folder"].found == str(fresh_home / "cache")
    assert items["stored results"].status == "ok" and "results" in items["stored results"].found
    assert items["mode"].found.startswith("quick")  # the test suite runs in quick mode
    text = report(list(items.values()))
    assert "MISSING  CIFAR-10" in text and text.endswith("6 missing")


def test_present_weights_and_data_are_found(fresh_home):
    hub = fresh_home / "torch" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    (hub / INCEPTION_WEIGHTS).write_bytes(b"")
    (hub / "alexnet-owt-7be5be79.pth").write_bytes(b"")
    (fresh_home / "data" / "cifar-10-batches-py").mkdir(parents=True)
    (fresh_home / "data" / "facades" / "train").mkdir(parents=True)
    items = by_name(findings())
    assert {items[n].status for n in ("FID Inception weights", "LPIPS AlexNet weights", "CIFAR-10", "Facades")} == {
        "ok"
    }
    assert items["Maps"].status == "missing"


def test_an_unwritable_cache_is_reported(fresh_home, monkeypatch):
    blocker = fresh_home / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MCGAN_CACHE_DIR", str(blocker / "cache"))
    item = by_name(findings())["cache folder"]
    assert item.status == "missing" and "MCGAN_CACHE_DIR" in item.advice


def test_the_cli_prints_the_report(fresh_home, capsys):
    (fresh_home / "elsewhere" / "maps" / "train").mkdir(parents=True)
    assert main(["doctor", "--data-root", str(fresh_home / "elsewhere")]) == 0
    out = capsys.readouterr().out
    assert "ok       Maps" in out and "MISSING  CIFAR-10" in out and "torch" in out
