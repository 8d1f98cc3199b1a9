"""Celery tasks of the snapshots app: each takes ids and calls one service (STYLE rule 27)."""

from __future__ import annotations

from config.celery import CeleryQueue, task


@task(
    name="snapshots.snapshot_build",
    queue=CeleryQueue.EXPORTS,
    acks_late=True,  # safe: the service claims the SnapshotJob row (STYLE rule 29)
    soft_time_limit=55 * 60,
    time_limit=60 * 60,
)
def snapshot_build(snapshot_id: int) -> None:
    # Function-local import breaks the services <-> tasks cycle (STYLE B0).
    from snapshots.services.snapshots import snapshot_build as service  # noqa: PLC0415

    service(snapshot_id=snapshot_id)
