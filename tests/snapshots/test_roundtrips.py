"""Import then export gives back the upstream records: QA-FEEDBACK (the dev split in
shared/data) and PRM800K (a hand-written sample)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotator.importers.qa_feedback import qa_feedback_error_types
from annotator.services.imports import import_job_create
from annotator.services.projects import project_create
from annotator.services.taxonomy import (
    taxonomy_draft_create,
    taxonomy_publish,
    taxonomy_set_error_types,
)
from snapshots.formats import FORMATS
from snapshots.services.exports import export_records, export_request_parse
from snapshots.services.prm800k import prm800k_import
from snapshots.services.snapshots import snapshot_build, snapshot_create
from tests.paths import QA_FEEDBACK_DEV

pytestmark = pytest.mark.django_db

QA_DEV = QA_FEEDBACK_DEV
PRM_SAMPLE = Path(__file__).parent / "data" / "prm800k_sample.jsonl"


def exported(project: Any, fmt: str, **params: str) -> list[dict[str, Any]]:
    snapshot = snapshot_create(project=project, created_by=None, enqueue=False)
    assert snapshot_build(snapshot_id=snapshot.pk).status == "succeeded"
    snapshot.refresh_from_db()
    request = export_request_parse(snapshot=snapshot, query={"format": fmt, **params})
    return list(export_records(snapshot, request))


@pytest.fixture
def qa_project(admin_user: Any) -> Any:
    project = project_create(name="QA", created_by=admin_user)
    draft = taxonomy_draft_create(project=project)
    taxonomy_set_error_types(taxonomy=draft, error_types=qa_feedback_error_types())
    taxonomy_publish(taxonomy=draft)
    return project


def test_qa_feedback_dev_split_round_trips_field_for_field(qa_project, admin_user):
    data = QA_DEV.read_bytes()
    upload = SimpleUploadedFile("dev_feedback.json", data)
    job = import_job_create(project=qa_project, created_by=admin_user, upload=upload,
                            format="qa-feedback", run_inline=True)  # fmt: skip
    assert job.status == "succeeded", job.errors
    original = json.loads(data)
    records = exported(qa_project, "qa-feedback")
    assert len(records) == len(original) == 400
    for i, (mine, theirs) in enumerate(zip(records, original, strict=True)):
        assert list(mine) == list(theirs), i  # same fields, same order
        assert mine == theirs, i


def test_prm800k_sample_round_trips(admin_user):
    project = project_create(name="PRM", created_by=admin_user)
    lines = [json.loads(line) for line in PRM_SAMPLE.read_text().splitlines()]
    result = prm800k_import(project=project, data=PRM_SAMPLE.read_bytes())
    assert (result.items_created, result.annotations_created) == (2, 3)
    again = prm800k_import(project=project, data=PRM_SAMPLE.read_bytes())  # idempotent
    assert (again.items_created, again.items_unchanged, again.annotations_created) == (0, 2, 0)
    records = exported(project, "prm800k")
    key = lambda line: (line["labeler"], line["timestamp"])  # noqa: E731
    assert sorted(records, key=key) == sorted(lines, key=key)


def test_prm800k_import_feeds_the_stepwise_format(admin_user):
    project = project_create(name="PRM", created_by=admin_user)
    prm800k_import(project=project, data=PRM_SAMPLE.read_bytes())
    records = exported(project, "stepwise", neutral="false")
    labels = sorted((r["completions"], r["labels"]) for r in records)
    assert labels == [
        (["Divide numerator and denominator by 2.", "That gives $\\frac{3}{4}$."], [True, True]),
        (["Multiply first: $3 \\cdot 4 = 12$.", "Then $2 + 12 = 15$."], [True, False]),
        (["Multiply first: $3 \\cdot 4 = 12$.", "Then $2 + 12 = 15$."], [True, False]),
    ]


def test_bad_prm800k_lines_are_rejected_with_line_numbers(admin_user):
    from annotator.services.imports import ImportRejected  # noqa: PLC0415

    project = project_create(name="PRM", created_by=admin_user)
    bad = b'{"question": {"problem": 1}, "label": {"steps": []}}\nnot json\n'
    with pytest.raises(ImportRejected) as exc:
        prm800k_import(project=project, data=bad)
    assert [e["line"] for e in exc.value.errors] == [1, 2]


def test_format_registry_is_complete():
    assert {"qa-feedback", "prm800k"} <= set(FORMATS)
