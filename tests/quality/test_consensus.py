"""Review and consensus: the item review view (differences), saving a consensus (versioned,
409 on a race), and the ``consensus`` snapshot policy that exports it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from annotator.models import Annotation
from core.exceptions import ApplicationError, Conflict
from quality.selectors.review import item_review
from quality.services.consensus import consensus_current, consensus_save
from snapshots.aggregation import consensus as consensus_policy
from snapshots.services.snapshots import snapshot_build, snapshot_create
from tests.quality.conftest import span, submit


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def disputed(trio: dict[str, Any]) -> dict[str, Any]:
    """i1: ann1 and ann2 agree on [0, 5) irrelevant; ann3 marks [0, 8) (same cluster) and a
    wrong-grounding span nobody else marks. Steps disagree on step 1."""
    item = trio["make_item"]("i1")
    a1 = submit(item, trio["ann1"], spans=[span(0, 0, 5, severity=2)],
                steps=[{"response": 2, "step_index": 1, "rating": 1}])  # fmt: skip
    a2 = submit(item, trio["ann2"], spans=[span(0, 0, 5, severity=1)],
                steps=[{"response": 2, "step_index": 1, "rating": 1}])  # fmt: skip
    a3 = submit(item, trio["ann3"],
                spans=[span(0, 0, 8, severity=2), span(1, 3, 9, "wrong-grounding")],
                steps=[{"response": 2, "step_index": 1, "rating": -1}])  # fmt: skip
    return {**trio, "item": item, "a1": a1, "a2": a2, "a3": a3}


@pytest.mark.django_db
def test_review_view_marks_agreed_and_disputed_units(disputed):
    view = item_review(project=disputed["project"], item=disputed["item"])
    marks = {a["id"]: a for a in view["annotations"]}
    assert [m["agreed"] for m in marks[disputed["a1"].pk]["spans"]] == [True]
    assert [m["agreed"] for m in marks[disputed["a3"].pk]["spans"]] == [True, False]
    assert marks[disputed["a3"].pk]["steps_disputed"] == [True]
    kept = [c for c in view["clusters"] if c["kept"]]
    assert [(c["error_type"], c["merged"]) for c in kept] == [
        ("irrelevant", {"start": 0, "end": 5})
    ]
    # The proposal is the consensus rule: [0, 5) by 3 of 3, severity lower median of 2, 1, 2.
    assert view["proposal"]["spans"] == [
        {"response": 0, "start": 0, "end": 5, "error_type": "irrelevant", "severity": 2,
         "comment": ""}
    ]  # fmt: skip
    assert view["proposal"]["steps"][0]["rating"] == 1
    assert view["agreement"]["annotators"] == 3
    assert view["consensus"] is None


@pytest.mark.django_db
def test_consensus_is_saved_accepted_and_replaced_with_its_version(disputed, reviewer_user):
    project, item = disputed["project"], disputed["item"]
    units = {"spans": [span(0, 0, 5, severity=2)]}
    first = consensus_save(project=project, item=item, reviewer=reviewer_user, units=units,
                           based_on=None, based_on_version=None,
                           sources=[disputed["a1"].pk, disputed["a2"].pk])  # fmt: skip
    assert first.status == "accepted"
    assert first.judge.name == "consensus"
    assert first.metadata["consensus"] is True
    assert first.metadata["reviewer"] == "rita"
    assert first.reviewed_by == reviewer_user
    item.refresh_from_db()
    assert item.annotation_count == 3  # a consensus is not a human annotation
    with pytest.raises(Conflict):  # someone else's consensus is newer than what we saw
        consensus_save(project=project, item=item, reviewer=reviewer_user, units=units,
                       based_on=None, based_on_version=None)  # fmt: skip
    with pytest.raises(Conflict):  # stale version of the right one
        consensus_save(project=project, item=item, reviewer=reviewer_user, units=units,
                       based_on=first.pk, based_on_version=first.version - 1)  # fmt: skip
    second = consensus_save(
        project=project, item=item, reviewer=reviewer_user,
        units={"spans": [span(0, 0, 8, severity=2)]},
        based_on=first.pk, based_on_version=first.version,
    )  # fmt: skip
    assert Annotation.objects.get(pk=first.pk).status == "rejected"
    assert consensus_current(project=project, item=item) == second
    assert second.metadata["supersedes"] == first.pk
    with pytest.raises(ApplicationError):
        consensus_save(project=project, item=item, reviewer=reviewer_user,
                       units={"spans": [span(0, 0, 999)]},
                       based_on=second.pk, based_on_version=second.version)  # fmt: skip
    assert consensus_current(project=project, item=item) == second  # nothing half-applied


def read_records(snapshot: Any) -> list[dict[str, Any]]:
    folder = Path(django_settings.MEDIA_ROOT) / snapshot.directory
    return [json.loads(line) for line in (folder / "records.jsonl").read_text().splitlines()]


@pytest.mark.django_db
def test_consensus_snapshot_policy_prefers_the_reviewer_then_the_rule(disputed, reviewer_user):
    project = disputed["project"]
    other = disputed["make_item"]("i2")
    submit(other, disputed["ann1"], spans=[span(0, 10, 20)])
    submit(other, disputed["ann2"], spans=[span(0, 12, 22)])  # Jaccard 8/12 ≥ 0.5
    consensus_save(project=project, item=disputed["item"], reviewer=reviewer_user,
                   units={"spans": [span(0, 1, 6)]}, based_on=None,
                   based_on_version=None)  # fmt: skip
    snapshot = snapshot_create(project=project, created_by=reviewer_user,
                               aggregation="consensus", enqueue=False)  # fmt: skip
    snapshot_build(snapshot_id=snapshot.pk)
    snapshot.refresh_from_db()
    records = {r["item"]["external_id"]: r for r in read_records(snapshot)}
    (reviewed,) = records["i1"]["annotations"]
    assert reviewed["metadata"]["consensus"] is True
    assert [(s["start"], s["end"]) for s in reviewed["spans"]] == [(1, 6)]
    (ruled,) = records["i2"]["annotations"]
    assert ruled["author"] == {"kind": "aggregate", "id": None, "name": "consensus"}
    # Both voters' spans are in one cluster; characters marked by both: [12, 20).
    assert [(s["response"], s["start"], s["end"]) for s in ruled["spans"]] == [(0, 12, 20)]
    assert snapshot.manifest["aggregation"] == "consensus"


def test_consensus_policy_counts_a_person_as_a_voter_on_every_text_response():
    """Two people; only one marks response 1: 1 of 2 voters is no majority (the ``majority``
    policy would count one voter there and keep it)."""

    def annotation(pk: int, spans: list[dict[str, Any]]) -> dict[str, Any]:
        return {"id": pk, "status": "submitted", "version": 1,
                "author": {"kind": "human", "id": pk, "name": f"u{pk}"},
                "taxonomy_version": 1, "rubric_version": 1, "created_at": "2026-01-01T00:00:00",
                "submitted_at": None, "reviewed_at": None, "reviewed_by": None,
                "time_spent_ms": 0, "metadata": {}, "source_annotations": [pk],
                "spans": spans, "steps": [], "regions": [], "rubric_scores": [],
                "preferences": [], "critiques": [], "missing_info": []}  # fmt: skip

    def s(response: int, start: int, end: int) -> dict[str, Any]:
        return {"response": response, "start": start, "end": end, "error_type": "x",
                "severity": None, "comment": "", "confidence": None}  # fmt: skip

    record = {
        "item": {"external_id": "q"},
        "responses": [{"index": 0, "kind": "text"}, {"index": 1, "kind": "text"}],
        "annotations": [annotation(1, [s(0, 0, 4), s(1, 0, 4)]), annotation(2, [s(0, 0, 4)])],
    }
    merged, dropped = consensus_policy(record)  # type: ignore[arg-type]
    assert [(x["response"], x["start"], x["end"]) for x in merged["annotations"][0]["spans"]] == [
        (0, 0, 4)
    ]
    assert dropped == 0
