"""Derived preference pairs: the stated rules (severity-weighted error count, rubric total)
and the ties policy on pairs that tie, which the golden snapshot has only for explicit and
single-criterion judgments."""

from __future__ import annotations

from typing import Any

import pytest

from snapshots.formats import FORMATS

INFO: dict[str, Any] = {"error_types": [], "criteria": []}
TEXTS = ("first answer", "second answer", "third answer")


def record(**units: Any) -> dict[str, Any]:
    annotation = {"id": 7, "metadata": {"labelled_responses": [0, 1, 2]}, "spans": [],
                  "steps": [], "regions": [], "rubric_scores": [], "preferences": [],
                  "critiques": [], "missing_info": [], **units}  # fmt: skip
    return {
        "item": {"external_id": "x", "prompt": "Question?", "messages": []},
        "responses": [{"index": i, "kind": "text", "text": t} for i, t in enumerate(TEXTS)],
        "annotations": [annotation],
    }


def pairs(rec: dict[str, Any], **raw: str) -> list[tuple[int, int, float]]:
    fmt = FORMATS["preference"]
    out = fmt.project([rec], fmt.parse_params(raw), INFO)
    return [(r["chosen_response"], r["rejected_response"], r["margin"]) for r in out]


def span(response: int, severity: int | None) -> dict[str, Any]:
    return {"response": response, "start": 0, "end": 3, "error_type": "e", "severity": severity}


# Response 0: one span of severity 2 (weighs 2); response 1: two spans without severity
# (1 each, 2 in all); response 2: no error. 0 and 1 tie.
ERRORS = record(spans=[span(0, 2), span(1, None), span(1, None)])


@pytest.mark.parametrize(
    ("ties", "expected"),
    [("drop", [(2, 0, 2.0), (2, 1, 2.0)]), ("keep", [(0, 1, 0.0), (2, 0, 2.0), (2, 1, 2.0)])],
)
def test_error_rule_weighs_severity_and_follows_the_ties_policy(ties, expected):
    assert pairs(ERRORS, pairs="errors", ties=ties) == expected


def test_error_rule_counts_steps_rated_minus_one_and_missing_info():
    rec = record(
        steps=[{"response": 1, "step_index": 0, "rating": -1},
               {"response": 1, "step_index": 1, "rating": 0}],
        missing_info=[{"response": 2, "error_type": "e", "passage_index": 0,
                       "sentence_indices": [1], "comment": ""}],
    )  # fmt: skip
    # Scores: 0 → 0, 1 → 1 (one -1 step; the neutral step weighs nothing), 2 → 1 (missing
    # info has no severity: weighs 1); 1 and 2 tie.
    assert pairs(rec, pairs="errors") == [(0, 1, 1.0), (0, 2, 1.0)]


def test_rubric_rule_compares_totals_and_follows_the_ties_policy():
    scores = [(0, "f", 2), (0, "g", 3), (1, "f", 4), (1, "g", 1), (2, "f", 1), (2, "g", 1)]
    rec = record(rubric_scores=[{"response": r, "criterion": c, "score": s, "rationale": ""}
                                for r, c, s in scores])  # fmt: skip
    assert pairs(rec, pairs="rubric") == [(0, 2, 3.0), (1, 2, 3.0)]
    assert pairs(rec, pairs="rubric", ties="keep") == [(0, 1, 0.0), (0, 2, 3.0), (1, 2, 3.0)]
    assert pairs(rec, pairs="rubric", criterion="f") == [(1, 0, 2.0), (0, 2, 1.0), (1, 2, 3.0)]


def test_unlabelled_responses_are_never_paired():
    rec = record(spans=[span(0, 1)], metadata={"labelled_responses": [1]})
    assert pairs(rec, pairs="errors") == [(1, 0, 1.0)]
