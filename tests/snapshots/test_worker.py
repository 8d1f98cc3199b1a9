"""End to end through a real Celery worker: POST a snapshot, the worker builds it on the
exports queue, poll until it succeeds, download an export."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from tests.factories import make_item, make_project, make_user
from tests.snapshots.conftest import annotate
from tests.snapshots.test_snapshots_api import body, url

pytestmark = pytest.mark.integration
POLL_TIMEOUT_S = 60


def test_worker_builds_a_snapshot_requested_through_the_api(
    celery_worker: Any, transactional_db: Any, settings: Any, client_for: Any
) -> None:
    # The worker process writes under its own MEDIA_ROOT (the settings default): read there.
    settings.MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or django_settings.VAR_DIR / "media")
    admin = make_user("alice")
    annotator = make_user("anna")
    project = make_project(admin=admin, anna="annotator")
    item = make_item(project)
    annotate(item, author=annotator, spans=[{"response": 0, "start": 0, "end": 5,
                                             "error_type": "irrelevant"}])  # fmt: skip
    client = client_for(admin)
    created = client.post(url(project), {"filters": {"authors": "humans"}}, format="json")
    assert created.status_code == 202
    deadline = time.monotonic() + POLL_TIMEOUT_S
    while True:
        snap = client.get(url(project, f"{created.json()['id']}/")).json()
        if snap["status"] in ("succeeded", "failed"):
            break
        if time.monotonic() > deadline:
            pytest.fail(f"snapshot still {snap['status']}; worker log:\n{celery_worker.log()}")
        time.sleep(0.2)
    try:
        assert snap["status"] == "succeeded", snap["error"]
        assert snap["progress"] == {"processed": 1, "total": 1}
        response = client.get(url(project, f"{snap['id']}/export/"), {"format": "spans"})
        assert response.status_code == 200
        assert b'"error_type":"irrelevant"' in body(response)
    finally:
        folders = Path(settings.MEDIA_ROOT) / "snapshots" / str(project.pk)
        for folder in folders.glob(f"{snap['id']}-*"):
            shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(OSError):  # the project's folder, when nothing else is in it
            folders.rmdir()
