"""Snapshot service: filters, aggregation policies, manifest, immutability, enqueueing."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from core.exceptions import ApplicationError
from snapshots.models import DatasetSnapshot, SnapshotJob
from snapshots.selectors.snapshots import snapshot_records
from snapshots.services.snapshots import snapshot_build, snapshot_create

pytestmark = pytest.mark.django_db


def build(project: Any, user: Any = None, **kwargs: Any) -> DatasetSnapshot:
    snapshot = snapshot_create(project=project, created_by=user, **kwargs)
    job = snapshot_build(snapshot_id=snapshot.pk)
    assert job.status == SnapshotJob.Status.SUCCEEDED, job.error
    snapshot.refresh_from_db()
    return snapshot


def authors(snapshot: DatasetSnapshot) -> list[tuple[str, str]]:
    return [(r["item"]["external_id"], a["author"]["name"])
            for r in snapshot_records(snapshot) for a in r["annotations"]]  # fmt: skip


def test_create_enqueues_the_build_on_commit(
    project, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        snapshot = snapshot_create(project=project, created_by=admin_user)
    assert snapshot.job.status == SnapshotJob.Status.QUEUED
    assert len(callbacks) == 1


def test_default_filter_reads_submitted_and_accepted_annotations(project, admin_user, labelled):
    snapshot = build(project, admin_user)
    assert authors(snapshot) == [("q1", "anna"), ("q1", "rita"), ("q1", "gpt-judge")]
    assert snapshot.counts["annotations"] == 3
    assert snapshot.counts["spans"] == 4
    assert snapshot.job.processed == snapshot.job.total == 3


def test_filters_select_authors_statuses_and_error_types(project, labelled, judge):
    humans = build(project, filters={"authors": "humans"})
    assert [a for _, a in authors(humans)] == ["anna", "rita"]
    judges = build(project, filters={"judge_ids": [judge.pk]})
    assert [a for _, a in authors(judges)] == ["gpt-judge"]
    ai_only = build(project, filters={"authors": "judges"})
    assert [a for _, a in authors(ai_only)] == ["gpt-judge"]
    one_user = build(project, filters={"usernames": ["rita"]})
    assert [a for _, a in authors(one_user)] == ["rita"]
    user_or_judge = build(project, filters={"usernames": ["anna"], "judge_ids": [judge.pk]})
    assert [a for _, a in authors(user_or_judge)] == ["anna", "gpt-judge"]
    drafts = build(project, filters={"statuses": ["draft"], "usernames": ["anna"]})
    assert authors(drafts) == [("q2", "anna")]
    typed = build(project, filters={"error_types": ["wrong-grounding"], "usernames": ["anna"]})
    (record,) = snapshot_records(typed)
    spans = record["annotations"][0]["spans"]
    assert [s["error_type"] for s in spans] == ["wrong-grounding"]
    assert record["annotations"][0]["steps"]  # other unit kinds are kept


def test_date_range_is_half_open(project, labelled):
    later = timezone.now() + timezone.timedelta(days=1)
    assert build(project, filters={"created_after": later.isoformat()}).record_count == 0
    assert build(project, filters={"created_before": later.isoformat()}).record_count == 1


def test_reviewed_policy_reads_accepted_only(project, labelled, reviewer_user):
    from annotator.models import Annotation  # noqa: PLC0415 (test-local)
    from annotator.services.annotations import annotation_review  # noqa: PLC0415

    anna = Annotation.objects.get(author__username="anna", item__external_id="q1")
    annotation_review(annotation=anna, reviewer=reviewer_user, decision="accepted",
                      version=anna.version)  # fmt: skip
    snapshot = build(project, aggregation="reviewed")
    assert authors(snapshot) == [("q1", "anna")]
    assert snapshot.filters["statuses"] == ["accepted"]
    (record,) = snapshot_records(snapshot)
    assert record["annotations"][0]["reviewed_by"] == "rita"


def test_majority_policy_gives_one_aggregate_per_item(project, labelled):
    snapshot = build(project, aggregation="majority", filters={"authors": "humans"})
    (record,) = snapshot_records(snapshot)
    (agg,) = record["annotations"]
    assert agg["author"]["kind"] == "aggregate"
    # anna [0,5) sev 2 and rita [2,8) sev 1 on response 0: [2,5) has 2 of 2 votes.
    assert [(s["start"], s["end"], s["severity"]) for s in agg["spans"]
            if s["error_type"] == "irrelevant"] == [(2, 5, 1)]  # fmt: skip
    assert sorted(agg["source_annotations"]) == agg["source_annotations"]


def test_empty_selection_builds_a_valid_empty_snapshot(project, admin_user):
    snapshot = build(project, admin_user, filters={"statuses": ["rejected"]})
    assert snapshot.record_count == 0
    assert list(snapshot_records(snapshot)) == []
    assert snapshot.manifest["counts"]["annotations"] == 0
    assert snapshot.sha256 == hashlib.sha256(b"").hexdigest()


def test_manifest_records_versions_policy_creator_and_file_hashes(project, admin_user, labelled,
                                                                  media_root):  # fmt: skip
    snapshot = build(project, admin_user, aggregation="all", name="v1")
    folder = Path(media_root) / snapshot.directory
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest == snapshot.manifest
    assert manifest["created_by"] == "alice"
    assert manifest["aggregation"] == "all"
    assert manifest["filters"]["statuses"] == ["accepted", "submitted"]
    assert [t["version"] for t in manifest["taxonomies"]] == [1]
    assert [r["version"] for r in manifest["rubrics"]] == [1]
    assert manifest["code_version"]
    (entry,) = manifest["files"]
    data = (folder / entry["name"]).read_bytes()
    assert entry["sha256"] == hashlib.sha256(data).hexdigest() == snapshot.sha256
    assert entry["bytes"] == len(data)


def test_a_built_snapshot_is_immutable(project, labelled, media_root):
    snapshot = build(project)
    folder = Path(media_root) / snapshot.directory
    assert not os.access(folder / "records.jsonl", os.W_OK) or os.geteuid() == 0
    assert (folder / "records.jsonl").stat().st_mode & 0o222 == 0
    again = snapshot_build(snapshot_id=snapshot.pk)  # a second delivery of the task
    assert again.status == SnapshotJob.Status.SUCCEEDED
    snapshot.refresh_from_db()
    assert (folder / "records.jsonl").read_bytes()
    assert hashlib.sha256((folder / "records.jsonl").read_bytes()).hexdigest() == snapshot.sha256


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"aggregation": "mode"}, "aggregation"),
        ({"filters": {"statuses": ["done"]}}, "filters.statuses"),
        ({"filters": {"authors": "robots"}}, "filters.authors"),
        ({"filters": {"usernames": ["nobody"]}}, "filters.usernames"),
        ({"filters": {"judge_ids": [999]}}, "filters.judge_ids"),
        ({"filters": {"error_types": ["typo"]}}, "filters.error_types"),
        ({"filters": {"created_after": "yesterday"}}, "filters.created_after"),
        ({"filters": {"colour": "red"}}, "filters"),
    ],
)
def test_bad_filters_name_the_field(project, kwargs, field):
    with pytest.raises(ApplicationError) as exc:
        snapshot_create(project=project, created_by=None, **kwargs)
    assert exc.value.field == field
