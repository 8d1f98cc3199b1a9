"""Celery tasks of the annotator app: each takes ids and calls one service (STYLE rule 27)."""

from __future__ import annotations

from celery import shared_task

from config.celery import CeleryQueue


@shared_task(name="annotator.assignment_expire_stale", queue=CeleryQueue.DEFAULT, time_limit=120)
def assignment_expire_stale() -> int:
    # Function-local import breaks the services <-> tasks cycle (STYLE B0).
    from annotator.services.assignments import assignment_expire_stale as service  # noqa: PLC0415

    return service()
