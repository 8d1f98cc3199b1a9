"""The snapshot admin lists rows and refuses edits."""

from __future__ import annotations

import pytest

from snapshots.services.snapshots import snapshot_build, snapshot_create
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_admin_lists_snapshots_and_jobs_read_only(client, project, labelled):
    snapshot = snapshot_create(project=project, created_by=None, enqueue=False)
    snapshot_build(snapshot_id=snapshot.pk)
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    for model in ("datasetsnapshot", "snapshotjob"):
        assert client.get(f"/admin/snapshots/{model}/").status_code == 200
        assert client.get(f"/admin/snapshots/{model}/add/").status_code == 403
