"""Reads of annotations, always scoped by project (and by author for annotators)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from annotator.models import (
    Annotation,
    Critique,
    MissingInfo,
    PreferenceJudgment,
    Project,
    ProjectMembership,
    RegionLabel,
    RubricScore,
    SpanLabel,
    StepLabel,
)

UNIT_PREFETCHES = (
    Prefetch("spans", queryset=SpanLabel.objects.select_related("response", "error_type")),
    Prefetch("steps", queryset=StepLabel.objects.select_related("response", "error_type")),
    Prefetch("regions", queryset=RegionLabel.objects.select_related("response", "error_type")),
    Prefetch("rubric_scores", queryset=RubricScore.objects.select_related("response", "criterion")),
    Prefetch(
        "preferences",
        queryset=PreferenceJudgment.objects.select_related("response_a", "response_b", "criterion"),
    ),
    Prefetch("critiques", queryset=Critique.objects.select_related("response")),
    Prefetch("missing_info", queryset=MissingInfo.objects.select_related("response", "error_type")),
)

# Roles that see every annotation of a project; annotators see their own and machine ones.
SEE_ALL_ROLES = {
    ProjectMembership.Role.ADMIN,
    ProjectMembership.Role.REVIEWER,
    ProjectMembership.Role.RESEARCHER,
}


def annotation_base_queryset() -> QuerySet[Annotation]:
    return Annotation.objects.select_related(
        "author", "judge", "taxonomy", "rubric", "item"
    ).prefetch_related(*UNIT_PREFETCHES)


def annotation_list_for_member(
    *, project: Project, user: Any, role: str, filters: dict[str, Any] | None = None
) -> QuerySet[Annotation]:
    """Annotations of ``project`` visible to a member with ``role``, filtered."""
    qs = annotation_base_queryset().filter(project=project)
    if role not in SEE_ALL_ROLES:
        qs = qs.filter(Q(author=user) | Q(judge__isnull=False))
    filters = filters or {}
    if filters.get("item"):
        qs = qs.filter(item_id=filters["item"])
    if filters.get("status"):
        qs = qs.filter(status__in=filters["status"])
    if filters.get("author"):
        qs = qs.filter(author__username=filters["author"])
    if filters.get("judge"):
        qs = qs.filter(judge_id=filters["judge"])
    if filters.get("source") == "human":
        qs = qs.filter(author__isnull=False)
    elif filters.get("source") == "machine":
        qs = qs.filter(judge__isnull=False)
    return qs


def annotation_get_for_member(
    *, project: Project, user: Any, role: str, annotation_id: int
) -> Annotation:
    return annotation_list_for_member(project=project, user=user, role=role).get(pk=annotation_id)


def annotation_attach_units(
    annotation: Annotation, units: Mapping[str, Iterable[Any]]
) -> Annotation:
    """Fill the prefetch cache with rows already in memory so rendering needs no queries."""
    cache = getattr(annotation, "_prefetched_objects_cache", None)
    if cache is None:
        cache = {}
        annotation._prefetched_objects_cache = cache  # type: ignore[attr-defined]
    for name, rows in units.items():
        cache[name] = list(rows)
    return annotation
