"""The review view of one item: every annotation's units marked agreed or disputed, the
item's agreement, its consensus (if any) and what the consensus rule proposes.

Differences, per kind (humans and judges alike, the consensus judge left out):
- spans: clusters by the consensus rule (``core.agreement.span_clusters``) over the
  annotations that labelled the response; a span is *agreed* when its cluster has a majority
  of those annotations, *disputed* otherwise;
- steps: a rating is disputed when another annotation rated the step differently;
- rubric scores: disputed when another annotation gave the (response, criterion) another
  score; preferences: when another annotation's sign for the pair differs.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from annotator.models import Annotation, Item, Project
from annotator.selectors.annotations import annotation_base_queryset
from core.agreement import CONSENSUS_OVERLAP, sign, span_clusters
from quality.metrics import agreement_report
from quality.selectors.labels import project_labels_load
from quality.services.consensus import (
    annotation_record,
    consensus_current,
    consensus_judge_id,
    consensus_proposal,
)
from snapshots.formats.common import labelled_responses

Status = Annotation.Status


def _span_diff(
    records: list[dict[str, Any]],
) -> tuple[dict[int, list[dict[str, Any]]], list[dict[str, Any]]]:
    voters: dict[int, int] = defaultdict(int)
    spans: dict[int, dict[int, list[tuple[int, int, str, int | None]]]] = defaultdict(dict)
    for record in records:
        for response in labelled_responses(record):  # type: ignore[arg-type]
            voters[response] += 1
        for span in record["spans"]:
            own = spans[span["response"]].setdefault(record["id"], [])
            own.append((span["start"], span["end"], span["error_type"], span["severity"]))
    marks: dict[int, list[dict[str, Any]]] = {r["id"]: [{} for _ in r["spans"]] for r in records}
    clusters: list[dict[str, Any]] = []
    for response, by_annotation in sorted(spans.items()):
        for cluster in span_clusters(by_annotation, voters[response], CONSENSUS_OVERLAP):
            number = len(clusters)
            clusters.append({
                "id": number, "response": response, "error_type": cluster.error_type,
                "annotations": sorted(cluster.voters), "voters": voters[response],
                "kept": cluster.kept,
                "merged": None if cluster.merged is None else
                {"start": cluster.merged[0], "end": cluster.merged[1]},
            })  # fmt: skip
            for annotation_id, span in cluster.members:
                record = next(r for r in records if r["id"] == annotation_id)
                for position, candidate in enumerate(record["spans"]):
                    same = (candidate["response"], candidate["start"], candidate["end"],
                            candidate["error_type"]) == (response, *span[:3])  # fmt: skip
                    if same and not marks[annotation_id][position]:
                        marks[annotation_id][position] = {"cluster": number, "agreed": cluster.kept}
                        break
    return marks, clusters


def _votes_everywhere(record: Any, texts: list[int]) -> Any:
    """A person votes on every text response, as in the consensus rule."""
    metadata = record["metadata"]
    if record["author"]["kind"] == "human" and "labelled_responses" not in metadata:
        record["metadata"] = {**metadata, "labelled_responses": texts}
    return record


def _disputed(records: list[dict[str, Any]], kind: str, key: Any, value: Any) -> dict[int, list]:
    values: dict[Any, dict[int, Any]] = defaultdict(dict)
    for record in records:
        for unit in record[kind]:
            values[key(unit)][record["id"]] = value(unit)
    out: dict[int, list[bool]] = {}
    for record in records:
        out[record["id"]] = [len(set(values[key(unit)].values())) > 1 for unit in record[kind]]
    return out


def item_review(*, project: Project, item: Item) -> dict[str, Any]:
    """Everything the review view shows beyond the annotations themselves."""
    judge_id = consensus_judge_id(project)
    shown = annotation_base_queryset().filter(item=item).exclude(status=Status.DRAFT).order_by("id")
    if judge_id is not None:
        shown = shown.exclude(judge_id=judge_id)
    annotations = list(shown)
    texts = [r.index for r in item.responses.all() if r.kind == "text"]
    records = [
        _votes_everywhere(annotation_record(a), texts)
        for a in annotations
        if a.status != Status.REJECTED
    ]
    span_marks, clusters = _span_diff(records)
    steps = _disputed(records, "steps", lambda u: (u["response"], u["step_index"]),
                      lambda u: u["rating"])  # fmt: skip
    rubric = _disputed(records, "rubric_scores", lambda u: (u["response"], u["criterion"]),
                       lambda u: u["score"])  # fmt: skip
    prefs = _disputed(
        records, "preferences",
        lambda u: (min(u["response_a"], u["response_b"]), max(u["response_a"], u["response_b"]),
                   u["criterion"]),
        lambda u: sign(u["value"]) * (1 if u["response_a"] < u["response_b"] else -1),
    )  # fmt: skip
    humans = [a for a in annotations if a.author_id is not None and a.status != Status.REJECTED]
    labels = project_labels_load(
        project=project, item_ids=[item.pk], exclude_judge_ids={judge_id} if judge_id else None
    )
    _report, scores = agreement_report(labels)
    return {
        "item": item.pk,
        "agreement": scores.get(item.pk),
        "overlap_threshold": CONSENSUS_OVERLAP,
        "clusters": clusters,
        "annotations": [
            {
                "id": a.pk,
                "spans": span_marks.get(a.pk, []),
                "steps_disputed": steps.get(a.pk, []),
                "rubric_disputed": rubric.get(a.pk, []),
                "preferences_disputed": prefs.get(a.pk, []),
            }
            for a in annotations
        ],
        "consensus": consensus_current(project=project, item=item),
        "proposal": consensus_proposal(humans, texts),
    }
