"""Image data: the one ImageDataset interface, the loaders on format-true synthetic files, offline sets."""

import os
import pickle
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from mcgan_lib.data.celeba import load_celeba
from mcgan_lib.data.checksums import ChecksumError, DatasetNotFoundError, file_md5, manifest_path
from mcgan_lib.data.cifar10 import CIFAR10_MD5, load_cifar10
from mcgan_lib.data.digits import digits_images
from mcgan_lib.data.image_dataset import ImageDataset
from mcgan_lib.data.paired import (
    centre_hole_mask,
    edges_to_photo_pairs,
    grey_to_colour_pairs,
    inpainting_pairs,
    super_resolution_pairs,
)
from mcgan_lib.data.photos import photo_patches, small_faces, texture_patches
from mcgan_lib.data.pix2pix import load_pix2pix
from mcgan_lib.data.stacked_digits import StackedDigits


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    """Checksum manifests go to the user's cache folder: a fresh one per test."""
    monkeypatch.setenv("MCGAN_CACHE_DIR", str(tmp_path / "cache"))


# ------------------------------------------------------------------------------------ ImageDataset
def test_three_kinds_share_one_interface(cpu_rng):
    images = torch.rand(6, 3, 4, 4) * 2 - 1
    plain = ImageDataset(images)
    labelled = ImageDataset(images, labels=torch.tensor([0, 1, 2, 0, 1, 2]))
    paired = ImageDataset(images, inputs=images[:, :1])
    assert (plain.kind, plain.condition_dim) == ("unconditional", 0)
    assert (labelled.kind, labelled.condition_dim, labelled.num_classes) == ("class_conditional", 3, 3)
    assert (paired.kind, paired.condition_dim, paired.condition_shape) == ("paired", 16, (1, 4, 4))
    batch = labelled.sample_batch(5, cpu_rng)
    assert batch.real.shape == (5, 3, 4, 4) and batch.condition.shape == (5, 3)
    assert torch.equal(batch.condition.sum(1), torch.ones(5))  # one-hot
    batch = paired.sample_batch(4, torch.Generator().manual_seed(1))
    assert batch.condition.shape == (4, 16)
    assert torch.equal(paired.unflatten_condition(batch.condition), batch.real[:, :1])  # input travels with its target
    image, condition = labelled[4]
    assert torch.equal(image, images[4]) and torch.equal(condition, torch.tensor([0.0, 1.0, 0.0]))
    assert plain[0][1].numel() == 0


def test_batches_and_splits_are_deterministic():
    data = ImageDataset(torch.arange(20.0).view(20, 1, 1, 1))
    a = data.sample_batch(7, torch.Generator().manual_seed(3)).real
    b = data.sample_batch(7, torch.Generator().manual_seed(3)).real
    assert torch.equal(a, b)
    parts = data.split({"train": 0.6, "val": 0.2, "test": 0.2}, seed=1)
    again = data.split({"train": 0.6, "val": 0.2, "test": 0.2}, seed=1)
    assert [len(p) for p in parts.values()] == [12, 4, 4]
    values = torch.cat([p.images.flatten() for p in parts.values()])
    assert sorted(values.tolist()) == list(range(20))  # disjoint and complete
    assert all(torch.equal(parts[k].images, again[k].images) for k in parts)
    assert not torch.equal(
        parts["train"].images, data.split({"train": 0.6, "val": 0.2, "test": 0.2}, seed=2)["train"].images
    )


def test_dataset_rejects_bad_arguments():
    with pytest.raises(ValueError, match="images"):
        ImageDataset(torch.zeros(3, 4))
    with pytest.raises(ValueError, match="labels"):
        ImageDataset(torch.zeros(3, 1, 2, 2), labels=torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="num_classes"):
        ImageDataset(torch.zeros(3, 1, 2, 2), labels=torch.tensor([0, 1, 5]), num_classes=3)
    with pytest.raises(ValueError, match="inputs"):
        ImageDataset(torch.zeros(3, 1, 2, 2), inputs=torch.zeros(2, 1, 2, 2))
    with pytest.raises(ValueError, match="fractions"):
        ImageDataset(torch.zeros(3, 1, 2, 2)).split({"train": 0.5, "test": 0.2})
    with pytest.raises(ValueError, match="n must be >= 1"):
        ImageDataset(torch.zeros(3, 1, 2, 2)).sample_batch(0)


