"""Calibration reports on hand-made labels: steps, rubric, preferences and spans."""

from __future__ import annotations

import uuid

import pytest

from annotator.services.annotations import annotation_bulk_create, annotation_create
from judges.services.calibration import calibration_report
from judges.services.configs import judge_create

pytestmark = pytest.mark.django_db


def test_report_compares_the_judge_with_each_human(project, item, annotator_user, reviewer_user):
    judge = judge_create(project=project, name="j")
    judge_units = {
        "spans": [{"response": 0, "start": 0, "end": 10, "error_type": "irrelevant"}],
        "steps": [{"response": 2, "step_index": i, "rating": r} for i, r in enumerate([1, -1, -1])],
        "rubric_scores": [{"response": 0, "criterion": "factuality", "score": 4},
                          {"response": 1, "criterion": "factuality", "score": 2}],
        "preferences": [{"response_a": 1, "response_b": 0, "value": 2}],
    }  # fmt: skip
    annotation_bulk_create(project=project, judge=judge, entries=[{
        "item": item.pk, "client_id": uuid.uuid4(), "metadata": {"task": "spans", "responses": [0]},
        **judge_units,
    }])  # fmt: skip
    human_units = {
        "spans": [{"response": 0, "start": 5, "end": 15, "error_type": "irrelevant"}],
        "steps": [{"response": 2, "step_index": i, "rating": r} for i, r in enumerate([1, 1, -1])],
        "rubric_scores": [{"response": 0, "criterion": "factuality", "score": 5},
                          {"response": 1, "criterion": "factuality", "score": 1}],
        "preferences": [{"response_a": 0, "response_b": 1, "value": -1}],
    }  # fmt: skip
    for user in (annotator_user, reviewer_user):
        annotation_create(item=item, author=user, client_id=uuid.uuid4(), status="submitted",
                          units=human_units)  # fmt: skip

    report = calibration_report(judge=judge)

    assert report["items_compared"] == 1
    rows = {r["error_type"]: r for r in report["spans"]["by_error_type"]}
    # per human: 5 shared chars, 5 judge-only, 5 human-only; two humans double the counts
    assert rows["irrelevant"] == {
        "error_type": "irrelevant", "precision": 0.5, "recall": 0.5, "f1": 0.5,
        "judge_chars": 20, "human_chars": 20, "overlap_chars": 10,
    }  # fmt: skip
    steps = report["steps"]
    assert (steps["steps_compared"], steps["accuracy"]) == (6, round(4 / 6, 4))
    assert steps["first_error_agreement"] == 0.0  # judge: step 1, humans: step 2
    assert steps["confusion"]["rows_human_cols_judge"] == [[2, 0, 0], [0, 0, 0], [2, 0, 2]]
    rubric = report["rubric"]["by_criterion"][0]
    assert (rubric["criterion"], rubric["n"], rubric["spearman"]) == ("factuality", 4, 1.0)
    assert rubric["mean_abs_difference"] == 1.0
    # (1, 0) judged +2 = "0 better"; the humans said (0, 1) -1 = "0 better": signs agree.
    assert report["preferences"] == {"n": 2, "sign_agreement": 1.0}


def test_rejected_and_draft_human_work_is_ignored(project, item, annotator_user):
    judge = judge_create(project=project, name="j")
    annotation_bulk_create(project=project, judge=judge, entries=[{
        "item": item.pk, "client_id": uuid.uuid4(),
        "rubric_scores": [{"response": 0, "criterion": "factuality", "score": 4}],
    }])  # fmt: skip
    score = {"response": 0, "criterion": "factuality", "score": 4}
    annotation_create(
        item=item, author=annotator_user, client_id=uuid.uuid4(), units={"rubric_scores": [score]}
    )
    assert calibration_report(judge=judge)["items_compared"] == 0
