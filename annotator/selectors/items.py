"""Reads of items, scoped by project."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from annotator.models import Annotation, Item, Project, Response


def item_list(*, project: Project, filters: dict[str, Any] | None = None) -> QuerySet[Item]:
    """Items of ``project`` with responses prefetched; ``filters`` from the list endpoint."""
    qs = Item.objects.filter(project=project).prefetch_related(
        Prefetch("responses", queryset=Response.objects.order_by("index"))
    )
    filters = filters or {}
    if filters.get("external_id"):
        qs = qs.filter(external_id__in=filters["external_id"])
    if filters.get("is_gold") is not None:
        qs = qs.filter(is_gold=filters["is_gold"])
    if filters.get("min_annotations") is not None:
        qs = qs.filter(annotation_count__gte=filters["min_annotations"])
    if filters.get("max_annotations") is not None:
        qs = qs.filter(annotation_count__lte=filters["max_annotations"])
    if filters.get("annotated_by"):
        qs = qs.filter(
            Exists(
                Annotation.objects.filter(
                    item=OuterRef("pk"), author__username=filters["annotated_by"]
                )
            )
        )
    if filters.get("search"):
        qs = qs.filter(prompt__icontains=filters["search"])
    return qs


def item_get(*, project: Project, item_id: int) -> Item:
    return item_list(project=project).get(pk=item_id)
