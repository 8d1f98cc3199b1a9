"""Reads of items, scoped by project."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from django.db.models import Exists, OuterRef, Prefetch, QuerySet, TextField
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404

from annotator.models import Annotation, Item, Project, Response


def item_list(
    *, project: Project, filters: dict[str, Any] | None = None, with_responses: bool = True
) -> QuerySet[Item]:
    """Items of ``project`` (responses prefetched unless ``with_responses`` is false: pages
    read them with :func:`response_rows_by_item`); ``filters`` from the list endpoint."""
    qs = Item.objects.filter(project=project)
    if with_responses:
        qs = qs.prefetch_related(Prefetch("responses", queryset=Response.objects.order_by("index")))
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


def response_rows_by_item(item_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """The responses of ``item_ids`` as plain dicts (the fields of ResponseOutputSerializer),
    by item, in index order.

    A page of 100 items holds ~400 responses: building model instances and decoding their
    JSON with the standard library took most of the page's time. Here the JSON columns come
    as text and orjson decodes them.
    """
    rows: dict[int, list[dict[str, Any]]] = {}
    values = (
        Response.objects.filter(item_id__in=list(item_ids))
        .order_by("item_id", "index")
        .values_list(
            "item_id",
            "id",
            "index",
            "kind",
            "model_name",
            "text",
            "image_url",
            "image_width",
            "image_height",
            Cast("steps", TextField()),
            Cast("metadata", TextField()),
        )
    )
    for item_id, pk, index, kind, model_name, text, image_url, width, height, steps, meta in values:
        rows.setdefault(item_id, []).append(
            {
                "id": pk,
                "index": index,
                "kind": kind,
                "model_name": model_name,
                "text": text,
                "steps": orjson.loads(steps),
                "image_url": image_url,
                "image_width": width,
                "image_height": height,
                "metadata": orjson.loads(meta),
            }
        )
    return rows


def item_get(*, project: Project, item_id: int) -> Item:
    """One item of ``project`` with its responses (index order), or Http404.

    One query, not two (item, then the responses prefetch): the responses are read with
    their item joined, and the item is taken from the first row; only an item without
    responses needs a second query. ``item.responses.all()`` answers from the result.
    """
    responses = list(
        Response.objects.filter(item_id=item_id, item__project=project)
        .select_related("item")
        .order_by("index")
    )
    if responses:
        item = responses[0].item
        for response in responses:
            response.item = item
    else:
        item = get_object_or_404(Item.objects.filter(project=project), pk=item_id)
    cached = Response.objects.filter(item=item).order_by("index")
    cached._result_cache = responses  # type: ignore[attr-defined]
    cached._prefetch_done = True  # type: ignore[attr-defined]
    item._prefetched_objects_cache = {"responses": cached}  # type: ignore[attr-defined]
    item.project = project
    return item
