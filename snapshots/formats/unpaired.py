"""``unpaired``: TRL unpaired preference (KTO) ``{"prompt", "completion", "label"}``.

One record per annotation and response, by the rule ``rule`` names:

- ``errors`` (default): every response the annotation labelled
  (``common.labelled_responses``); label = true when it has no error (no span, region or
  missing-info unit, no step rated -1).
- ``rubric``: every response the annotation scored; label = true when the mean of its
  scores is at least ``min_score`` (required with this rule).
- ``preference``: each overall preference judgment that is not a tie gives two records,
  the preferred response true and the other false.

Image responses are skipped (no text).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from core.records import AnnotationRecord, SnapshotInfo, SnapshotRecord
from snapshots.formats.base import MESSAGES, Columns, Format, FormatError, Param
from snapshots.formats.common import (
    PROVENANCE,
    completion_text,
    each_annotation,
    error_score,
    labelled_responses,
    styled,
)


def _labels(annotation: AnnotationRecord, params: Mapping[str, Any]) -> Iterator[tuple[int, bool]]:
    rule = params["rule"]
    if rule == "errors":
        for index in sorted(labelled_responses(annotation)):
            yield index, error_score(annotation, index) == 0
    elif rule == "rubric":
        scores: dict[int, list[int]] = {}
        for score in annotation["rubric_scores"]:
            scores.setdefault(score["response"], []).append(score["score"])
        for index in sorted(scores):
            yield index, sum(scores[index]) / len(scores[index]) >= params["min_score"]
    else:
        for pref in annotation["preferences"]:
            if pref["criterion"] is None and pref["value"] != 0:
                better_a = pref["value"] < 0
                yield pref["response_a"], better_a
                yield pref["response_b"], not better_a


def project(
    records: Iterable[SnapshotRecord], params: Mapping[str, Any], info: SnapshotInfo
) -> Iterator[dict[str, Any]]:
    for record, responses, annotation in each_annotation(records):
        for index, label in _labels(annotation, params):
            response = responses.get(index)
            text = completion_text(response) if response is not None else None
            if text is None:
                continue
            prompt, completion = styled(params["style"], record["item"], text)
            yield {
                "prompt": prompt,
                "completion": completion,
                "label": label,
                "item_external_id": record["item"]["external_id"],
                "response_index": index,
                "annotation_id": annotation["id"],
            }


def check(params: Mapping[str, Any], info: SnapshotInfo) -> None:
    if params["rule"] == "rubric" and params["min_score"] == "":
        raise FormatError("rule=rubric needs min_score (a number).", field="min_score")


def columns(params: Mapping[str, Any]) -> Columns:
    text = MESSAGES if params["style"] == "conversational" else "string"
    return [("prompt", text), ("completion", text), ("label", "bool"), *PROVENANCE]


FORMAT = Format(
    name="unpaired",
    description="TRL unpaired preference (KTO) {prompt, completion, label}.",
    project=project,
    columns=columns,
    check=check,
    params=(
        Param("rule", "How a label is decided.", ("errors", "rubric", "preference"), "errors"),
        Param("min_score", "rule=rubric: lowest mean score labelled true.", default="", kind=float),
        Param("style", "TRL dataset type.", ("standard", "conversational"), "standard"),
    ),
)
