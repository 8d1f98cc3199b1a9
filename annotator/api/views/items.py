"""Items (read), next-item leasing and skipping."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.api import serializers as s
from annotator.api.base import ProjectScopedViewSet, Role
from annotator.selectors.items import item_get, item_list, response_rows_by_item
from annotator.services.assignments import assignment_release, item_next_for_annotator

LABELLING_ROLES = (Role.ANNOTATOR, Role.REVIEWER)


def _bool_param(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise ValidationError({name: ["Must be true or false."]})


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: ["Must be an integer."]}) from None
    if value < 0:
        raise ValidationError({name: ["Must be >= 0."]})
    return value


ITEM_FILTERS = [
    OpenApiParameter("external_id", OpenApiTypes.STR, many=True),
    OpenApiParameter("is_gold", OpenApiTypes.BOOL),
    OpenApiParameter("min_annotations", OpenApiTypes.INT),
    OpenApiParameter("max_annotations", OpenApiTypes.INT),
    OpenApiParameter("annotated_by", OpenApiTypes.STR, description="Username."),
    OpenApiParameter("search", OpenApiTypes.STR, description="Substring of the prompt."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="Up to 500."),
]


class ItemViewSet(ProjectScopedViewSet):
    serializer_class = s.ItemOutputSerializer

    def get_queryset(self) -> Any:
        request = self.request
        filters = {
            "external_id": request.query_params.getlist("external_id"),
            "is_gold": _bool_param(request, "is_gold"),
            "min_annotations": _int_param(request, "min_annotations"),
            "max_annotations": _int_param(request, "max_annotations"),
            "annotated_by": request.query_params.get("annotated_by"),
            "search": request.query_params.get("search"),
        }
        return item_list(project=self.project, filters=filters, with_responses=False)

    @extend_schema(parameters=ITEM_FILTERS, responses=s.ItemOutputSerializer(many=True))
    def list(self, request: Request, project_id: int) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # DEFAULT_PAGINATION_CLASS is always set
        rows = response_rows_by_item(item.pk for item in page)
        return self.get_paginated_response([s.item_to_dict(i, rows.get(i.pk, [])) for i in page])

    @extend_schema(responses=s.ItemOutputSerializer)
    def retrieve(self, request: Request, project_id: int, pk: int) -> Response:
        return Response(s.item_to_dict(item_get(project=self.project, item_id=pk)))

    @extend_schema(request=None, responses={200: s.AssignmentOutputSerializer, 204: None})
    @action(detail=False, methods=["post"], url_path="next")
    def next(self, request: Request, project_id: int) -> Response:
        """Lease the next item to label (204 when the queue is empty for you)."""
        self.require_role(*LABELLING_ROLES)
        item, assignment = item_next_for_annotator(project=self.project, user=request.user)
        if item is None or assignment is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        item = item_get(project=self.project, item_id=item.pk)
        return Response(
            {"item": s.item_to_dict(item), "expires_at": s.iso_datetime(assignment.expires_at)}
        )

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def skip(self, request: Request, project_id: int, pk: int) -> Response:
        """Give a leased item back so that others can take it."""
        self.require_role(*LABELLING_ROLES)
        item = get_object_or_404(item_list(project=self.project, with_responses=False), pk=pk)
        assignment_release(project=self.project, user=request.user, item=item)
        return Response(status=status.HTTP_204_NO_CONTENT)
