"""A judge run through a real Celery worker process (tests/integration/conftest.py)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from annotator.models import Annotation
from judges.models import JudgeRun, ProjectJudgePolicy
from judges.services.configs import judge_create
from judges.services.runs import judge_run_create
from tests.factories import make_project, make_user
from tests.integration.conftest import celery_worker  # noqa: F401 - the fixture
from tests.judges.conftest import case_item

pytestmark = pytest.mark.integration
POLL_TIMEOUT_S = 60


def test_worker_runs_a_judge_against_the_loopback_server(
    celery_worker: Any,  # noqa: F811
    transactional_db: Any,
    fake_openai: Any,
) -> None:
    admin = make_user("alice")
    project = make_project(admin=admin)
    # The allowlist lives in the database here: the worker process has its own settings.
    ProjectJudgePolicy.objects.create(project=project, allowed_hosts=["127.0.0.1"])
    items = [case_item(project, "valid", external_id=f"w{i}") for i in range(3)]
    config = {"base_url": fake_openai.url, "model": "m", "max_concurrency": 2}
    judge = judge_create(project=project, name="gpt", kind="openai", config=config)

    run = judge_run_create(judge=judge, task="spans")  # enqueued on commit (autocommit here)

    deadline = time.monotonic() + POLL_TIMEOUT_S
    while True:
        run.refresh_from_db()
        if run.status in (JudgeRun.Status.SUCCEEDED, JudgeRun.Status.FAILED):
            break
        if time.monotonic() > deadline:
            pytest.fail(f"run still {run.status} after {POLL_TIMEOUT_S}s:\n{celery_worker.log()}")
        time.sleep(0.2)
    assert run.status == JudgeRun.Status.SUCCEEDED, run.error
    assert (run.processed, run.succeeded_count) == (3, 3)
    assert Annotation.objects.filter(judge=judge, item__in=items).count() == 3
    assert len(fake_openai.requests) == 3
