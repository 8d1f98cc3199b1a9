"""The Celery app. Queues are named by CeleryQueue; periodic work by the beat schedule."""

from __future__ import annotations

import os
from enum import StrEnum

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


class CeleryQueue(StrEnum):
    DEFAULT = "default"
    EXPORTS = "exports"
    TRAINING = "training"
    SCORING = "scoring"


app = Celery("finegrain")
app.config_from_object("django.conf:settings", namespace="CELERY")
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
