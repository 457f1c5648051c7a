"""The papers' recipes: one table (``mcgan_lib.recipes``) that the registry and the full-size
configurations read, each value with its source, and every chapter sweep of an image-to-image task on it."""

from __future__ import annotations

import pytest

from mcgan_lib.experiments.full_size import TASK_CONFIGURATIONS
from mcgan_lib.methods import METHODS, method_settings
from mcgan_lib.recipes import FAMILIES, MSGAN_CODE_L1_WEIGHT, PIX2PIX_L1_WEIGHT, RECIPES, recipe, recipe_settings


def test_every_registered_method_takes_its_defaults_and_their_source_from_the_table():
    assert set(RECIPES["default"]) == set(METHODS)
    for name, method in METHODS.items():
        assert dict(method.defaults) == dict(recipe(name).settings), name
        assert method.reference == recipe(name).source and method.reference, name


@pytest.mark.parametrize("family", FAMILIES)
def test_every_recipe_names_settings_its_method_has_and_says_where_they_come_from(family):
    for name, entry in RECIPES[family].items():
        method_settings(name, entry.settings)  # raises on a setting the method does not have
        assert entry.source.strip(), (family, name)


def test_the_full_size_configurations_are_the_tables_families():
    for name, configuration in TASK_CONFIGURATIONS.items():
        family = name if name in RECIPES else configuration.family
        assert configuration.recipes is RECIPES[family], name


def test_msgan_plus_l1_shows_both_l1_weights_and_says_which_is_which():
    offline, full_size = recipe("ms_l1"), recipe("ms_l1", "pix2pix")
    assert (offline.settings["l1_weight"], full_size.settings["l1_weight"]) == (PIX2PIX_L1_WEIGHT, MSGAN_CODE_L1_WEIGHT)
    assert "λ_ℓ1 = 100" in offline.source and "uses 10" in offline.source
    assert "authors' code" in full_size.source and "λ_ℓ1 = 10" in full_size.source


def test_a_family_without_a_setting_is_none_and_a_wrong_family_is_a_clear_error():
    assert recipe("reg_gan", "pix2pix") is None
    assert recipe_settings("edges2photo")["gan_l1"] == {"weight": 100.0}
    with pytest.raises(ValueError, match="family"):
        recipe("ms", "cifar")


def test_the_image_to_image_chapters_sweep_each_method_at_its_familys_recipe():
    from mcgan_lib.chapters import chapter_sweeps

    checked = 0
    for chapter in ("09_paired_translation", "10_super_resolution_inpainting"):
        for name, arguments in chapter_sweeps(chapter).items():
            entry = recipe(arguments["method"], arguments["task"])
            if entry is None:
                continue
            options = dict(arguments.get("method_options") or {})
            for key, value in entry.settings.items():
                if key not in (arguments.get("grid") or {}):  # a slider's grid replaces the recipe's value
                    assert options.get(key) == value, (chapter, name, key)
                    checked += 1
    assert checked >= 8
