"""Celery tasks of the quality app: each takes ids and calls one service (STYLE rule 27)."""

from __future__ import annotations

from config.celery import CeleryQueue, app, task


@task(
    name="quality.agreement_recompute",
    queue=CeleryQueue.DEFAULT,
    soft_time_limit=25 * 60,
    time_limit=30 * 60,
)
def agreement_recompute(project_id: int) -> int | None:
    # Function-local import breaks the services <-> tasks cycle (STYLE B0).
    from annotator.models import Project  # noqa: PLC0415
    from quality.services.agreement import agreement_recompute as service  # noqa: PLC0415

    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        return None
    snapshot = service(project=project)
    return snapshot.pk if snapshot else None


@task(
    name="quality.agreement_refresh_due",
    queue=CeleryQueue.DEFAULT,
    soft_time_limit=50,
    time_limit=60,
)
def agreement_refresh_due() -> list[int]:
    # Function-local import breaks the services <-> tasks cycle (STYLE B0).
    from quality.services.agreement import agreement_refresh_due as service  # noqa: PLC0415

    return service()


# Registered here rather than in config/celery.py so that the app brings its own schedule;
# beat imports every tasks module before it reads the schedule.
app.add_periodic_task(
    60.0,
    agreement_refresh_due.s(),
    name="quality-agreement-refresh",
    queue=CeleryQueue.DEFAULT,
)
