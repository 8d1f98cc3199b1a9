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
}
