"""Quality API: per endpoint one success, one denial (outsiders get 404, wrong roles 403) and
one validation error (STYLE rule 41); business cases are in the service tests."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotator.models import Annotation, Item
from annotator.services.annotations import annotation_create, annotation_submit
from quality.models import ConsistencyFlag
from quality.services import agreement as agreement_service
from quality.services.agreement import agreement_recompute
from tests.factories import make_item, make_project, make_user
from tests.quality.conftest import span, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(project: Any, admin_user: Any, annotator_user: Any, reviewer_user: Any) -> Any:
    item = make_item(project, "q1")
    scores = [{"response": 0, "criterion": "factuality", "score": 5}]
    first = submit(item, annotator_user, spans=[span(0, 0, 5, severity=2)], rubric_scores=scores)
    second = submit(item, admin_user, spans=[span(0, 0, 7)])
    return {"project": project, "item": item, "first": first, "second": second}


def url(project: Any, path: str) -> str:
    return f"/api/v1/projects/{project.pk}/quality/{path}"


def test_settings_read_and_update(setup, client_for, admin_user, annotator_user, outsider):
    project = setup["project"]
    assert client_for(annotator_user).get(url(project, "settings/")).json()["gold_rate"] == 0.0
    admin = client_for(admin_user)
    response = admin.patch(url(project, "settings/"), {"gold_rate": 0.2}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["gold_rate"] == 0.2
    bad = admin.patch(url(project, "settings/"), {"gold_rate": 2}, format="json")
    assert bad.status_code == 400
    assert "gold_rate" in bad.json()["errors"][0]["field"]
    denied = client_for(annotator_user).patch(url(project, "settings/"), {"gold_rate": 0.1})
    assert denied.status_code == 403
    assert client_for(outsider).get(url(project, "settings/")).status_code == 404


def test_agreement_read_and_recompute(
    setup,
    client_for,
    researcher_user,
    annotator_user,
    outsider,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    project = setup["project"]
    client = client_for(researcher_user)
    empty = client.get(url(project, "agreement/")).json()
    assert empty["snapshot"] is None
    assert empty["stale"] is True
    sent: list[int] = []
    monkeypatch.setattr(agreement_service.agreement_recompute_task, "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url(project, "agreement/recompute/")).status_code == 202
    assert sent == [project.pk]
    agreement_recompute(project=project)
    body = client.get(url(project, "agreement/")).json()
    assert body["stale"] is False
    assert body["report"]["spans"]["by_error_type"][-1]["error_type"] == "(all)"
    assert len(body["history"]) == 1
    (irrelevant,) = body["series"]["by_error_type"]
    assert irrelevant["error_type"] == "irrelevant"
    assert irrelevant["f1"] == [body["report"]["spans"]["by_error_type"][0]["f1"]]
    people = {r["name"]: r for r in body["series"]["by_annotator"]}
    assert set(people) == {"alice", "anna"}
    assert people["anna"]["pairs"] == [1]
    (anna,) = (r for r in body["report"]["annotators"] if r["name"] == "anna")
    assert anna["span_alpha_unitizing"] is not None
    assert people["anna"]["span_alpha_unitizing"] == [anna["span_alpha_unitizing"]]
    assert client_for(annotator_user).post(url(project, "agreement/recompute/")).status_code == 403
    assert client_for(outsider).get(url(project, "agreement/")).status_code == 404


def test_agreement_history_is_read_without_the_reports(setup, client_for, researcher_user):
    """Only the latest snapshot's report is read; the history comes from the small columns."""
    project = setup["project"]
    for _ in range(3):
        agreement_recompute(project=project, force=True)
    with CaptureQueriesContext(connection) as queries:
        body = client_for(researcher_user).get(url(project, "agreement/")).json()
    assert len(body["history"]) == 3
    assert all(len(r["span_f1"]) == 3 for r in body["series"]["by_annotator"])
    reads = [q["sql"] for q in queries if 'FROM "quality_agreementsnapshot"' in q["sql"]]
    assert len(reads) == 2, reads  # the latest, and the history
    assert sum('"quality_agreementsnapshot"."report"' in sql for sql in reads) == 1


def test_agreement_is_not_stale_after_a_draft_save(setup, client_for, researcher_user):
    project = setup["project"]
    agreement_recompute(project=project)
    client = client_for(researcher_user)
    draft, _ = annotation_create(
        item=setup["item"], author=researcher_user, client_id=uuid.uuid4(),
        units={"spans": [span(0, 1, 3)]},
    )  # fmt: skip
    assert client.get(url(project, "agreement/")).json()["stale"] is False
    annotation_submit(annotation=draft, version=draft.version)
    assert client.get(url(project, "agreement/")).json()["stale"] is True


