"""Majority aggregation on hand-written records (snapshots.aggregation)."""

from __future__ import annotations

from typing import Any

from snapshots.aggregation import majority


def ann(i: int, **units: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": i, "status": "submitted", "version": 1,
        "author": {"kind": "human", "id": i, "name": f"u{i}"},
        "taxonomy_version": 1, "rubric_version": None, "created_at": f"2026-01-0{i}T00:00:00Z",
        "submitted_at": None, "reviewed_at": None, "reviewed_by": None, "time_spent_ms": 10,
        "metadata": units.pop("metadata", {}), "source_annotations": [i],
    }  # fmt: skip
    for kind in ("spans", "steps", "regions", "rubric_scores", "preferences", "critiques",
                 "missing_info"):  # fmt: skip
        base[kind] = units.pop(kind, [])
    return base


def span(start: int, end: int, error_type: str = "irrelevant", severity: int | None = None):
    return {"response": 0, "start": start, "end": end, "error_type": error_type,
            "severity": severity, "comment": "c", "confidence": 0.5}  # fmt: skip


def record(*annotations: dict[str, Any]) -> dict[str, Any]:
    return {"item": {"id": 1}, "responses": [], "annotations": list(annotations)}


def test_spans_keep_code_points_marked_by_more_than_half() -> None:
    rec = record(
        ann(1, spans=[span(0, 10, severity=1)]),
        ann(2, spans=[span(5, 15, severity=2)]),
        ann(3, spans=[span(8, 20, severity=2), span(30, 35, "wrong-grounding")]),
    )
    out, _ = majority(rec)
    (agg,) = out["annotations"]
    assert agg["author"] == {"kind": "aggregate", "id": None, "name": "majority"}
    assert agg["source_annotations"] == [1, 2, 3]
    assert agg["spans"] == [
        {"response": 0, "start": 5, "end": 15, "error_type": "irrelevant", "severity": 2,
         "comment": "", "confidence": None},
    ]  # fmt: skip


def test_responses_without_labels_from_an_annotation_do_not_count_it_as_a_voter() -> None:
    # Annotation 2 labelled only response 1: for response 0, 1 of 1 voter marked the span.
    rec = record(ann(1, spans=[span(0, 4)]), ann(2, critiques=[{"response": 1, "text": "ok"}]))
    agg = majority(rec)[0]["annotations"][0]
    assert [(s["start"], s["end"]) for s in agg["spans"]] == [(0, 4)]
    assert agg["metadata"]["voters"] == {"0": 1, "1": 1}


def test_two_of_four_is_not_a_majority() -> None:
    rec = record(ann(1, spans=[span(0, 4)]), ann(2, spans=[span(0, 4)]),
                 ann(3, spans=[span(9, 10)]), ann(4, spans=[span(12, 13)]))  # fmt: skip
    assert majority(rec)[0]["annotations"][0]["spans"] == []


def test_steps_take_the_most_frequent_rating_and_ties_go_down() -> None:
    def step(index: int, rating: int) -> dict[str, Any]:
        return {"response": 2, "step_index": index, "rating": rating, "error_type": None,
                "comment": ""}  # fmt: skip

    rec = record(ann(1, steps=[step(0, 1), step(1, 1)]), ann(2, steps=[step(0, 1), step(1, -1)]),
                 ann(3, steps=[step(0, 0)]))  # fmt: skip
    steps = majority(rec)[0]["annotations"][0]["steps"]
    assert [(s["step_index"], s["rating"]) for s in steps] == [(0, 1), (1, -1)]


def test_scores_and_preferences_take_the_lower_median_regions_are_dropped() -> None:
    def pref(a: int, b: int, value: int) -> dict[str, Any]:
        return {"response_a": a, "response_b": b, "value": value, "rationale": "",
                "criterion": None}  # fmt: skip

    def score(value: int) -> dict[str, Any]:
        return {"response": 0, "criterion": "factuality", "score": value, "rationale": ""}

    region = {"response": 3, "shape": "box", "points": [[0, 0], [1, 1]],
              "error_type": "x", "severity": None, "comment": ""}  # fmt: skip
    rec = record(ann(1, preferences=[pref(0, 1, -2)], rubric_scores=[score(2)], regions=[region]),
                 ann(2, preferences=[pref(1, 0, -1)], rubric_scores=[score(4)]))  # fmt: skip
    out, dropped = majority(rec)
    agg = out["annotations"][0]
    assert [p["value"] for p in agg["preferences"]] == [-2]  # values -2 and +1 (normalised)
    assert [s["score"] for s in agg["rubric_scores"]] == [2]
    assert agg["regions"] == []
    assert dropped == 1
