"""Bulk machine annotations: thousands in one request, all or nothing, idempotent."""

from __future__ import annotations

import uuid

import pytest

from annotator.models import Annotation, Item, Response, SpanLabel

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_items(project):
    items = Item.objects.bulk_create(
        [Item(project=project, external_id=f"b{i}", prompt="p") for i in range(300)]
    )
    Response.objects.bulk_create(
        [
            Response(item=it, index=j, text=f"Answer {j} for item {it.pk}.")
            for it in items
            for j in range(2)
        ]
    )
    return items


def entries(items, **override):
    return [
        {
            "item": it.pk,
            "client_id": str(uuid.uuid5(uuid.NAMESPACE_OID, f"judge-{it.pk}")),
            "spans": [
                {"response": 0, "start": 0, "end": 6, "error_type": "irrelevant", "confidence": 0.8}
            ],
            "preferences": [{"response_a": 0, "response_b": 1, "value": -2}],
            **override,
        }
        for it in items
    ]


def test_bulk_creates_all_and_replays(project, many_items, admin_user, client_for):
    client = client_for(admin_user)
    judge = client.post(
        f"/api/v1/projects/{project.pk}/judges/",
        {"name": "gpt-judge", "model_name": "m", "kind": "openai"},
        format="json",
    ).json()
    body = {"judge": judge["id"], "annotations": entries(many_items)}
    first = client.post(f"/api/v1/projects/{project.pk}/annotations/bulk/", body, format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["created"] == 300
    assert SpanLabel.objects.count() == 300
    assert Annotation.objects.filter(judge_id=judge["id"], status="submitted").count() == 300
    again = client.post(f"/api/v1/projects/{project.pk}/annotations/bulk/", body, format="json")
    assert again.json() == {"created": 0, "existing": 300, "ids": first.json()["ids"]}
    assert Annotation.objects.count() == 300
    listed = client.get(
        f"/api/v1/projects/{project.pk}/annotations/?source=machine&page_size=5"
    ).json()
    assert listed["results"][0]["judge"]["name"] == "gpt-judge"
    assert listed["results"][0]["author"] is None


def test_one_bad_entry_rejects_the_batch(project, many_items, admin_user, client_for):
    client = client_for(admin_user)
    judge = client.post(
        f"/api/v1/projects/{project.pk}/judges/", {"name": "j"}, format="json"
    ).json()
    batch = entries(many_items)
    batch[250]["spans"][0]["end"] = 10_000
    response = client.post(
        f"/api/v1/projects/{project.pk}/annotations/bulk/",
        {"judge": judge["id"], "annotations": batch},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "annotations[250].spans[0].end"
    assert Annotation.objects.count() == 0
    assert SpanLabel.objects.count() == 0


def test_annotators_cannot_bulk_write(project, many_items, annotator_user, client_for):
    response = client_for(annotator_user).post(
        f"/api/v1/projects/{project.pk}/annotations/bulk/",
        {"judge": 1, "annotations": entries(many_items[:1])},
        format="json",
    )
    assert response.status_code == 403


def test_unknown_judge_is_named(project, many_items, admin_user, client_for):
    response = client_for(admin_user).post(
        f"/api/v1/projects/{project.pk}/annotations/bulk/",
        {"judge": 999, "annotations": entries(many_items[:1])},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "judge"
