"""The task layer: the named tasks (:data:`TASKS`) and how a generator is scored on any data source
(:func:`evaluate`, by the source's class)."""

from mcgan_lib.tasks.evaluators import EVALUATORS, KINDS, Evaluator, evaluate, evaluator_of, kind_of
from mcgan_lib.tasks.registry import TASKS, OnDisk, Task, make_task, task_names

__all__ = [
    "EVALUATORS",
    "KINDS",
    "Evaluator",
    "evaluate",
    "evaluator_of",
    "kind_of",
    "TASKS",
    "OnDisk",
    "Task",
    "make_task",
    "task_names",
]
