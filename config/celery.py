"""The Celery app. Queues are named by CeleryQueue; periodic work by the beat schedule."""

from __future__ import annotations

import os
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from celery import Celery, shared_task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


class CeleryQueue(StrEnum):
    DEFAULT = "default"
    EXPORTS = "exports"
    TRAINING = "training"
    SCORING = "scoring"


# Each task's queue, declared where the task is defined (``task(queue=...)``) and applied by
# the router below: Celery 5.x deprecates the ``queue`` task attribute in favour of routes.
TASK_QUEUES: dict[str, CeleryQueue] = {}


def task(*, name: str, queue: CeleryQueue, **options: Any) -> Callable[..., Any]:
    """``shared_task`` with a declared queue: ``@task(name=..., queue=..., time limits)``."""
    TASK_QUEUES[name] = queue
    return shared_task(name=name, **options)


def route_to_declared_queue(
    name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any
) -> dict[str, str] | None:
    """Celery router: the queue a task declared (a ``queue=`` given when sending wins)."""
    queue = TASK_QUEUES.get(name)
    return {"queue": str(queue)} if queue is not None else None


app = Celery("finegrain")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_routes = (route_to_declared_queue,)
app.autodiscover_tasks()
app.conf.beat_schedule = {
    "expire-assignments": {
        "task": "annotator.assignment_expire_stale",
        "schedule": 60.0,
        "options": {"queue": CeleryQueue.DEFAULT},
    },
    # Reward models (rewards/tasks.py): refresh models whose policy is due; requeue training
    # runs whose heartbeat went silent (a killed worker's task is never redelivered).
    "reward-models-refresh": {
        "task": "rewards.reward_models_refresh",
        "schedule": 10.0,
        "options": {"queue": CeleryQueue.DEFAULT},
    },
    "training-runs-requeue-stalled": {
        "task": "rewards.training_runs_requeue_stalled",
        "schedule": 30.0,
        "options": {"queue": CeleryQueue.DEFAULT},
    },
    # Judge runs whose worker died (judges/tasks.py): requeue, or fail after 3 attempts.
    "judge-runs-requeue-stalled": {
        "task": "judges.judge_runs_requeue_stalled",
        "schedule": 60.0,
        "options": {"queue": CeleryQueue.DEFAULT},
    },
}
