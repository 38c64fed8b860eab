"""The tasks attnviz trains on, one module each, and the registry that the rest of the code reads.

A task is one `Task` record (base.py) in a module of this package, named `TASK`: its name and title, what
its models do, where its data come from, tokenizer kinds, dev metric and extra test metrics, examples,
training defaults, gold alignments, and its loader. Adding a task is adding a module here; nothing outside
this package spells a task's name or branches on it.
"""

from __future__ import annotations

import importlib
import pkgutil

from attnviz.i18n import _
from attnviz.tasks.base import Corpus, DataError, Pair, Rejected, SpanLink, Task, held_out, split

__all__ = [
    "DEFAULT",
    "Corpus",
    "DataError",
    "Pair",
    "Rejected",
    "SpanLink",
    "Task",
    "all_tasks",
    "built_in",
    "discover",
    "find",
    "for_uploads",
    "get",
    "held_out",
    "load_task",
    "missing_data",
    "register",
    "split",
]

DEFAULT = "dates"  # the Train page's and the CLI's task when none is named: trains in seconds
_REGISTRY: dict[str, Task] = {}


def register(task: Task) -> Task:
    """Add a task (every module of this package does so on import; a test may add its own)."""
    if task.name in _REGISTRY and _REGISTRY[task.name] is not task:
        raise ValueError(f"two tasks are called {task.name!r}")
    _REGISTRY[task.name] = task
    return task


def discover() -> None:
    """Import every module of this package (every folder on its __path__) and register its TASK."""
    for module in pkgutil.iter_modules(__path__):
        task = getattr(importlib.import_module(f"{__name__}.{module.name}"), "TASK", None)
        if isinstance(task, Task):
            register(task)


def all_tasks() -> list[Task]:
    """Every task, the default first, then by name."""
    return sorted(_REGISTRY.values(), key=lambda t: (t.name != DEFAULT, t.name))


def built_in() -> list[Task]:
    """The tasks whose data attnviz brings (generated, or read from an installed package)."""
    return [t for t in all_tasks() if not t.from_file]


def for_uploads() -> Task:
    """The task for a user's own file of pairs (the Train page's upload)."""
    return next(t for t in all_tasks() if t.from_file)


def find(name: str) -> Task | None:
    """The task called `name`, or None (a model of a task this installation does not know)."""
    return _REGISTRY.get(name)


def get(name: str) -> Task:
    try:
        return _REGISTRY[name]
    except KeyError:
        said = _("Unknown task {name}: choose one of {tasks}.")
        raise DataError(said.format(name=repr(name), tasks=", ".join(_REGISTRY))) from None


def missing_data(name: str) -> str | None:
    """Why task `name` cannot be trained on this machine, with the command that fixes it; None if it can."""
    return get(name).missing()


def load_task(name: str, *, seed: int = 0, path: str | None = None, size: int | None = None) -> Corpus:
    """Load a task by name and split it; `size` sets the synthetic count or caps real train sets."""
    return get(name).load(seed, path, size)


discover()
