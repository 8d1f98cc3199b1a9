"""QA-FEEDBACK: the full 400-record dev file, idempotent re-import, mapping rules, policies."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from annotator.importers.qa_feedback import TITLE_NOTE
from annotator.models import (
    Annotation,
    ErrorType,
    Item,
    MissingInfo,
    PreferenceJudgment,
    Response,
    SpanLabel,
)
from annotator.services.imports import QA_FEEDBACK_USERNAME, ImportRejected
from tests.annotator.imports.helpers import run_import
from tests.paths import QA_FEEDBACK_DEV

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def dev_bytes() -> bytes:
    return QA_FEEDBACK_DEV.read_bytes()


def qa_import(project: Any, user: Any, content: bytes) -> Any:
    return run_import(project, user, content, name="dev_feedback.json", format="qa-feedback")


def test_full_dev_file_imports_every_label_exactly(qa_project, admin_user, dev_bytes):
    data = json.loads(dev_bytes)
    job = qa_import(qa_project, admin_user, dev_bytes)

    assert job.status == "succeeded", job.errors[:3]
    assert (job.total, job.created_count, job.annotations_count) == (400, 400, 400)
    assert job.warnings == []  # every upstream span and reference is valid
    spans = SpanLabel.objects.filter(annotation__project=qa_project)
    assert Counter(spans.values_list("error_type__name", flat=True)) == {
        "Irrelevant": 711, "Wrong-Grounding": 128, "Unverifiable": 122, "Redundant": 102,
        "Incoherent": 11,
    }  # fmt: skip
    missing = MissingInfo.objects.filter(annotation__project=qa_project)
    assert missing.count() == 695
    assert Counter(missing.values_list("error_type__key", flat=True)) == {
        "missing-minor-auxiliary": 266, "missing-major-auxiliary": 222, "missing-answer": 207,
    }  # fmt: skip
    prefs = PreferenceJudgment.objects.filter(annotation__project=qa_project)
    assert Counter(prefs.values_list("value", flat=True)) == {-2: 1247, 2: 822, 0: 331}

    by_id = {hashlib.sha1(r["question"].encode()).hexdigest(): r for r in data}  # noqa: S324
    for item in Item.objects.filter(project=qa_project).prefetch_related("responses"):
        source = by_id[item.external_id.removeprefix("qa-feedback-")]
        assert [r.text for r in item.responses.all()] == [
            source[f"prediction {n}"] for n in range(1, 5)
        ]
        assert item.metadata == {"gold": source["gold"]}
        assert item.context == [{"title": p[0], "sentences": p[1:]} for p in source["passages"]]
        assert item.annotation_count == 1
    for span in spans.select_related("response"):
        assert span.response.index == 0
        assert 0 <= span.start < span.end <= len(span.response.text)
        assert span.response.text[span.start : span.end]  # text[start:end] is the labelled text


def test_spans_quote_the_same_text_as_the_upstream_offsets(qa_project, admin_user, dev_bytes):
    data = json.loads(dev_bytes)
    qa_import(qa_project, admin_user, dev_bytes)
    expected = Counter(
        (r["question"], r["prediction 1"][e["start"] : e["end"]], e["error type"], e["explanation"])
        for r in data
        for e in r["feedback"]["errors"]
    )
    stored = Counter(
        (s.annotation.item.prompt, s.response.text[s.start : s.end], s.error_type.name, s.comment)
        for s in SpanLabel.objects.select_related("response", "error_type", "annotation__item")
    )
    assert stored == expected


def test_annotations_are_submitted_human_work_with_the_corrected_prediction(
    qa_project, admin_user, dev_bytes
):
    data = json.loads(dev_bytes)
    qa_import(qa_project, admin_user, dev_bytes)
    author = get_user_model().objects.get(username=QA_FEEDBACK_USERNAME)
    assert not author.is_active
    assert not author.has_usable_password()
    first = Annotation.objects.get(item__prompt=data[0]["question"])
    assert (first.author, first.status, first.judge) == (author, "submitted", None)
    assert first.taxonomy.status == "published"
    assert first.metadata["corrected_prediction"] == data[0]["feedback"]["corrected-prediction"]
    pairs = list(
        first.preferences.order_by("id").values_list("response_a__index", "response_b__index")
    )
    assert pairs == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]


def test_missing_info_ids_are_mapped_to_zero_based_sentences(qa_project, admin_user, dev_bytes):
    """Upstream passage_id is 1-based; sentence_id counts the title as 0 (see the module)."""
    data = json.loads(dev_bytes)
    qa_import(qa_project, admin_user, dev_bytes)
    record = data[4]  # "Who played bonnie in gone with the wind?": passage 2, sentence ids [0, 2]
    entry = record["feedback"]["missing-info"][0]
    assert (entry["passage_id"], entry["sentence_id"]) == (2, [0, 2])
    stored = MissingInfo.objects.get(
        annotation__item__prompt=record["question"], comment=TITLE_NOTE
    )
    assert (stored.passage_index, stored.sentence_indices) == (1, [1])
    item = stored.annotation.item
    sentence = item.context[1]["sentences"][1]
    assert sentence == record["passages"][1][2]
    assert sentence.startswith("It began previews on 5 April 2008")
    assert sentence in record["feedback"]["corrected-prediction"]  # the info the fix added
    assert MissingInfo.objects.filter(comment=TITLE_NOTE).count() == 3


def test_reimporting_the_file_changes_nothing(qa_project, admin_user, dev_bytes):
    qa_import(qa_project, admin_user, dev_bytes)
    counts = (Item.objects.count(), Response.objects.count(), Annotation.objects.count(),
              SpanLabel.objects.count(), PreferenceJudgment.objects.count())  # fmt: skip

    again = qa_import(qa_project, admin_user, dev_bytes)

    assert (again.created_count, again.unchanged_count, again.annotations_count) == (0, 400, 0)
    assert counts == (Item.objects.count(), Response.objects.count(), Annotation.objects.count(),
                      SpanLabel.objects.count(), PreferenceJudgment.objects.count())  # fmt: skip
    assert set(Item.objects.values_list("annotation_count", flat=True)) == {1}


def qa_record(**changes: Any) -> dict[str, Any]:
    base = {
        "question": "Who wrote it?",
        "passages": [["Title", "First sentence.", "Second sentence."]],
        "gold": "Someone wrote it.",
        "prediction 1": "Cafe\u0301 wrote it.",
        "prediction 2": "B",
        "prediction 3": "C",
        "prediction 4": "D",
        "feedback": {
            "errors": [
                {"error type": "Irrelevant", "explanation": "", "start": 0, "end": 4},
                {"error type": "Irrelevant", "explanation": "", "start": 0, "end": 99},
                {"error type": "Redundant", "explanation": "", "start": 6, "end": 11},
            ],
            "missing-info": [
                {"error type": "Missing-Answer", "passage_id": 1, "sentence_id": [2]},
                {"error type": "Missing-Answer", "passage_id": 2, "sentence_id": [1]},
            ],
            "corrected-prediction": "Someone wrote it.",
        },
        "preference": [1, 1, 1, 0, 2, 2],
    }
    base.update(changes)
    return base


def test_invalid_upstream_labels_are_skipped_and_reported(qa_project, admin_user):
    content = json.dumps([qa_record()]).encode()
    job = qa_import(qa_project, admin_user, content)

    assert job.status == "succeeded"
    assert [(w["field"], w["message"].split(":")[0]) for w in job.warnings] == [
        ("feedback.errors[0]", "Skipped"),  # end 4 splits "e" + combining accent
        ("feedback.errors[1]", "Skipped"),  # end past the text
        ("feedback.missing-info[1].passage_id", "Skipped"),  # there is no passage 2
    ]
    span = SpanLabel.objects.get()
    assert span.response.text[span.start : span.end] == "wrote"
    assert MissingInfo.objects.get().sentence_indices == [1]
    assert PreferenceJudgment.objects.count() == 6


def test_structural_problems_reject_the_upload(qa_project, admin_user):
    bad = qa_record(preference=[1, 1, 3, 0, 2, 2])
    bad["feedback"]["errors"][2]["error type"] = "Boring"
    content = json.dumps([qa_record(question="Fine?"), bad]).encode()
    with pytest.raises(ImportRejected) as caught:
        qa_import(qa_project, admin_user, content)
    assert {(e["record"], e["field"]) for e in caught.value.errors} == {
        (1, "feedback.errors[2].error type"),
        (1, "preference"),
    }
    assert not Item.objects.exists()


def test_project_taxonomy_without_the_qa_feedback_types_is_refused(project, admin_user):
    content = json.dumps([qa_record()]).encode()
    with pytest.raises(ImportRejected) as caught:
        qa_import(project, admin_user, content)
    (error,) = caught.value.errors
    assert error["field"] == "taxonomy"
    assert "redundant, incoherent, unverifiable" in error["message"]
    assert "wrong-grounding" not in error["message"]  # the test taxonomy has that one
    assert not Item.objects.exists()
    assert ErrorType.objects.filter(key="redundant").count() == 0
