"""A real worker process executes tasks enqueued by the web side (DESIGN.md section 4)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from celery.contrib.django.task import DjangoTask
from django.utils import timezone

from annotator.models import Assignment
from annotator.tasks import assignment_expire_stale
from config.celery import app
from tests.factories import make_item, make_project, make_user

POLL_TIMEOUT_S = 30

pytestmark = pytest.mark.integration


def test_worker_releases_expired_assignment(celery_worker: Any, transactional_db: Any) -> None:
    """The beat task, enqueued with .delay(), runs in the worker against the test database."""
    admin = make_user("alice")
    annotator = make_user("anna")
    project = make_project(admin=admin, anna="annotator")
    item = make_item(project)
    assignment = Assignment.objects.create(
        project=project,
        item=item,
        user=annotator,
        status=Assignment.Status.ACTIVE,
        expires_at=timezone.now() - timedelta(minutes=5),
    )

    assignment_expire_stale.delay()

    deadline = time.monotonic() + POLL_TIMEOUT_S
    while True:
        assignment.refresh_from_db()
        if assignment.status == Assignment.Status.RELEASED:
            break
        if time.monotonic() > deadline:
            pytest.fail(
                f"assignment still {assignment.status!r} after {POLL_TIMEOUT_S}s; worker log:\n"
                f"{celery_worker.log()}"
            )
        time.sleep(0.2)


def test_tasks_use_the_django_task_class() -> None:
    """Every Finegrain task has delay_on_commit (STYLE rule 28)."""
    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert ours, "no Finegrain tasks registered"
    assert issubclass(app.Task, DjangoTask)
    for name, task in ours.items():
        assert isinstance(task, DjangoTask), name
        assert callable(getattr(task, "delay_on_commit", None)), name
