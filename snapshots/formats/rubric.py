"""``rubric``: rubric scores per response, or per criterion in Prometheus style.

- ``layout=response`` (default): one record per annotation and scored response:
  ``{prompt, completion, scores: [{criterion, score, rationale}], total}``, scores in the
  rubric's criterion order, ``total`` their sum.
- ``layout=criterion``: one record per score with the criterion's description and its
  per-level descriptions (``levels``), as Prometheus's absolute grading data has them.

Image responses are skipped (no text).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from core.records import RubricScoreRecord, SnapshotInfo, SnapshotRecord
from snapshots.formats.base import Columns, Format, Param
from snapshots.formats.common import PROVENANCE, completion_text, each_annotation, prompt_text

SCORE = ("struct", (("criterion", "string"), ("score", "int64"), ("rationale", "string")))
LEVEL = ("struct", (("value", "int64"), ("label", "string"), ("description", "string")))


def project(
    records: Iterable[SnapshotRecord], params: Mapping[str, Any], info: SnapshotInfo
) -> Iterator[dict[str, Any]]:
    criteria = {c["key"]: c for c in info["criteria"]}
    order = {key: position for position, key in enumerate(criteria)}
    for record, responses, annotation in each_annotation(records):
        by_response: dict[int, list[RubricScoreRecord]] = {}
        for score in annotation["rubric_scores"]:
            by_response.setdefault(score["response"], []).append(score)
        for index in sorted(by_response):
            response = responses.get(index)
            text = completion_text(response) if response is not None else None
            if text is None:
                continue
            scores = sorted(by_response[index], key=lambda s: order.get(s["criterion"], 1 << 30))
            base = {"prompt": prompt_text(record["item"]), "completion": text}
            provenance = {"item_external_id": record["item"]["external_id"],
                          "response_index": index, "annotation_id": annotation["id"]}  # fmt: skip
            if params["layout"] == "response":
                yield base | {
                    "scores": [{"criterion": s["criterion"], "score": s["score"],
                                "rationale": s["rationale"]} for s in scores],
                    "total": sum(s["score"] for s in scores),
                } | provenance  # fmt: skip
                continue
            for s in scores:
                criterion: Mapping[str, Any] = criteria.get(s["criterion"], {})
                yield base | {
                    "criterion": s["criterion"],
                    "criterion_description": criterion.get("description", ""),
                    "levels": [{"value": lv.get("value"), "label": lv.get("label", ""),
                                "description": lv.get("description", "")}
                               for lv in criterion.get("levels", [])],
                    "score": s["score"],
                    "rationale": s["rationale"],
                } | provenance  # fmt: skip


def columns(params: Mapping[str, Any]) -> Columns:
    if params["layout"] == "response":
        return [("prompt", "string"), ("completion", "string"), ("scores", ("list", SCORE)),
                ("total", "int64"), *PROVENANCE]  # fmt: skip
    return [
        ("prompt", "string"), ("completion", "string"), ("criterion", "string"),
        ("criterion_description", "string"), ("levels", ("list", LEVEL)), ("score", "int64"),
        ("rationale", "string"), *PROVENANCE,
    ]  # fmt: skip


FORMAT = Format(
    name="rubric",
    description="Rubric scores per response (or per criterion, Prometheus style).",
    project=project,
    columns=columns,
    params=(Param("layout", "One record per...", ("response", "criterion"), "response"),),
)
