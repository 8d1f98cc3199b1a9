"""The annotation endpoints: create, replay, update, conflict, submit, review, visibility."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection

from annotator.models import Annotation, SpanLabel
from tests.factories import make_item

pytestmark = pytest.mark.django_db


def url(project: Any, suffix: str) -> str:
    return f"/api/v1/projects/{project.pk}/{suffix}"


def span_body(**extra: Any) -> dict[str, Any]:
    body = {
        "client_id": str(uuid.uuid4()),
        "spans": [
            {"response": 0, "start": 0, "end": 5, "error_type": "irrelevant", "severity": 2},
            {"response": 0, "start": 28, "end": 41, "error_type": "wrong-grounding"},
            {"response": 1, "start": 3, "end": 12, "error_type": "irrelevant", "text": "came out "},
        ],
    }
    body.update(extra)
    return body


def test_create_stores_spans_and_returns_them(project, item, annotator_user, client_for):
    client = client_for(annotator_user)
    response = client.post(
        url(project, f"items/{item.pk}/annotations/"), span_body(), format="json"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["author"] == "anna"
    assert data["status"] == "draft"
    assert data["version"] == 1
    assert data["taxonomy_version"] == 1
    assert [(sp["start"], sp["end"], sp["error_type"]) for sp in data["spans"]] == [
        (0, 5, "irrelevant"),
        (28, 41, "wrong-grounding"),
        (3, 12, "irrelevant"),
    ]
    texts = item.responses.order_by("index")
    stored = SpanLabel.objects.filter(annotation_id=data["id"]).select_related("response")
    quotes = sorted(s.response.text[s.start : s.end] for s in stored)
    assert quotes == sorted([texts[0].text[0:5], texts[0].text[28:41], "came out "])


def test_same_client_id_twice_gives_one_row_and_same_body(
    project, item, annotator_user, client_for
):
    client = client_for(annotator_user)
    body = span_body()
    first = client.post(url(project, f"items/{item.pk}/annotations/"), body, format="json")
    second = client.post(url(project, f"items/{item.pk}/annotations/"), body, format="json")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Annotation.objects.filter(item=item).count() == 1
    assert SpanLabel.objects.count() == 3


def test_second_annotation_by_same_user_is_409(project, item, annotator_user, client_for):
    client = client_for(annotator_user)
    first = client.post(url(project, f"items/{item.pk}/annotations/"), span_body(), format="json")
    again = client.post(url(project, f"items/{item.pk}/annotations/"), span_body(), format="json")
    assert again.status_code == 409
    assert again.json()["current_id"] == first.json()["id"]
    assert Annotation.objects.count() == 1
    assert SpanLabel.objects.count() == 3  # the refused insert left nothing behind


def test_a_save_costs_a_bounded_number_of_queries(
    project, item, annotator_user, client_for, django_assert_max_num_queries
):
    """Membership, the item with its responses (one query), then the transaction (a
    savepoint inside the test's): insert, units, count and assignment (one statement on
    PostgreSQL). Replays and conflicts are found by the unique constraints; the taxonomy's
    catalog is cached after the first save (on another item)."""
    client = client_for(annotator_user)
    warm = make_item(project, "warm-up")
    client.post(url(project, f"items/{warm.pk}/annotations/"), span_body(), format="json")
    with django_assert_max_num_queries(7 if connection.vendor == "postgresql" else 8):
        response = client.post(
            url(project, f"items/{item.pk}/annotations/"),
            span_body(status="submitted"),
            format="json",
        )
    assert response.status_code == 201


def test_stale_version_gets_409_with_current_state(project, item, annotator_user, client_for):
    client = client_for(annotator_user)
    created = client.post(url(project, f"items/{item.pk}/annotations/"), span_body(), format="json")
    aid = created.json()["id"]
    one_span = {
        "version": 1,
        "spans": [{"response": 0, "start": 0, "end": 3, "error_type": "irrelevant"}],
    }
    ok = client.put(url(project, f"annotations/{aid}/"), one_span, format="json")
    assert ok.status_code == 200
    assert ok.json()["version"] == 2
    assert len(ok.json()["spans"]) == 1
    stale = client.put(
        url(project, f"annotations/{aid}/"), {"version": 1, "spans": []}, format="json"
    )
    assert stale.status_code == 409
    body = stale.json()
    assert body["current"]["version"] == 2
    assert [sp["end"] for sp in body["current"]["spans"]] == [3]
    assert SpanLabel.objects.filter(annotation_id=aid).count() == 1


def test_submit_then_review_counts_item(project, item, annotator_user, reviewer_user, client_for):
    client = client_for(annotator_user)
    aid = client.post(
        url(project, f"items/{item.pk}/annotations/"), span_body(), format="json"
    ).json()["id"]
    submitted = client.post(
        url(project, f"annotations/{aid}/submit/"), {"version": 1}, format="json"
    )
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"
    item.refresh_from_db()
    assert item.annotation_count == 1
    # The author cannot review; a reviewer can.
    denied = client.post(
        url(project, f"annotations/{aid}/review/"),
        {"version": 2, "decision": "accepted"},
        format="json",
    )
    assert denied.status_code == 403
    reviewer = client_for(reviewer_user)
    rejected = reviewer.post(
        url(project, f"annotations/{aid}/review/"),
        {"version": 2, "decision": "rejected"},
        format="json",
    )
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    item.refresh_from_db()
    assert item.annotation_count == 0


def test_server_controlled_fields_are_ignored(
    project, item, annotator_user, admin_user, client_for
):
    client = client_for(annotator_user)
    body = span_body(author=admin_user.pk, version=7, project=999, status="accepted")
    response = client.post(url(project, f"items/{item.pk}/annotations/"), body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "status"
    body = span_body(author=admin_user.pk, version=7, project=999)
    response = client.post(url(project, f"items/{item.pk}/annotations/"), body, format="json")
    assert response.status_code == 201
    annotation = Annotation.objects.get()
    assert annotation.author == annotator_user
    assert annotation.version == 1
    assert annotation.project == project


def test_other_projects_ids_are_404(project, item, outsider, client_for):
    client = client_for(outsider)
    assert client.get(url(project, "items/")).status_code == 404
    assert client.get(url(project, f"items/{item.pk}/")).status_code == 404
    response = client.post(
        url(project, f"items/{item.pk}/annotations/"), span_body(), format="json"
    )
    assert response.status_code == 404
    assert Annotation.objects.count() == 0


def test_researcher_cannot_annotate(project, item, researcher_user, client_for):
    response = client_for(researcher_user).post(
        url(project, f"items/{item.pk}/annotations/"), span_body(), format="json"
    )
    assert response.status_code == 403


def test_annotators_see_only_their_own(project, item, annotator_user, reviewer_user, client_for):
    client_for(reviewer_user).post(
        url(project, f"items/{item.pk}/annotations/"), span_body(), format="json"
    )
    mine = client_for(annotator_user).get(url(project, "annotations/")).json()
    assert mine["results"] == []
    everyone = client_for(reviewer_user).get(url(project, "annotations/")).json()
    assert len(everyone["results"]) == 1


def test_a_submitted_save_completes_only_its_authors_assignment(
    project, item, annotator_user, reviewer_user, client_for
):
    """Count and assignment change together (one statement on PostgreSQL): the item counts
    one more annotation, the author's lease is completed, another holder's stays active."""
    from annotator.models import Assignment  # noqa: PLC0415
    from annotator.services.assignments import item_next_for_annotator  # noqa: PLC0415

    project.overlap = 2
    project.save(update_fields=["overlap"])
    assert item_next_for_annotator(project=project, user=annotator_user)[0] == item
    assert item_next_for_annotator(project=project, user=reviewer_user)[0] == item
    created = client_for(annotator_user).post(
        url(project, f"items/{item.pk}/annotations/"),
        span_body(status="submitted"),
        format="json",
    )
    assert created.status_code == 201
    item.refresh_from_db()
    assert item.annotation_count == 1
    statuses = dict(Assignment.objects.filter(item=item).values_list("user_id", "status"))
    assert statuses == {
        annotator_user.pk: Assignment.Status.COMPLETED,
        reviewer_user.pk: Assignment.Status.ACTIVE,
    }
