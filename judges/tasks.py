"""Celery tasks of the judges app: each takes ids and calls one service (STYLE rule 27)."""

from __future__ import annotations

from config.celery import CeleryQueue, task


@task(
    name="judges.judge_run_execute",
    queue=CeleryQueue.DEFAULT,
    acks_late=True,  # safe: the service claims the JudgeRun row (STYLE rule 29)
    soft_time_limit=4 * 3600 - 300,
    time_limit=4 * 3600,
)
def judge_run_execute(run_id: int) -> None:
    # Function-local import breaks the services <-> tasks cycle and keeps the backends (and,
    # for transformers judges, torch) out of the web process (STYLE B0, rule 34).
    from judges.services.execution import judge_run_execute as service  # noqa: PLC0415

    service(run_id=run_id)


@task(
    name="judges.judge_runs_requeue_stalled",
    queue=CeleryQueue.DEFAULT,
    soft_time_limit=50,
    time_limit=60,
)
def judge_runs_requeue_stalled() -> int:
    """Beat: requeue the judge runs whose worker went silent (judges.services.runs)."""
    from judges.services.runs import judge_runs_requeue_stalled as service  # noqa: PLC0415

    return len(service())
