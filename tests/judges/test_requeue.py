"""The beat task that requeues judge runs whose worker went silent (a killed worker's message
is never redelivered)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from judges.models import JudgeRun
from judges.services.configs import judge_create
from judges.services.execution import judge_run_execute
from judges.services.runs import judge_run_create, judge_runs_requeue_stalled

pytestmark = pytest.mark.django_db
RULES = {"rules": [{"error_type": "irrelevant", "words": ["sold"]}]}


def stalled_run(project, *, attempts=1, minutes=11, **fields):
    """A run its worker claimed ``minutes`` ago and then died in."""
    judge = judge_create(project=project, name=f"rules-{attempts}-{minutes}-{len(fields)}",
                         kind="rules", config=RULES)  # fmt: skip
    run = judge_run_create(judge=judge, task="spans")
    heartbeat = timezone.now() - timedelta(minutes=minutes)
    JudgeRun.objects.filter(pk=run.pk).update(status=JudgeRun.Status.RUNNING, attempts=attempts,
                                              heartbeat_at=heartbeat, **fields)  # fmt: skip
    return run


def test_a_silent_run_is_requeued_once_and_resumes(
    project, item, django_capture_on_commit_callbacks
):
    run = stalled_run(project)
    alive = stalled_run(project, minutes=1)
    with django_capture_on_commit_callbacks() as callbacks:
        assert judge_runs_requeue_stalled() == [run.pk]
    assert len(callbacks) == 1
    run.refresh_from_db()
    assert run.status == JudgeRun.Status.QUEUED
    assert judge_runs_requeue_stalled() == []  # queued now: not requeued twice
    alive.refresh_from_db()
    assert alive.status == JudgeRun.Status.RUNNING

    run = judge_run_execute(run_id=run.pk)
    assert (run.status, run.attempts, run.succeeded_count) == (JudgeRun.Status.SUCCEEDED, 2, 1)


def test_a_run_out_of_attempts_fails_and_a_stopped_one_is_cancelled(
    project, item, django_capture_on_commit_callbacks
):
    spent = stalled_run(project, attempts=3)
    stopped = stalled_run(project, cancel_requested=True)
    with django_capture_on_commit_callbacks() as callbacks:
        assert judge_runs_requeue_stalled() == []
    assert callbacks == []
    spent.refresh_from_db()
    stopped.refresh_from_db()
    assert (spent.status, spent.error) == (
        JudgeRun.Status.FAILED,
        "Gave up after 3 attempts (the worker went silent).",
    )
    assert spent.finished_at is not None
    assert stopped.status == JudgeRun.Status.CANCELLED


def test_the_requeue_is_on_the_beat_schedule():
    from config.celery import app  # noqa: PLC0415 - the schedule lives with the Celery app
    from judges import tasks  # noqa: PLC0415

    entry = app.conf.beat_schedule["judge-runs-requeue-stalled"]
    assert entry["task"] == tasks.judge_runs_requeue_stalled.name
    assert entry["schedule"] == 60.0