# ------------------------------------------------------------------------------------ CIFAR-10
def _write_cifar(root, n_per_batch=4):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        entry = {
            "data": rng.integers(0, 256, (n_per_batch, 3072), dtype=np.uint8),
            "labels": list(rng.integers(0, 10, n_per_batch)),
        }
        with open(folder / name, "wb") as handle:
            pickle.dump(entry, handle)
    with open(folder / "batches.meta", "wb") as handle:
        pickle.dump({"label_names": [f"class{i}" for i in range(10)]}, handle)
    return folder, {name.name: file_md5(name) for name in folder.iterdir()}


def test_cifar10_reads_the_python_pickle_format(tmp_path):
    folder, checksums = _write_cifar(tmp_path)
    train = load_cifar10(tmp_path, "train", checksums=checksums)
    test = load_cifar10(tmp_path, "test", checksums=checksums)
    assert train.data_shape == (3, 32, 32) and len(train) == 20 and len(test) == 4
    assert train.kind == "class_conditional" and train.class_names[3] == "class3"
    with open(folder / "test_batch", "rb") as handle:
        raw = pickle.load(handle)
    first = torch.tensor(raw["data"][0], dtype=torch.float32).view(3, 32, 32) / 127.5 - 1  # channel-major rows
    assert torch.allclose(test.images[0], first)
    assert test.labels.tolist() == [int(v) for v in raw["labels"]]


def test_cifar10_checksum_mismatch_and_missing_files_are_errors(tmp_path):
    _write_cifar(tmp_path)
    with pytest.raises(ChecksumError, match="published checksum"):
        load_cifar10(tmp_path)  # synthetic files differ from the official MD5 table
    assert CIFAR10_MD5["test_batch"] == "40351d587109b95175f43aff81a1287e"
    with pytest.raises(DatasetNotFoundError, match="cifar-10-python.tar.gz"):
        load_cifar10(tmp_path / "empty")
    with pytest.raises(ValueError, match="split"):
        load_cifar10(tmp_path, split="val")


# ------------------------------------------------------------------------------------ pix2pix
def _write_pix2pix(root, name="facades", split="train", n=3, size=16):
    folder = root / name / split
    folder.mkdir(parents=True)
    for i in range(n):
        pair = np.zeros((size, 2 * size, 3), dtype=np.uint8)
        pair[:, :size] = (200, 40, 40)  # A: reddish
        pair[:, size:] = (40, 40, 200)  # B: bluish
        Image.fromarray(pair).save(folder / f"{i + 1}.jpg", quality=95)
    return folder


def test_pix2pix_splits_the_side_by_side_pair(tmp_path):
    _write_pix2pix(tmp_path)
    with pytest.warns(UserWarning, match="trust on first use"):
        facades = load_pix2pix("facades", tmp_path, image_size=8, expected_size=3)
    assert facades.kind == "paired" and facades.data_shape == (3, 8, 8) and facades.condition_shape == (3, 8, 8)
    target_rgb = facades.images.mean(dim=(0, 2, 3))
    input_rgb = facades.inputs.mean(dim=(0, 2, 3))
    assert target_rgb[0] > 0.3 and target_rgb[2] < -0.4  # BtoA: the target is the reddish left half A
    assert input_rgb[2] > 0.3 and input_rgb[0] < -0.4
    # verified against the manifest
    a_to_b = load_pix2pix("facades", tmp_path, direction="AtoB", image_size=None, expected_size=3)
    assert a_to_b.data_shape == (3, 16, 16) and a_to_b.images.mean(dim=(0, 2, 3))[2] > 0.3


