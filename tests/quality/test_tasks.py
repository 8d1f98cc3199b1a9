"""The quality tasks: named, queued, on the beat schedule, and thin wrappers of services."""

from __future__ import annotations

import pytest

from config.celery import CeleryQueue, app
from quality import tasks
from quality.models import AgreementSnapshot
from tests.factories import make_item
from tests.quality.conftest import span, submit


def test_tasks_are_named_queued_and_the_refresh_is_scheduled():
    assert tasks.agreement_recompute.name == "quality.agreement_recompute"
    route = app.amqp.router.route({}, tasks.agreement_recompute.name)
    assert route["queue"].name == CeleryQueue.DEFAULT
    assert hasattr(tasks.agreement_recompute, "delay_on_commit")
    entry = app.conf.beat_schedule["quality-agreement-refresh"]
    assert entry["task"] == "quality.agreement_refresh_due"
    assert entry["schedule"] == 60.0


@pytest.mark.django_db
def test_recompute_task_stores_a_snapshot_once(project, annotator_user, admin_user):
    item = make_item(project)
    submit(item, annotator_user, spans=[span(0, 0, 5)])
    submit(item, admin_user, spans=[span(0, 0, 5)])
    first = tasks.agreement_recompute(project.pk)
    assert first == AgreementSnapshot.objects.get().pk
    assert tasks.agreement_recompute(project.pk) is None  # nothing changed since
    assert tasks.agreement_recompute(10**9) is None  # a deleted project
