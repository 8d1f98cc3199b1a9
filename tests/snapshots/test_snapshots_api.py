"""Snapshot API: create → poll → download; errors, roles, token scopes, ETag."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pyarrow.parquet as pq
import pytest
from rest_framework.test import APIClient

from annotator.services.tokens import api_token_create
from snapshots.formats import FORMATS
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


@pytest.mark.parametrize(
    "query",
    [{"format": "spans"}, {"format": "stepwise", "neutral": "drop"}, {"format": "raw"},
     {"format": "preference", "style": "conversational"}],
)  # fmt: skip
def test_empty_snapshot_gives_valid_empty_files_of_every_type(project, admin_user, client_for,
                                                              query):  # fmt: skip
    client = client_for(admin_user)
    snap = create_and_build(client, project, {"filters": {"authors": "judges"}})
    assert (snap["status"], snap["record_count"]) == ("succeeded", 0)
    assert snap["manifest"]["files"][0]["records"] == 0
    columns = [name for name, _ in FORMATS[query["format"]].columns(
        FORMATS[query["format"]].parse_params(query))]  # fmt: skip
    export = url(project, f"{snap['id']}/export/")
    parquet = client.get(export, {**query, "file_type": "parquet"})
    assert parquet.status_code == 200
    table = pq.read_table(io.BytesIO(body(parquet)))
    assert (table.num_rows, table.column_names) == (0, columns)
    text = body(client.get(export, {**query, "file_type": "csv"})).decode()
    assert list(csv.reader(io.StringIO(text))) == [columns]
    page = client.get(url(project, f"{snap['id']}/records/"), query).json()
    assert (page["results"], page["next_offset"]) == ([], None)


def test_csv_download_neutralises_formula_cells(project, admin_user, annotator_user, client_for):
    from tests.factories import make_item  # noqa: PLC0415
    from tests.snapshots.conftest import annotate  # noqa: PLC0415

    texts = ("=1+1 is two.", "@SUM(A1) no.", "-2 is less.", "+3 more.")
    item = make_item(project, "=cmd|' /C calc'!A0", texts=texts)
    annotate(item, author=annotator_user, preferences=[
        {"response_a": 0, "response_b": 1, "value": -2},
        {"response_a": 2, "response_b": 3, "value": 1},
    ])  # fmt: skip
    client = client_for(admin_user)
    snap = create_and_build(client, project)
    response = client.get(url(project, f"{snap['id']}/export/"),
                          {"format": "preference", "file_type": "csv"})  # fmt: skip
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].endswith(f'snapshot-{snap["id"]}-preference.csv"')
    rows = list(csv.DictReader(io.StringIO(body(response).decode())))
    cells = [(r["chosen"], r["rejected"], r["item_external_id"], r["margin"]) for r in rows]
    assert cells == [
        ("'=1+1 is two.", "'@SUM(A1) no.", "'=cmd|' /C calc'!A0", "2.0"),
        ("'+3 more.", "'-2 is less.", "'=cmd|' /C calc'!A0", "1.0"),
    ]


@pytest.mark.parametrize("file_type", ["jsonl", "csv", "parquet"])
def test_downloads_stream_without_reading_the_whole_snapshot(
    project, admin_user, client_for, labelled, monkeypatch, file_type
):
    """An endless snapshot still gives a first chunk, and a page of paged JSON: nothing
    collects the records in a list."""
    from snapshots.services import exports  # noqa: PLC0415

    client = client_for(admin_user)
    snap = create_and_build(client, project)
    real = exports.snapshot_records
    read = [0]

    def endless(snapshot: Any) -> Any:
        (first,) = list(real(snapshot))
        while True:
            read[0] += 1
            if read[0] > 100_000:
                raise AssertionError("the export read the snapshot to its end")
            yield json.loads(json.dumps(first))

    monkeypatch.setattr(exports, "snapshot_records", endless)
    response = client.get(url(project, f"{snap['id']}/export/"),
                          {"format": "spans", "file_type": file_type})  # fmt: skip
    assert response.status_code == 200
    assert response.streaming
    chunk = next(iter(response.streaming_content))
    assert chunk
    assert read[0] <= 20_000  # one CHUNK_BYTES of text, or one Parquet row group
    read[0] = 0
    page = client.get(url(project, f"{snap['id']}/records/"), {"format": "raw", "limit": 2}).json()
    assert (len(page["results"]), page["next_offset"]) == (2, 2)
    assert read[0] <= 3