def test_review_queue_next_item_and_consensus(
    setup, client_for, reviewer_user, annotator_user, outsider
):
    project, item = setup["project"], setup["item"]
    reviewer = client_for(reviewer_user)
    queue = reviewer.get(url(project, "review-queue/")).json()
    assert [r["id"] for r in queue["results"]] == [item.pk]
    assert queue["results"][0]["pending"] is True
    assert reviewer.get(url(project, "review-queue/?state=nope")).status_code == 400
    assert client_for(annotator_user).get(url(project, "review-queue/")).status_code == 403
    leased = reviewer.post(url(project, "review-queue/next/"))
    assert leased.status_code == 200
    assert leased.json()["item"]["id"] == item.pk
    view = reviewer.get(url(project, f"items/{item.pk}/review/")).json()
    assert {a["id"] for a in view["annotations"]} == {setup["first"].pk, setup["second"].pk}
    assert view["proposal"]["spans"][0]["start"] == 0
    bad = reviewer.post(
        url(project, f"items/{item.pk}/consensus/"),
        {"based_on": None, "spans": [span(0, 0, 500)]},
        format="json",
    )
    assert bad.status_code == 400
    saved = reviewer.post(
        url(project, f"items/{item.pk}/consensus/"),
        {"based_on": None, "spans": view["proposal"]["spans"], "sources": [setup["first"].pk]},
        format="json",
    )
    assert saved.status_code == 201, saved.json()
    assert saved.json()["status"] == "accepted"
    assert saved.json()["metadata"]["consensus"] is True
    again = reviewer.post(
        url(project, f"items/{item.pk}/consensus/"), {"based_on": None}, format="json"
    )
    assert again.status_code == 409
    assert reviewer.post(url(project, "review-queue/next/")).status_code == 204
    other = make_project(admin=make_user("zed"))
    foreign = make_item(other, "x")
    assert reviewer.get(url(project, f"items/{foreign.pk}/review/")).status_code == 404
    assert client_for(outsider).get(url(project, "review-queue/")).status_code == 404


def test_gold_items(setup, client_for, admin_user, annotator_user, outsider):
    project, item = setup["project"], setup["item"]
    admin = client_for(admin_user)
    body = {"item": item.pk, "annotation": setup["first"].pk}
    created = admin.post(url(project, "gold/"), body, format="json")
    assert created.status_code == 201, created.json()
    assert Item.objects.get(pk=item.pk).is_gold
    listing = admin.get(url(project, "gold/")).json()
    assert listing["items"][0]["author"] == "anna"
    assert [r["name"] for r in listing["accuracy"]] == ["alice"]
    other = make_item(project, "q2")
    wrong = admin.post(url(project, "gold/"), {"item": other.pk, "annotation": setup["first"].pk})
    assert wrong.status_code == 400
    assert client_for(annotator_user).post(url(project, "gold/"), body).status_code == 403
    assert admin.delete(url(project, f"gold/{item.pk}/")).status_code == 204
    assert not Item.objects.get(pk=item.pk).is_gold
    assert client_for(outsider).get(url(project, "gold/")).status_code == 404


def test_consistency_flags(setup, client_for, reviewer_user, annotator_user, outsider):
    project = setup["project"]
    agreement_recompute(project=project)
    reviewer = client_for(reviewer_user)
    flags = reviewer.get(url(project, "flags/?status=open")).json()["results"]
    assert [(f["author"], f["kind"]) for f in flags] == [("anna", "rubric_vs_spans")]
    flag_url = url(project, f"flags/{flags[0]['id']}/status/")
    assert reviewer.post(flag_url, {"status": "maybe"}).status_code == 400
    assert client_for(annotator_user).post(flag_url, {"status": "dismissed"}).status_code == 403
    done = reviewer.post(flag_url, {"status": "dismissed"}, format="json")
    assert done.json()["status"] == "dismissed"
    assert ConsistencyFlag.objects.get().resolved_by == reviewer_user
    assert reviewer.get(url(project, "flags/?status=bogus")).status_code == 400
    assert client_for(outsider).get(url(project, "flags/")).status_code == 404
    assert Annotation.objects.count() == 2
