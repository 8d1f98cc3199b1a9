"""Read-only aggregates for the browser app's project dashboard.

``GET /projects/{project_id}/stats/``: items by labelling state, annotations by status and by
annotator, and the error-type distribution of span, step, region and missing-info labels,
split into human and machine. Every count is one aggregate query; nothing is written.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Count, Q, QuerySet, Sum
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.api.base import ProjectScopedViewSet
from annotator.models import Annotation, Item, MissingInfo, RegionLabel, SpanLabel, StepLabel

COUNTED = (Annotation.Status.SUBMITTED, Annotation.Status.ACCEPTED)

_count_map = serializers.DictField(child=serializers.IntegerField())
ProjectStatsOutputSerializer = inline_serializer(
    name="ProjectStatsOutput",
    fields={
        "items": inline_serializer(
            name="ProjectStatsItems",
            fields={
                "total": serializers.IntegerField(),
                "done": serializers.IntegerField(help_text="Items with `overlap` human labels."),
                "in_progress": serializers.IntegerField(),
                "untouched": serializers.IntegerField(),
            },
        ),
        "annotations_by_status": _count_map,
        "machine_annotations": serializers.IntegerField(),
        "by_annotator": serializers.ListField(
            child=inline_serializer(
                name="ProjectStatsAnnotator",
                fields={
                    "username": serializers.CharField(),
                    "total": serializers.IntegerField(),
                    "draft": serializers.IntegerField(),
                    "submitted": serializers.IntegerField(),
                    "accepted": serializers.IntegerField(),
                    "rejected": serializers.IntegerField(),
                    "time_spent_ms": serializers.IntegerField(),
                },
            )
        ),
        "error_types": serializers.ListField(
            child=inline_serializer(
                name="ProjectStatsErrorType",
                fields={
                    "key": serializers.CharField(),
                    "human": serializers.IntegerField(),
                    "machine": serializers.IntegerField(),
                },
            )
        ),
    },
)


def _error_type_counts(project_id: int) -> list[dict[str, Any]]:
    totals: dict[str, dict[str, Any]] = {}
    for model in (SpanLabel, StepLabel, RegionLabel, MissingInfo):
        rows = (
            model.objects.filter(annotation__project_id=project_id, error_type__isnull=False)
            .values("error_type__key")
            .annotate(
                human=Count("pk", filter=Q(annotation__author__isnull=False)),
                machine=Count("pk", filter=Q(annotation__judge__isnull=False)),
            )
        )
        for row in rows:
            entry = totals.setdefault(
                row["error_type__key"], {"key": row["error_type__key"], "human": 0, "machine": 0}
            )
            entry["human"] += row["human"]
            entry["machine"] += row["machine"]
    return sorted(totals.values(), key=lambda e: (-(e["human"] + e["machine"]), e["key"]))


class ProjectStatsViewSet(ProjectScopedViewSet):
    @extend_schema(responses=ProjectStatsOutputSerializer)
    def retrieve(self, request: Request, project_id: int) -> Response:
        """Counts for the project dashboard (any member)."""
        project = self.project
        items = Item.objects.filter(project=project).aggregate(
            total=Count("pk"),
            done=Count("pk", filter=Q(annotation_count__gte=project.overlap)),
            started=Count(
                "pk",
                filter=Q(annotation_count__lt=project.overlap)
                & (Q(annotation_count__gt=0) | Q(annotations__author__isnull=False)),
                distinct=True,
            ),
        )
        human = Annotation.objects.filter(project=project, author__isnull=False)
        by_status = dict(human.values("status").annotate(n=Count("pk")).values_list("status", "n"))
        # The per-status counts are keyword arguments built at run time, which the plugin's row
        # TypedDict cannot list: the rows are typed as the plain dicts they are.
        per_user = cast(
            "QuerySet[Annotation, dict[str, Any]]",
            human.values("author__username")
            .annotate(
                total=Count("pk"),
                time_spent_ms=Sum("time_spent_ms"),
                **{s: Count("pk", filter=Q(status=s)) for s in Annotation.Status.values},
            )
            .order_by("-total", "author__username"),
        )
        body = {
            "items": {
                "total": items["total"],
                "done": items["done"],
                "in_progress": items["started"],
                "untouched": items["total"] - items["done"] - items["started"],
            },
            "annotations_by_status": {s: by_status.get(s, 0) for s in Annotation.Status.values},
            "machine_annotations": Annotation.objects.filter(
                project=project, judge__isnull=False
            ).count(),
            "by_annotator": [
                {
                    "username": row["author__username"],
                    "total": row["total"],
                    **{s: row[s] for s in Annotation.Status.values},
                    "time_spent_ms": row["time_spent_ms"] or 0,
                }
                for row in per_user
            ],
            "error_types": _error_type_counts(project.pk),
        }
        return Response(body)
