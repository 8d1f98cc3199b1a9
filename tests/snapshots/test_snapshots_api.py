"""Snapshot API: create → poll → download; errors, roles, token scopes, ETag."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from annotator.services.tokens import api_token_create
from snapshots.services.snapshots import snapshot_build
from tests.factories import make_project

pytestmark = pytest.mark.django_db


def url(project: Any, rest: str = "") -> str:
    return f"/api/v1/projects/{project.pk}/snapshots/{rest}"


def token_client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def create_and_build(client: APIClient, project: Any, body: dict | None = None) -> dict:
    response = client.post(url(project), body or {}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    snapshot_build(snapshot_id=response.json()["id"])  # what the worker does
    polled = client.get(url(project, f"{response.json()['id']}/"))
    assert polled.status_code == 200
    return polled.json()


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_researcher_creates_polls_and_downloads(project, researcher_user, client_for, labelled):
    client = client_for(researcher_user)
    snap = create_and_build(client, project, {"name": "v1", "aggregation": "all",
                                              "filters": {"authors": "humans"}})  # fmt: skip
    assert snap["status"] == "succeeded"
    assert snap["progress"] == {"processed": 2, "total": 2}
    assert snap["manifest"]["counts"]["annotations"] == 2
    assert snap["created_by"] == "rob"
    response = client.get(url(project, f"{snap['id']}/export/"), {"format": "spans"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-ndjson")
    assert response["Content-Disposition"] == (
        f'attachment; filename="snapshot-{snap["id"]}-spans.jsonl"'
    )
    lines = [json.loads(line) for line in body(response).decode().splitlines()]
    assert {line["spans"][0]["annotator"] for line in lines if line["spans"]} == {"anna", "rita"}


def test_etag_depends_on_params_and_if_none_match_gives_304(project, admin_user, client_for,
                                                             labelled):  # fmt: skip
    client = client_for(admin_user)
    snap = create_and_build(client, project)
    export = url(project, f"{snap['id']}/export/")
    first = client.get(export, {"format": "stepwise", "neutral": "drop"})
    etag = first["ETag"]
    assert first["X-Finegrain-Export"] == "neutral=drop, truncate=none"
    assert client.get(export, {"format": "stepwise", "neutral": "true"})["ETag"] != etag
    again = client.get(export, {"format": "stepwise", "neutral": "drop"}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["ETag"] == etag


@pytest.mark.parametrize(
    ("params", "field", "valid"),
    [
        ({"format": "trl"}, "format", "preference"),
        ({}, "format", "spans"),
        ({"format": "spans", "file_type": "xlsx"}, "file_type", "parquet"),
        ({"format": "stepwise"}, "neutral", "drop"),
        ({"format": "stepwise", "neutral": "maybe"}, "neutral", "false"),
        ({"format": "preference", "ties": "coin"}, "ties", "keep"),
        ({"format": "preference", "nuetral": "drop"}, "nuetral", "ties"),
        ({"format": "unpaired", "rule": "rubric"}, "min_score", None),
    ],
)
def test_bad_export_params_are_400_listing_valid_values(project, admin_user, client_for, labelled,
                                                        params, field, valid):  # fmt: skip
    client = client_for(admin_user)
    snap = create_and_build(client, project)
    response = client.get(url(project, f"{snap['id']}/export/"), params)
    assert response.status_code == 400
    data = response.json()
    assert data["errors"][0]["field"] == field
    if valid:
        assert valid in data["valid"]
        assert valid in data["detail"]


def test_bad_create_input_is_400_listing_valid_values(project, admin_user, client_for):
    client = client_for(admin_user)
    response = client.post(url(project), {"aggregation": "mean"}, format="json")
    assert response.status_code == 400
    assert "majority" in response.json()["detail"]
    response = client.post(url(project), {"filters": {"error_types": ["nope"]}}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "filters.error_types"


def test_export_before_the_build_is_409(project, admin_user, client_for):
    client = client_for(admin_user)
    created = client.post(url(project), {}, format="json").json()
    response = client.get(url(project, f"{created['id']}/export/"), {"format": "raw"})
    assert response.status_code == 409


def test_empty_snapshot_exports_an_empty_file(project, admin_user, client_for):
    client = client_for(admin_user)
    snap = create_and_build(client, project)
    assert snap["record_count"] == 0
    response = client.get(url(project, f"{snap['id']}/export/"), {"format": "raw"})
    assert response.status_code == 200
    assert body(response) == b""


def test_another_projects_snapshot_is_404(project, admin_user, client_for, labelled):
    client = client_for(admin_user)
    snap = create_and_build(client, project)
    other = make_project(admin=admin_user)
    for rest in (f"{snap['id']}/", f"{snap['id']}/export/?format=raw",
                 f"{snap['id']}/records/?format=raw"):  # fmt: skip
        assert client.get(url(other, rest)).status_code == 404
    assert client.get(url(project, "99999/")).status_code == 404


def test_annotators_cannot_use_snapshots_outsiders_get_404(project, annotator_user, outsider,
                                                           admin_user, client_for):  # fmt: skip
    snap = create_and_build(client_for(admin_user), project)
    annotator = client_for(annotator_user)
    assert annotator.post(url(project), {}, format="json").status_code == 403
    assert annotator.get(url(project, f"{snap['id']}/")).status_code == 403
    assert annotator.get(url(project, f"{snap['id']}/export/?format=raw")).status_code == 403
    assert client_for(outsider).get(url(project)).status_code == 404


def test_export_scoped_token_does_everything(project, researcher_user, labelled):
    _, secret = api_token_create(user=researcher_user, name="dl", scopes=["export"],
                                 projects=[project])  # fmt: skip
    client = token_client(secret)
    snap = create_and_build(client, project)
    assert client.get(url(project)).status_code == 200
    assert client.get(url(project, "formats/")).status_code == 200
    response = client.get(url(project, f"{snap['id']}/export/"),
                          {"format": "preference", "file_type": "parquet"})  # fmt: skip
    assert response.status_code == 200
    assert body(response)[:4] == b"PAR1"
    page = client.get(url(project, f"{snap['id']}/records/"), {"format": "spans"})
    assert page.status_code == 200
    # The export scope opens snapshots only: the rest of the API needs read/write.
    assert client.get(f"/api/v1/projects/{project.pk}/items/").status_code == 403


def test_read_and_write_scopes_do_not_open_exports(project, researcher_user):
    _, secret = api_token_create(user=researcher_user, name="rw", scopes=["read", "write"])
    client = token_client(secret)
    assert client.get(url(project)).status_code == 403
    assert client.post(url(project), {}, format="json").status_code == 403


def test_records_are_paginated_json(project, admin_user, client_for, labelled):
    client = client_for(admin_user)
    snap = create_and_build(client, project)
    records = url(project, f"{snap['id']}/records/")
    first = client.get(records, {"format": "spans", "limit": 2}).json()
    assert len(first["results"]) == 2
    assert first["next_offset"] == 2
    assert first["export"]["format"] == "spans"
    rest = client.get(records, {"format": "spans", "limit": 2, "offset": 2}).json()
    everything = client.get(records, {"format": "spans", "limit": 500}).json()
    assert first["results"] + rest["results"] == everything["results"][:4]
    assert client.get(records, {"format": "spans", "limit": 0}).status_code == 400


def test_list_and_formats(project, admin_user, client_for):
    client = client_for(admin_user)
    create_and_build(client, project)
    listed = client.get(url(project)).json()
    assert [s["status"] for s in listed["results"]] == ["succeeded"]
    formats = {f["name"]: f for f in client.get(url(project, "formats/")).json()}
    assert set(formats) >= {"preference", "stepwise", "unpaired", "spans", "dense", "rubric",
                            "raw", "qa-feedback", "prm800k"}  # fmt: skip
    neutral = next(p for p in formats["stepwise"]["params"] if p["name"] == "neutral")
    assert neutral["default"] is None


def test_paged_json_refuses_large_snapshots(project, admin_user, client_for, labelled, monkeypatch):
    from snapshots.api import views  # noqa: PLC0415

    monkeypatch.setattr(views, "RECORDS_MAX_ITEMS", 0)
    client = client_for(admin_user)
    snap = create_and_build(client, project)
    response = client.get(url(project, f"{snap['id']}/records/"), {"format": "raw"})
    assert response.status_code == 400
    assert "export/" in response.json()["detail"]