def test_pix2pix_detects_changed_files_and_bad_formats(tmp_path):
    folder = _write_pix2pix(tmp_path, "maps", "val")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load_pix2pix("maps", tmp_path, split="val", expected_size=3)
    Image.fromarray(np.full((16, 32, 3), 9, dtype=np.uint8)).save(folder / "2.jpg")
    with pytest.raises(ChecksumError, match="2.jpg"):
        load_pix2pix("maps", tmp_path, split="val", expected_size=3)
    with pytest.raises(ChecksumError, match="published checksum"):
        wrong = {"1.jpg": "0" * 32, "2.jpg": "0" * 32, "3.jpg": "0" * 32}
        load_pix2pix("maps", tmp_path, split="val", expected_size=3, checksums=wrong)
    odd = _write_pix2pix(tmp_path / "odd", "facades", "test", n=1)
    Image.fromarray(np.zeros((16, 20, 3), dtype=np.uint8)).save(odd / "1.jpg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DatasetNotFoundError, match="side by side"):
            load_pix2pix("facades", tmp_path / "odd", split="test", expected_size=1)
    (odd / "1.jpg").write_bytes(b"not a jpeg")
    manifest_path(odd).unlink(missing_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DatasetNotFoundError, match="not a readable image"):
            load_pix2pix("facades", tmp_path / "odd", split="test", expected_size=1)
    with pytest.raises(DatasetNotFoundError, match="facades.tar.gz"):
        load_pix2pix("facades", tmp_path / "nothing")
    with pytest.raises(ValueError, match="name"):
        load_pix2pix("cityscapes", tmp_path)


# ------------------------------------------------------------------------------------ CelebA
def test_celeba_reads_aligned_crops_and_the_official_partition(tmp_path):
    folder = tmp_path / "celeba"
    (folder / "img_align_celeba").mkdir(parents=True)
    lines = []
    for i in range(5):
        image = np.zeros((218, 178, 3), dtype=np.uint8)
        image[:, :, 1] = 40 * i
        Image.fromarray(image).save(folder / "img_align_celeba" / f"{i + 1:06d}.jpg", quality=95)
        lines.append(f"{i + 1:06d}.jpg {0 if i < 3 else 2}")
    (folder / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")
    partition_md5 = {"list_eval_partition.txt": file_md5(folder / "list_eval_partition.txt")}
    with pytest.raises(ChecksumError, match="list_eval_partition"):
        load_celeba(tmp_path)  # the synthetic list is not the published one
    with pytest.warns(UserWarning, match="trust on first use"):
        train = load_celeba(tmp_path, "train", image_size=16, checksums=partition_md5)
    test = load_celeba(tmp_path, "test", image_size=16, checksums=partition_md5)
    assert len(train) == 3 and len(test) == 2 and train.data_shape == (3, 16, 16)
    green = train.images[:, 1].mean(dim=(1, 2))
    assert torch.allclose(green, torch.tensor([0, 40, 80]) / 127.5 - 1, atol=0.03)
    with pytest.raises(DatasetNotFoundError, match="list_eval_partition"):
        load_celeba(tmp_path / "missing")


# ------------------------------------------------------------------------------------ offline sets
def test_digits_and_stacked_digits():
    digits = digits_images()
    assert len(digits) == 1797 and digits.data_shape == (1, 8, 8)
    assert digits.images.min() == -1 and digits.images.max() == 1
    stacked = StackedDigits()
    images, modes = stacked.sample_with_modes(500, torch.Generator().manual_seed(0))
    assert images.shape == (500, 1, 8, 24) and modes.min() >= 0 and modes.max() < 1000
    assert len(modes.unique()) > 350  # 500 draws over 1,000 equally likely modes: about 394 distinct
    first_digit = digits.labels[(digits.images == images[:1, :, :, :8]).flatten(1).all(1)]
    assert int(first_digit[0]) == int(modes[0]) // 100
    channels = StackedDigits(layout="channels").sample_batch(3, torch.Generator().manual_seed(0)).real
    assert channels.shape == (3, 3, 8, 8)
    with pytest.raises(ValueError, match="layout"):
        StackedDigits(layout="grid")


def test_scikit_image_sets_and_paired_tasks():
    photos = photo_patches(patch_size=16, n_patches=12, seed=1)
    assert photos.images.shape == (12, 3, 16, 16) and photos.images.abs().max() <= 1
    assert torch.equal(photos.images, photo_patches(patch_size=16, n_patches=12, seed=1).images)
    textures = texture_patches(patch_size=8, n_patches=7)
    assert textures.images.shape == (7, 1, 8, 8) and textures.labels.tolist() == [0, 0, 0, 1, 1, 2, 2]
    faces = small_faces(image_size=16)
    assert faces.images.shape == (200, 1, 16, 16)

    sr = super_resolution_pairs(photos, factor=4)
    assert sr.condition_shape == (3, 4, 4)
    assert torch.allclose(
        sr.inputs[0, :, 0, 0], photos.images[0, :, :4, :4].mean(dim=(1, 2)), atol=1e-5
    )  # area average
    inpaint = inpainting_pairs(photos, hole_fraction=0.5)
    mask = centre_hole_mask((16, 16), 0.5)
    assert mask.sum() == 64 and mask[0, 4:12, 4:12].all()
    assert inpaint.condition_shape == (4, 16, 16)
    assert (inpaint.inputs[:, :3][mask.expand(12, 3, -1, -1) > 0] == 0).all()
    assert torch.equal(inpaint.inputs[:, 3:], mask.expand(12, 1, -1, -1))
    grey = grey_to_colour_pairs(photos)
    assert torch.allclose(
        grey.inputs[0, 0, 0, 0], (photos.images[0, :, 0, 0] * torch.tensor([0.299, 0.587, 0.114])).sum()
    )
    flat = ImageDataset(torch.zeros(2, 3, 8, 8))
    assert torch.equal(edges_to_photo_pairs(flat).inputs, -torch.ones(2, 1, 8, 8))  # no edge anywhere
    with pytest.raises(ValueError, match="factor"):
        super_resolution_pairs(photos, factor=3)
    with pytest.raises(ValueError, match="hole_fraction"):
        inpainting_pairs(photos, hole_fraction=0.0)
    with pytest.raises(ValueError, match="RGB"):
        grey_to_colour_pairs(textures)


# ------------------------------------------------------------------------------------ partial downloads
def test_a_partial_pix2pix_download_is_refused_and_nothing_is_recorded(tmp_path):
    from mcgan_lib.data.pix2pix import PIX2PIX_SIZES

    assert PIX2PIX_SIZES == {"facades": {"train": 400, "val": 100, "test": 106}, "maps": {"train": 1096, "val": 1098}}
    folder = _write_pix2pix(tmp_path, "facades", "train", n=2)
    with pytest.raises(DatasetNotFoundError, match=r"'train' split at .* has 2 images, but the release has 400"):
        load_pix2pix("facades", tmp_path)
    assert not manifest_path(folder).exists()


def test_a_truncated_jpeg_is_refused_before_any_checksum_is_recorded(tmp_path):
    folder = _write_pix2pix(tmp_path, "facades", "val", n=3, size=64)
    data = (folder / "2.jpg").read_bytes()
    (folder / "2.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetNotFoundError, match=r"2\.jpg is not a readable image"):
        load_pix2pix("facades", tmp_path, split="val", expected_size=3)
    assert not manifest_path(folder).exists()


def test_the_manifest_lives_in_the_cache_and_a_damaged_one_is_named(tmp_path):
    folder = _write_pix2pix(tmp_path, "maps", "train", n=2)
    before = sorted(p.name for p in folder.iterdir())
    with pytest.warns(UserWarning, match="trust on first use"):
        load_pix2pix("maps", tmp_path, expected_size=2)
    assert sorted(p.name for p in folder.iterdir()) == before  # the data folder is only read
    assert manifest_path(folder).parent == tmp_path / "cache" / "checksums"
    manifest_path(folder).write_text("{not json")
    with pytest.raises(ChecksumError, match=r"the checksum manifest .* is damaged .*delete it"):
        load_pix2pix("maps", tmp_path, expected_size=2)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_data_folder_loads(tmp_path):
    folder = _write_pix2pix(tmp_path, "facades", "test", n=2)
    for path in (folder, folder.parent, tmp_path):
        path.chmod(0o555)
    try:
        with pytest.warns(UserWarning, match="trust on first use"):
            assert len(load_pix2pix("facades", tmp_path, split="test", expected_size=2)) == 2
    finally:
        for path in (tmp_path, folder.parent, folder):
            path.chmod(0o755)


def test_celeba_partition_is_parsed_only_after_its_md5_matches_and_truncated_images_are_not_recorded(tmp_path):
    folder = tmp_path / "celeba"
    (folder / "img_align_celeba").mkdir(parents=True)
    (folder / "list_eval_partition.txt").write_text("this is an HTML error page, not the partition list\n")
    with pytest.raises(ChecksumError, match="list_eval_partition.txt has MD5"):
        load_celeba(tmp_path)
    for i in range(3):
        image = np.full((218, 178, 3), 60 * i, dtype=np.uint8)
        Image.fromarray(image).save(folder / "img_align_celeba" / f"{i + 1:06d}.jpg")
    (folder / "list_eval_partition.txt").write_text("000001.jpg 0\n000002.jpg 0\n000003.jpg 2\n")
    checksums = {"list_eval_partition.txt": file_md5(folder / "list_eval_partition.txt")}
    data = (folder / "img_align_celeba" / "000003.jpg").read_bytes()
    (folder / "img_align_celeba" / "000003.jpg").write_bytes(data[:-200])  # a test image, cut short
    with pytest.raises(DatasetNotFoundError, match=r"000003\.jpg is truncated"):
        load_celeba(tmp_path, "train", image_size=8, checksums=checksums)
    assert not manifest_path(folder).exists()
