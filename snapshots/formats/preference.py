"""``preference``: TRL ``{"prompt", "chosen", "rejected"}`` with ``margin``.

Pairs come from one annotation at a time, by the rule ``pairs`` names:

- ``explicit``: each preference judgment. Value -3..-1 → response A chosen, +1..+3 → B
  chosen; ``margin`` = |value| (1 slightly, 2 better, 3 much better). Only judgments whose
  criterion equals ``criterion`` (default: overall judgments, which have none).
- ``errors``: every two responses the annotation labelled (``common.labelled_responses``);
  the one with the lower severity-weighted error count (``common.error_score``) is chosen;
  ``margin`` = the difference of the two counts.
- ``rubric``: every two responses the annotation scored on the same criteria; the higher
  total (sum of scores, or the score of ``criterion`` alone) is chosen; ``margin`` = the
  difference of the totals.

A tie (value 0, equal counts or totals) is dropped with ``ties=drop`` (default) or kept
with ``ties=keep`` as chosen = the lower response index, ``margin`` = 0. Image responses
have no text and are never paired.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import combinations
from typing import Any

from core.records import AnnotationRecord, ResponseRecord, SnapshotInfo, SnapshotRecord
from snapshots.formats.base import MESSAGES, Columns, Format, Param
from snapshots.formats.common import (
    completion_text,
    each_annotation,
    error_score,
    labelled_responses,
    styled,
)

Pair = tuple[int, int, float]  # (chosen index, rejected index, margin); margin 0 is a tie


def _ordered(a: int, b: int, a_minus_b: float) -> Pair:
    """``a_minus_b`` > 0 means a is better."""
    if a_minus_b > 0:
        return a, b, float(a_minus_b)
    if a_minus_b < 0:
        return b, a, float(-a_minus_b)
    return min(a, b), max(a, b), 0.0


def _explicit(annotation: AnnotationRecord, criterion: str) -> Iterator[Pair]:
    for pref in annotation["preferences"]:
        if (pref["criterion"] or "") == criterion:
            yield _ordered(pref["response_a"], pref["response_b"], -pref["value"])


def _errors(annotation: AnnotationRecord, texts: Mapping[int, str]) -> Iterator[Pair]:
    covered = sorted(i for i in labelled_responses(annotation) if i in texts)
    scores = {i: error_score(annotation, i) for i in covered}
    for a, b in combinations(covered, 2):
        yield _ordered(a, b, scores[b] - scores[a])


def _rubric(annotation: AnnotationRecord, criterion: str) -> Iterator[Pair]:
    by_response: dict[int, dict[str, int]] = {}
    for score in annotation["rubric_scores"]:
        if not criterion or score["criterion"] == criterion:
            by_response.setdefault(score["response"], {})[score["criterion"]] = score["score"]
    for a, b in combinations(sorted(by_response), 2):
        if by_response[a].keys() == by_response[b].keys():
            total_a, total_b = sum(by_response[a].values()), sum(by_response[b].values())
            yield _ordered(a, b, total_a - total_b)


def project(
    records: Iterable[SnapshotRecord], params: Mapping[str, Any], info: SnapshotInfo
) -> Iterator[dict[str, Any]]:
    source, style = params["pairs"], params["style"]
    for record, responses, annotation in each_annotation(records):
        texts = _texts(responses)
        if source == "explicit":
            pairs = _explicit(annotation, params["criterion"])
        elif source == "errors":
            pairs = _errors(annotation, texts)
        else:
            pairs = _rubric(annotation, params["criterion"])
        for chosen, rejected, margin in pairs:
            if chosen not in texts or rejected not in texts:
                continue
            if margin == 0 and params["ties"] == "drop":
                continue
            prompt, chosen_out = styled(style, record["item"], texts[chosen])
            _, rejected_out = styled(style, record["item"], texts[rejected])
            yield {
                "prompt": prompt,
                "chosen": chosen_out,
                "rejected": rejected_out,
                "margin": margin,
                "source": source,
                "item_external_id": record["item"]["external_id"],
                "chosen_response": chosen,
                "rejected_response": rejected,
                "annotation_id": annotation["id"],
            }


def _texts(responses: Mapping[int, ResponseRecord]) -> dict[int, str]:
    texts = {}
    for index, response in responses.items():
        text = completion_text(response)
        if text is not None:
            texts[index] = text
    return texts


def columns(params: Mapping[str, Any]) -> Columns:
    text = MESSAGES if params["style"] == "conversational" else "string"
    return [
        ("prompt", text), ("chosen", text), ("rejected", text), ("margin", "float64"),
        ("source", "string"), ("item_external_id", "string"), ("chosen_response", "int64"),
        ("rejected_response", "int64"), ("annotation_id", "int64"),
    ]  # fmt: skip


FORMAT = Format(
    name="preference",
    description="TRL preference pairs {prompt, chosen, rejected, margin}.",
    project=project,
    columns=columns,
    params=(
        Param("pairs", "Where pairs come from.", ("explicit", "errors", "rubric"), "explicit"),
        Param("ties", "What to do with ties.", ("drop", "keep"), "drop"),
        Param("style", "TRL dataset type.", ("standard", "conversational"), "standard"),
        Param(
            "criterion",
            "explicit: judgments on this rubric criterion key (empty: overall judgments); "
            "rubric: total of this criterion only (empty: all criteria).",
            default="",
        ),
    ),
)
