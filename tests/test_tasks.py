"""The task layer: one registry of named tasks, and each source scored by the evaluator of its class."""

import pytest
import torch

from mcgan_lib.data.base import TensorDataSource
from mcgan_lib.data.toy import GaussianMixture
from mcgan_lib.experiments.toy import ToySetup
from mcgan_lib.tasks import EVALUATORS, KINDS, TASKS, evaluate, evaluator_of, kind_of, make_task, task_names


def test_every_task_has_a_kind_a_source_and_the_evaluator_of_its_class():
    assert all(task.kind in KINDS and task.source and task.evaluator in EVALUATORS.values() for task in TASKS.values())
    for name in task_names("toy2d", "toy_conditional", "image"):  # the cheap ones: build them
        assert evaluator_of(make_task(name)) is TASKS[name].evaluator and kind_of(make_task(name)) == TASKS[name].kind


def test_task_queries_split_the_registry_by_kind_and_by_where_the_data_lives():
    toys = task_names("toy2d", "toy_conditional")
    assert len(toys) == 10 and set(task_names("toy_conditional")) < set(toys)
    assert task_names("image") == ("stacked_digits", "digits")
    assert set(task_names(offline=False)) == {"facades", "maps", "celeba_sr", "celeba_inpainting"}
    assert all(TASKS[name].on_disk for name in task_names(offline=False))
    assert set(task_names(offline=None)) == set(TASKS)
    with pytest.raises(ValueError, match="kind must be one of"):
        task_names("toys")


def test_a_subclass_is_scored_as_its_parent_and_an_unknown_source_is_refused():
    class Shifted(GaussianMixture):
        pass

    ring = make_task("unit_ring")
    shifted = Shifted(ring.centers, std=ring.std)
    generator, _ = ToySetup().networks(ring, seed=0)
    assert kind_of(shifted) == "toy2d"
    assert evaluate(shifted, generator, 300) == evaluate(ring, generator, 300)
    assert evaluate(ring, generator) == evaluate(ring, generator, TASKS["unit_ring"].evaluator.n_samples)
    unknown = TensorDataSource(torch.zeros(4, 2))
    assert kind_of(unknown) is None
    with pytest.raises(ValueError, match="TensorDataSource has no evaluator"):
        evaluate(unknown, generator)
