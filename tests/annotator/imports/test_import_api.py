"""The imports endpoints: upload (inline or queued), list, detail, permissions, limits."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotator.models import Item
from annotator.services import imports as import_service
from tests.annotator.imports.helpers import jsonl, record
from tests.factories import make_project

pytestmark = pytest.mark.django_db


def url(project: Any, suffix: str = "") -> str:
    return f"/api/v1/projects/{project.pk}/imports/{suffix}"


def post(client: Any, project: Any, content: bytes, name: str = "items.jsonl", **extra: Any):
    body = {"file": SimpleUploadedFile(name, content), **extra}
    return client.post(url(project), body, format="multipart")


def test_admin_upload_is_imported_at_once_and_listed(project, admin_user, client_for):
    client = client_for(admin_user)
    response = post(client, project, jsonl(record("a"), record("b")))

    assert response.status_code == 201, response.json()
    job = response.json()
    assert (job["status"], job["format"], job["file_name"]) == ("succeeded", "jsonl", "items.jsonl")
    assert (job["total"], job["processed"], job["created_count"]) == (2, 2, 2)
    assert (job["errors"], job["error_count"], job["created_by"]) == ([], 0, "alice")
    assert Item.objects.filter(project=project).count() == 2

    listed = client.get(url(project)).json()["results"]
    assert [j["id"] for j in listed] == [job["id"]]
    assert client.get(url(project, f"{job['id']}/")).json()["created_count"] == 2


def test_bad_upload_gets_400_with_line_errors_and_stores_nothing(project, admin_user, client_for):
    rows = [record("a"), record("b"), {**record("c"), "is_gold": "no"}]
    response = post(client_for(admin_user), project, jsonl(*rows), format="jsonl")

    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == [
        {"line": 3, "field": "is_gold", "message": "Must be true or false, not a string."}
    ]
    assert body["detail"].startswith("line 3, is_gold:")
    assert not Item.objects.filter(project=project).exists()
    failed = client_for(admin_user).get(url(project, f"{body['job_id']}/")).json()
    assert (failed["status"], failed["error_count"]) == ("failed", 1)


def test_unknown_format_gets_400_listing_the_valid_ones(project, admin_user, client_for):
    client = client_for(admin_user)
    response = post(client, project, jsonl(record("a")), format="xml")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "format"
    assert "json, jsonl, csv, qa-feedback" in response.json()["detail"]

    unknown_extension = post(client, project, jsonl(record("a")), name="items.txt")
    assert unknown_extension.status_code == 400
    assert "json, jsonl, csv, qa-feedback" in unknown_extension.json()["detail"]


def test_upload_over_the_limit_gets_413_naming_it(project, admin_user, client_for, settings):
    settings.FINEGRAIN_MAX_UPLOAD = 300
    response = post(client_for(admin_user), project, b"x" * 400)
    assert response.status_code == 413
    assert response.json()["limit"] == 300
    assert "the limit is 300 bytes" in response.json()["detail"]


def test_large_upload_is_queued_with_202(
    project, admin_user, client_for, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.FINEGRAIN_IMPORT_INLINE_MAX_BYTES = 10
    sent: list[int] = []
    monkeypatch.setattr(import_service.import_job_execute_task, "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client_for(admin_user), project, jsonl(record("a")))
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert sent == [response.json()["id"]]


@pytest.mark.parametrize("role_user", ["annotator_user", "reviewer_user", "researcher_user"])
def test_non_admins_get_403(project, client_for, request, role_user):
    client = client_for(request.getfixturevalue(role_user))
    assert post(client, project, jsonl(record("a"))).status_code == 403
    assert client.get(url(project)).status_code == 403
    assert not Item.objects.exists()


def test_other_projects_are_404(project, admin_user, outsider, client_for):
    elsewhere = make_project(admin=outsider)
    client = client_for(admin_user)
    assert post(client, elsewhere, jsonl(record("a"))).status_code == 404
    assert client.get(url(elsewhere)).status_code == 404
    theirs = post(client_for(outsider), elsewhere, jsonl(record("a"))).json()["id"]
    assert client.get(url(project, f"{theirs}/")).status_code == 404
    assert client_for(outsider).get(url(project)).status_code == 404
