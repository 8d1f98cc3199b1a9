"""The ``rules`` kind on QA-FEEDBACK items (the committed demo sample), and its calibration
against the imported human feedback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files import File

from annotator.importers.qa_feedback import qa_feedback_error_types
from annotator.models import Annotation, SpanLabel
from annotator.services.imports import import_job_create
from annotator.services.projects import project_create
from annotator.services.taxonomy import (
    taxonomy_draft_create,
    taxonomy_publish,
    taxonomy_set_error_types,
)
from core.agreement import PRF
from judges.models import JudgeRun
from judges.services.calibration import judge_calibration_compute
from judges.services.configs import judge_create
from judges.services.execution import judge_run_execute
from judges.services.runs import judge_run_create

pytestmark = pytest.mark.django_db
SAMPLE = Path(__file__).resolve().parents[2] / "annotator" / "demo" / "qa_feedback_sample.json"
IRRELEVANT = r"[^.]*\b(?:directed by|music video|stars)\b[^.]*\."
RULES = [
    {"error_type": "irrelevant", "pattern": IRRELEVANT, "comment": "off-topic detail"},
    {"error_type": "incoherent", "words": ["was portrayed", "uses her dark magic"]},
]


@pytest.fixture
def qa_project(admin_user):
    project = project_create(name="QA", created_by=admin_user)
    taxonomy = taxonomy_draft_create(project=project)
    taxonomy_set_error_types(taxonomy=taxonomy, error_types=qa_feedback_error_types())
    taxonomy_publish(taxonomy=taxonomy)
    with SAMPLE.open("rb") as fh:
        import_job_create(project=project, created_by=admin_user, format="qa-feedback",
                          upload=File(fh, name=SAMPLE.name), run_inline=True)  # fmt: skip
    return project


def test_rules_mark_spans_on_qa_feedback_and_calibrate_against_humans(qa_project):
    judge = judge_create(project=qa_project, name="rules", kind="rules", config={"rules": RULES})
    run = judge_run_create(judge=judge, task="spans", options={"responses": [0]})
    run = judge_run_execute(run_id=run.pk)

    assert run.status == JudgeRun.Status.SUCCEEDED, run.error
    assert (run.total, run.succeeded_count, run.failed_count) == (50, 50, 0)
    judged: dict[int, list[tuple[int, int, int, str]]] = {}
    for annotation in Annotation.objects.filter(judge=judge):
        judged[annotation.item_id] = [
            (s.response.index, s.start, s.end, s.error_type.key) for s in annotation.spans.all()
        ]
    # Every regex match on prediction 1 is a span, exactly where the regex found it.
    expected_total = 0
    for annotation in Annotation.objects.filter(judge=judge).select_related("item"):
        text = annotation.item.responses.get(index=0).text
        found = {(m.start(), m.end()) for m in re.finditer(IRRELEVANT, text, re.IGNORECASE)}
        mine = {(s, e) for _, s, e, t in judged[annotation.item_id] if t == "irrelevant"}
        assert mine == found
        expected_total += len(found)
    assert expected_total > 5
    assert (
        SpanLabel.objects.filter(annotation__judge=judge, error_type__key="irrelevant").count()
        == expected_total
    )
    assert Annotation.objects.filter(judge=judge).count() == 50

    calibration = judge_calibration_compute(judge=judge, span_responses=[0])
    report = calibration.report
    assert report["items_compared"] == 50
    rows = {row["error_type"]: row for row in report["spans"]["by_error_type"]}
    # Recompute the irrelevant row from the stored human spans.
    prf = PRF()
    humans = Annotation.objects.filter(project=qa_project, author__isnull=False)
    for human in humans:
        labels = human.spans.filter(response__index=0, error_type__key="irrelevant")
        ref = {(s.start, i) for s in labels for i in range(s.start, s.end)}
        pred = {
            (s, i) for _, s, e, t in judged[human.item_id] if t == "irrelevant" for i in range(s, e)
        }
        ref_chars = {i for _, i in ref}
        pred_chars = {i for _, i in pred}
        prf.tp += len(pred_chars & ref_chars)
        prf.fp += len(pred_chars - ref_chars)
        prf.fn += len(ref_chars - pred_chars)
    assert rows["irrelevant"]["overlap_chars"] == prf.tp
    assert rows["irrelevant"]["f1"] == round(prf.f1, 4)
    assert 0 < rows["irrelevant"]["f1"] < 1
    assert rows["(any)"]["human_chars"] >= rows["irrelevant"]["human_chars"]


def test_rules_rate_steps_negative_only(project, item):
    rules = [{"error_type": "irrelevant", "pattern": r"= 4$"}]
    judge = judge_create(project=project, name="r", kind="rules", config={"rules": rules})
    run = judge_run_execute(run_id=judge_run_create(judge=judge, task="steps").pk)
    steps = Annotation.objects.get(judge=judge).steps.all()
    assert [(s.step_index, s.rating, s.error_type.key) for s in steps] == [(2, -1, "irrelevant")]
    assert run.succeeded_count == 1


def test_rules_naming_a_type_the_taxonomy_lost_fail_the_run(project, item):
    rules = [{"error_type": "wrong-grounding", "words": ["x"]}]
    judge = judge_create(project=project, name="r", kind="rules", config={"rules": rules})
    run = judge_run_execute(run_id=judge_run_create(judge=judge, task="steps").pk)
    assert run.status == JudgeRun.Status.FAILED
    assert "not a step error type" in run.error
