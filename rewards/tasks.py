"""Celery tasks of the rewards app: each takes ids and calls one service (STYLE rule 27).

The service imports are function-local: they break the services <-> tasks import cycle and
keep torch (imported by the execution and scoring services) out of the web process and beat.
"""

from __future__ import annotations

from typing import Any

from config.celery import CeleryQueue, task

TRAINER_BUSY_RETRY_S = 15


@task(
    name="rewards.training_run_execute",
    queue=CeleryQueue.TRAINING,
    bind=True,
    acks_late=True,  # safe: the service claims the TrainingRun row (STYLE rule 29)
    soft_time_limit=5 * 3600,  # soft first: the loop checkpoints, the row is marked
    time_limit=5 * 3600 + 300,
    max_retries=None,
)
def training_run_execute(self: Any, run_id: int) -> None:
    from rewards.services.execution import (  # noqa: PLC0415  # see the module docstring
        TrainerBusy,
    )
    from rewards.services.execution import (  # noqa: PLC0415
        training_run_execute as service,
    )

    try:
        service(run_id=run_id)
    except TrainerBusy as exc:
        # One training task at a time per machine/GPU (the embedded worker runs two tasks):
        # wait for the slot without claiming the row.
        raise self.retry(countdown=TRAINER_BUSY_RETRY_S, exc=exc) from None


@task(
    name="rewards.score_job_execute",
    queue=CeleryQueue.SCORING,
    acks_late=True,  # safe: the service claims the ScoreJob row (STYLE rule 29)
    soft_time_limit=9 * 60,
    time_limit=10 * 60,
)
def score_job_execute(job_id: int) -> None:
    from rewards.services.scoring import score_job_execute as service  # noqa: PLC0415

    service(job_id=job_id)


@task(
    name="rewards.reward_model_suggest",
    queue=CeleryQueue.SCORING,
    soft_time_limit=55 * 60,
    time_limit=60 * 60,
)
def reward_model_suggest(version_id: int) -> None:
    from rewards.services.scoring import reward_model_suggest as service  # noqa: PLC0415

    service(version_id=version_id)


@task(
    name="rewards.reward_models_refresh",
    queue=CeleryQueue.DEFAULT,
    soft_time_limit=50,
    time_limit=60,
)
def reward_models_refresh() -> int:
    from rewards.services.runs import reward_models_refresh as service  # noqa: PLC0415

    return len(service())


@task(
    name="rewards.training_runs_requeue_stalled",
    queue=CeleryQueue.DEFAULT,
    soft_time_limit=50,
    time_limit=60,
)
def training_runs_requeue_stalled() -> int:
    from rewards.services.runs import (  # noqa: PLC0415
        training_runs_requeue_stalled as service,
    )

    return len(service())
