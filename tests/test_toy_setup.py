"""setup_table: the settings of toy setups side by side, as chapters 02, 03 and 06 print them."""

import pytest

from mcgan_lib.experiments.moment_reconstruction import appendix_b_setup
from mcgan_lib.experiments.toy import PLAIN_GAN_SETUP, ToySetup, setup_table


def test_setup_table_reads_every_setting_from_the_setups():
    table = setup_table(
        {"App. B": appendix_b_setup(steps=3000, lr=1e-3, hidden_dim=64), "shared": PLAIN_GAN_SETUP},
        steps={"shared": 10_000},
    )
    assert list(table.columns) == ["App. B", "shared"]
    assert table.loc["optimiser"].tolist() == ["amsgrad", "adam"]
    assert table.loc["D hidden layers × units"].tolist() == ["2 × 64", "2 × 256"]
    assert table.loc["latent dim"].tolist() == ["2", "16"]
    assert table.loc["learning rate"].tolist() == ["0.001", "0.0003"]
    assert table.loc["weight decay"].tolist() == ["0.0001", "0.0"]
    assert table.loc["gradient-norm clip"].tolist() == ["0.5", "none"]
    assert table.loc["batch"].tolist() == ["32", "128"]
    assert table.loc["steps"].tolist() == ["3000", "10000"]


def test_setup_table_uses_the_current_mode_steps_without_override():
    table = setup_table({"a": ToySetup(steps=700, quick_steps=700)})
    assert table.loc["steps", "a"] == "700"


def test_setup_table_errors_name_the_argument():
    with pytest.raises(ValueError, match="setups must name"):
        setup_table({})
    with pytest.raises(ValueError, match=r"setups\['x'\] must be a ToySetup"):
        setup_table({"x": {"lr": 1e-3}})
    with pytest.raises(ValueError, match="steps names labels"):
        setup_table({"a": PLAIN_GAN_SETUP}, steps={"b": 10})
