"""Celery tasks of the annotator app: each takes ids and calls one service (STYLE rule 27)."""

from __future__ import annotations

from config.celery import CeleryQueue, task


@task(
    name="annotator.assignment_expire_stale",
    queue=CeleryQueue.DEFAULT,
    soft_time_limit=100,
    time_limit=120,
)
def assignment_expire_stale() -> int:
    # Function-local import breaks the services <-> tasks cycle (STYLE B0).
    from annotator.services.assignments import assignment_expire_stale as service  # noqa: PLC0415

    return service()


@task(
    name="annotator.import_job_execute",
    queue=CeleryQueue.DEFAULT,
    acks_late=True,  # safe: the service claims the ImportJob row (STYLE rule 29)
    soft_time_limit=55 * 60,
    time_limit=60 * 60,
)
def import_job_execute(job_id: int) -> None:
    # Function-local import breaks the services <-> tasks cycle (STYLE B0).
    from annotator.services.imports import import_job_execute as service  # noqa: PLC0415

    service(job_id=job_id)


@task(
    name="annotator.item_statistics_refresh",
    queue=CeleryQueue.DEFAULT,
    soft_time_limit=100,
    time_limit=120,
)
def item_statistics_refresh() -> None:
    # Function-local import breaks the services <-> tasks cycle (STYLE B0).
    from annotator.services.imports import item_statistics_refresh as service  # noqa: PLC0415

    service()
