"""Consensus annotations: what the rule proposes for an item, and saving a reviewer's version.

A consensus annotation is an ordinary annotation by the project's consensus judge
(``quality.services.settings.consensus_judge_get_or_create``), accepted by the reviewer who
saved it, with ``metadata = {"consensus": true, "reviewer": …, "sources": […], …}``. Saving a
new version rejects the previous one (history is kept), so an item has at most one accepted
consensus. The ``consensus`` snapshot policy (``snapshots.aggregation.consensus``) exports it,
and falls back to the same rule that proposes one here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, cast

from django.db import transaction

from annotator.models import Annotation, Item, Project
from annotator.selectors.annotations import annotation_base_queryset
from annotator.services.annotations import annotation_create, annotation_review
from core.agreement import CONSENSUS_OVERLAP
from core.exceptions import ApplicationError, Conflict
from core.records import AnnotationRecord, AuthorRecord
from quality.models import QualitySettings
from quality.services.settings import consensus_judge_get_or_create
from snapshots.aggregation import consensus_annotation

Status = Annotation.Status
RegionShape = Literal["box", "polygon"]  # Region.Shape (CheckConstraint region_shape)
RULE = f"spans: clusters at Jaccard >= {CONSENSUS_OVERLAP}, kept by a majority of voters"


def consensus_judge_id(project: Project) -> int | None:
    return (
        QualitySettings.objects.filter(project=project)
        .values_list("consensus_judge_id", flat=True)
        .first()
    )


def consensus_current(*, project: Project, item: Item) -> Annotation | None:
    """The item's accepted consensus annotation, if any (units prefetched)."""
    judge_id = consensus_judge_id(project)
    if judge_id is None:
        return None
    return (
        annotation_base_queryset()
        .filter(item=item, judge_id=judge_id, status=Status.ACCEPTED)
        .order_by("-created_at", "-id")
        .first()
    )


def annotation_record(annotation: Annotation) -> AnnotationRecord:
    """An annotation (units prefetched) in snapshot-record form, as the aggregation reads it."""

    def idx(unit: Any) -> int:
        return int(unit.response.index)

    author: AuthorRecord
    if annotation.author_id:
        assert annotation.author is not None
        author = {"kind": "human", "id": annotation.author_id, "name": annotation.author.username}
    else:
        assert annotation.judge is not None  # an annotation has an author or a judge
        author = {"kind": "judge", "id": annotation.judge_id, "name": annotation.judge.name}
    return {
        "id": annotation.pk, "status": annotation.status, "version": annotation.version,
        "author": author,
        "taxonomy_version": annotation.taxonomy.version if annotation.taxonomy else None,
        "rubric_version": annotation.rubric.version if annotation.rubric else None,
        "created_at": annotation.created_at.isoformat(), "submitted_at": None,
        "reviewed_at": None, "reviewed_by": None,
        "time_spent_ms": annotation.time_spent_ms, "metadata": dict(annotation.metadata or {}),
        "source_annotations": [annotation.pk],
        "spans": [{"response": idx(s), "start": s.start, "end": s.end,
                   "error_type": s.error_type.key, "severity": s.severity, "comment": s.comment,
                   "confidence": s.confidence} for s in annotation.spans.all()],
        "steps": [{"response": idx(s), "step_index": s.step_index, "rating": s.rating,
                   "error_type": s.error_type.key if s.error_type else None,
                   "comment": s.comment} for s in annotation.steps.all()],
        "regions": [{"response": idx(r), "shape": cast(RegionShape, r.shape), "points": r.points,
                     "error_type": r.error_type.key, "severity": r.severity,
                     "comment": r.comment} for r in annotation.regions.all()],
        "rubric_scores": [{"response": idx(r), "criterion": r.criterion.key, "score": r.score,
                           "rationale": r.rationale} for r in annotation.rubric_scores.all()],
        "preferences": [{"response_a": p.response_a.index, "response_b": p.response_b.index,
                         "value": p.value, "rationale": p.rationale,
                         "criterion": p.criterion.key if p.criterion else None}
                        for p in annotation.preferences.all()],
        "critiques": [{"response": idx(c), "text": c.text} for c in annotation.critiques.all()],
        "missing_info": [{"response": idx(m), "error_type": m.error_type.key,
                          "passage_index": m.passage_index,
                          "sentence_indices": list(m.sentence_indices), "comment": m.comment}
                         for m in annotation.missing_info.all()],
    }  # fmt: skip


def consensus_proposal(
    annotations: Iterable[Annotation], text_responses: Sequence[int]
) -> dict[str, list[dict[str, Any]]]:
    """What the consensus rule makes of ``annotations`` (the item's human submitted and
    accepted ones), as annotation units ready to edit and save."""
    records = [annotation_record(a) for a in annotations]
    if not records:
        return {"spans": [], "steps": [], "rubric_scores": [], "preferences": [],
                "critiques": [], "missing_info": [], "regions": []}  # fmt: skip
    aggregate = consensus_annotation(records, text_responses)
    units: dict[str, list[dict[str, Any]]] = {}
    for kind in ("spans", "steps", "regions", "rubric_scores", "preferences", "missing_info"):
        units[kind] = [dict(u) for u in aggregate[kind]]
    units["critiques"] = []  # free text has no majority; the reviewer writes one if needed
    for span in units["spans"]:
        span.pop("confidence", None)
    return units


def consensus_save(
    *,
    project: Project,
    item: Item,
    reviewer: Any,
    units: Mapping[str, Any],
    based_on: int | None,
    based_on_version: int | None,
    sources: Iterable[int] = (),
) -> Annotation:
    """Save the reviewer's consensus for ``item`` and accept it; the previous consensus (which
    the reviewer must name in ``based_on``/``based_on_version``) is rejected.

    409 when another consensus was saved meanwhile; 400 (naming the unit) for invalid units.
    All or nothing: runs in one transaction holding the item's row lock, so two reviewers
    saving at once are serialised and the second gets 409.
    """
    judge = consensus_judge_get_or_create(project=project)
    sources = sorted(set(sources))
    known = set(Annotation.objects.filter(item=item, pk__in=sources).values_list("pk", flat=True))
    if set(sources) - known:
        raise ApplicationError("Sources must be annotations of this item.", field="sources")
    with transaction.atomic():
        Item.objects.select_for_update().filter(pk=item.pk).first()
        current = consensus_current(project=project, item=item)
        if (current.pk if current else None) != based_on:
            raise Conflict(
                "Another consensus was saved meanwhile; reload and check it.",
                field="based_on",
                extra={"current_id": current.pk if current else None},
            )
        if current is not None:
            annotation_review(
                annotation=current,
                reviewer=reviewer,
                decision=Status.REJECTED,
                version=based_on_version or 0,
            )
        metadata = {
            "consensus": True, "reviewer": reviewer.get_username(), "reviewer_id": reviewer.pk,
            "sources": sources, "rule": RULE, "supersedes": current.pk if current else None,
        }  # fmt: skip
        annotation, _ = annotation_create(
            item=item,
            judge=judge,
            client_id=uuid.uuid4(),
            status=Status.SUBMITTED,
            units=units,
            metadata=metadata,
        )
        return annotation_review(
            annotation=annotation,
            reviewer=reviewer,
            decision=Status.ACCEPTED,
            version=annotation.version,
        )
