"""Annotations: create (idempotent), update (optimistic), submit, review, bulk, list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.api import serializers as s
from annotator.api.base import ProjectScopedViewSet, Role
from annotator.models import Annotation, Judge
from annotator.selectors.annotations import annotation_list_for_member
from annotator.selectors.items import item_get
from annotator.services.annotations import (
    annotation_bulk_create,
    annotation_create,
    annotation_review,
    annotation_submit,
    annotation_update,
)
from core.exceptions import ApplicationError, Conflict

UNIT_KEYS = (
    "spans",
    "steps",
    "regions",
    "rubric_scores",
    "preferences",
    "critiques",
    "missing_info",
)
LABELLING_ROLES = (Role.ANNOTATOR, Role.REVIEWER)
WRITE_ERRORS = {400: s.ErrorOutputSerializer, 409: s.ConflictOutputSerializer}


def _units(data: dict[str, Any]) -> dict[str, Any]:
    return {key: data.get(key, []) for key in UNIT_KEYS}


def _render(annotation: Annotation) -> dict[str, Any]:
    return s.annotation_to_dict(annotation)


def _with_conflict_state(call: Callable[[], Annotation]) -> Annotation:
    """Run a write; on 409 put the current annotation, rendered, into the error body."""
    try:
        return call()
    except Conflict as exc:
        current = exc.extra.get("current")
        if isinstance(current, Annotation):
            exc.extra["current"] = _render(current)
        raise


class ItemAnnotationViewSet(ProjectScopedViewSet):
    """``/projects/{project_id}/items/{item_id}/annotations/``: start labelling an item."""

    serializer_class = s.AnnotationOutputSerializer

    @extend_schema(
        request=s.AnnotationCreateInputSerializer,
        responses={201: s.AnnotationOutputSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, project_id: int, item_id: int) -> Response:
        """Create your annotation on an item. Repeating a ``client_id`` replays the result."""
        self.require_role(*LABELLING_ROLES)
        data = s.AnnotationCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = item_get(project=self.project, item_id=item_id)
        values = data.validated_data
        annotation, created = annotation_create(
            item=item,
            author=request.user,
            client_id=values["client_id"],
            status=values.get("status", Annotation.Status.DRAFT),
            units=_units(values),
            time_spent_ms=values.get("time_spent_ms", 0),
            metadata=values.get("metadata"),
        )
        response = Response(_render(annotation), status=status.HTTP_201_CREATED)
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response


ANNOTATION_FILTERS = [
    OpenApiParameter("item", OpenApiTypes.INT),
    OpenApiParameter("status", OpenApiTypes.STR, many=True),
    OpenApiParameter("author", OpenApiTypes.STR, description="Username."),
    OpenApiParameter("judge", OpenApiTypes.INT),
    OpenApiParameter("source", OpenApiTypes.STR, enum=["human", "machine"]),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="Up to 500."),
]


class AnnotationViewSet(ProjectScopedViewSet):
    serializer_class = s.AnnotationOutputSerializer

    def get_queryset(self) -> Any:
        params = self.request.query_params
        filters = {
            "item": params.get("item") if (params.get("item") or "").isdigit() else None,
            "status": [v for v in params.getlist("status") if v in Annotation.Status.values],
            "author": params.get("author"),
            "judge": params.get("judge") if (params.get("judge") or "").isdigit() else None,
            "source": params.get("source"),
        }
        return annotation_list_for_member(
            project=self.project, user=self.request.user, role=self.role, filters=filters
        )

    def _own(self, pk: int) -> Annotation:
        annotation = get_object_or_404(self.get_queryset(), pk=pk)
        if annotation.author_id != self.request.user.pk:
            raise PermissionDenied("Only the author can change this annotation.")
        return annotation

    @extend_schema(parameters=ANNOTATION_FILTERS, responses=s.AnnotationOutputSerializer(many=True))
    def list(self, request: Request, project_id: int) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # DEFAULT_PAGINATION_CLASS is always set
        return self.get_paginated_response([_render(a) for a in page])

    @extend_schema(responses=s.AnnotationOutputSerializer)
    def retrieve(self, request: Request, project_id: int, pk: int) -> Response:
        return Response(_render(get_object_or_404(self.get_queryset(), pk=pk)))

    @extend_schema(
        request=s.AnnotationUpdateInputSerializer,
        responses={200: s.AnnotationOutputSerializer, **WRITE_ERRORS},
    )
    def update(self, request: Request, project_id: int, pk: int) -> Response:
        """Replace your annotation's units (send them all). 409 with the current state if
        ``version`` is stale."""
        data = s.AnnotationUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        annotation = self._own(pk)
        annotation = _with_conflict_state(
            lambda: annotation_update(
                annotation=annotation,
                version=values["version"],
                units=_units(values),
                status=values.get("status"),
                time_spent_ms=values.get("time_spent_ms"),
                metadata=values.get("metadata"),
            )
        )
        return Response(_render(annotation))

    @extend_schema(
        request=s.AnnotationSubmitInputSerializer,
        responses={200: s.AnnotationOutputSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, project_id: int, pk: int) -> Response:
        data = s.AnnotationSubmitInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        annotation = self._own(pk)
        annotation = _with_conflict_state(
            lambda: annotation_submit(annotation=annotation, version=data.validated_data["version"])
        )
        return Response(_render(annotation))

    @extend_schema(
        request=s.AnnotationReviewInputSerializer,
        responses={200: s.AnnotationOutputSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, project_id: int, pk: int) -> Response:
        """Accept or reject a submitted annotation (reviewers and admins)."""
        self.require_role(Role.REVIEWER)
        data = s.AnnotationReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        annotation = get_object_or_404(self.get_queryset(), pk=pk)
        annotation = _with_conflict_state(
            lambda: annotation_review(
                annotation=annotation,
                reviewer=request.user,
                decision=data.validated_data["decision"],
                version=data.validated_data["version"],
            )
        )
        return Response(_render(annotation))

    @extend_schema(
        request=s.AnnotationBulkInputSerializer,
        responses={201: s.AnnotationBulkOutputSerializer, 400: s.ErrorOutputSerializer},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request, project_id: int) -> Response:
        """Store thousands of machine annotations by one judge, all or nothing."""
        self.require_role()
        data = s.AnnotationBulkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        judge = Judge.objects.filter(project=self.project, pk=data.validated_data["judge"]).first()
        if judge is None:
            raise ApplicationError("No such judge in this project.", field="judge")
        rows, created = annotation_bulk_create(
            project=self.project, judge=judge, entries=data.validated_data["annotations"]
        )
        body = {"created": created, "existing": len(rows) - created, "ids": [a.pk for a in rows]}
        return Response(body, status=status.HTTP_201_CREATED)
