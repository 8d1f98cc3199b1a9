"""``/api/v1/projects/{project_id}/quality/…``: agreement, review and consensus, gold items,
consistency flags and settings. Contract and metric definitions: docs/quality.md.

Any member reads agreement and settings; admins, reviewers and researchers recompute;
admins and reviewers use the review queue, save consensus and handle flags; admins change
settings and gold items.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.api.base import ProjectScopedViewSet, Role
from annotator.api.serializers import (
    AnnotationOutputSerializer,
    ConflictOutputSerializer,
    ErrorOutputSerializer,
    ItemOutputSerializer,
)
from annotator.models import Annotation
from annotator.selectors.items import item_get
from annotator.services.units import UNIT_FIELDS
from quality.api import serializers as s
from quality.models import ConsistencyFlag, GoldLabel
from quality.selectors.agreement import agreement_overview
from quality.selectors.review import item_review
from quality.services.agreement import agreement_recompute_request
from quality.services.consensus import consensus_save
from quality.services.gold import gold_accuracy, gold_label_remove, gold_label_set
from quality.services.routing import review_item_next, review_queue
from quality.services.settings import quality_settings_get, quality_settings_update

ERRORS = {400: ErrorOutputSerializer, 403: ErrorOutputSerializer, 404: ErrorOutputSerializer}
REVIEW_ROLES = (Role.REVIEWER,)


class QualitySettingsViewSet(ProjectScopedViewSet):
    @extend_schema(responses=s.QualitySettingsOutputSerializer)
    def retrieve(self, request: Request, project_id: int) -> Response:
        """The project's quality settings (defaults when never set)."""
        settings = quality_settings_get(project=self.project)
        return Response(s.QualitySettingsOutputSerializer(settings).data)

    @extend_schema(
        request=s.QualitySettingsInputSerializer,
        responses={200: s.QualitySettingsOutputSerializer, **ERRORS},
    )
    def partial_update(self, request: Request, project_id: int) -> Response:
        """Change the gold rate, thresholds or the recompute debounce (admins)."""
        self.require_role()
        data = s.QualitySettingsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        settings = quality_settings_update(project=self.project, values=data.validated_data)
        return Response(s.QualitySettingsOutputSerializer(settings).data)


class AgreementViewSet(ProjectScopedViewSet):
    @extend_schema(responses=s.AgreementOutputSerializer)
    def retrieve(self, request: Request, project_id: int) -> Response:
        """The latest agreement report, whether labels (drafts aside) changed since, and the
        history (oldest first): headline numbers, per error type and per annotator."""
        body = agreement_overview(project=self.project)
        return Response(s.AgreementOutputSerializer(body).data)

    @extend_schema(request=None, responses={202: None, **ERRORS})
    def recompute(self, request: Request, project_id: int) -> Response:
        """Recompute agreement now, as a job (the report appears in GET when done)."""
        self.require_role(Role.REVIEWER, Role.RESEARCHER)
        agreement_recompute_request(project=self.project)
        return Response(status=status.HTTP_202_ACCEPTED)


class ReviewViewSet(ProjectScopedViewSet):
    pagination_class = None

    def _item(self, item_id: int) -> Any:
        return item_get(project=self.project, item_id=item_id)

    @extend_schema(
        parameters=[
            OpenApiParameter("state", OpenApiTypes.STR, enum=["pending", "done", "all"]),
            OpenApiParameter("limit", OpenApiTypes.INT, description="Up to 500 (default 100)."),
        ],
        responses={200: s.ReviewQueueOutputSerializer, **ERRORS},
    )
    def queue(self, request: Request, project_id: int) -> Response:
        """Items to review, lowest agreement first (reviewers and admins)."""
        self.require_role(*REVIEW_ROLES)
        state = request.query_params.get("state", "pending")
        if state not in ("pending", "done", "all"):
            raise ValidationError({"state": ["Must be pending, done or all."]})
        try:
            limit = min(500, max(1, int(request.query_params.get("limit", 100))))
        except ValueError:
            raise ValidationError({"limit": ["Must be an integer."]}) from None
        threshold = quality_settings_get(project=self.project).low_agreement_threshold
        qs = review_queue(project=self.project, state=state)
        now = timezone.now()
        rows = []
        for item in qs[:limit]:
            agreement = getattr(item, "agreement", None)
            lease = getattr(item, "review_lease", None)
            score = agreement.score if agreement else None
            rows.append({
                "id": item.pk, "external_id": item.external_id, "prompt": item.prompt[:300],
                "is_gold": item.is_gold, "annotation_count": item.annotation_count,
                "agreement_score": score,
                "annotators": agreement.annotators if agreement else None,
                "low_agreement": score is not None and score < threshold,
                "pending": bool(item.waiting and not item.has_consensus),
                "reviewer": lease.reviewer.get_username()
                if lease and lease.expires_at > now else None,
            })  # fmt: skip
        body = {"results": rows, "count": qs.count()}
        return Response(s.ReviewQueueOutputSerializer(body).data)

    @extend_schema(request=None, responses={200: s.ReviewNextOutputSerializer, 204: None, **ERRORS})
    def next(self, request: Request, project_id: int) -> Response:
        """Lease the pending item with the lowest agreement (204 when none is left)."""
        self.require_role(*REVIEW_ROLES)
        item = review_item_next(project=self.project, reviewer=request.user)
        if item is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        item = item_get(project=self.project, item_id=item.pk)
        return Response({"item": ItemOutputSerializer(item).data})

    @extend_schema(responses={200: s.ItemReviewOutputSerializer, **ERRORS})
    def retrieve(self, request: Request, project_id: int, item_id: int) -> Response:
        """One item for review: differences between its annotations, its agreement, its
        consensus and the rule's proposal."""
        self.require_role(*REVIEW_ROLES)
        body = item_review(project=self.project, item=self._item(item_id))
        return Response(s.ItemReviewOutputSerializer(body).data)

    @extend_schema(
        request=s.ConsensusInputSerializer,
        responses={201: AnnotationOutputSerializer, 409: ConflictOutputSerializer, **ERRORS},
    )
    def consensus(self, request: Request, project_id: int, item_id: int) -> Response:
        """Save the consensus of an item (accepted, made by the consensus judge, reviewer in
        metadata); name the consensus it replaces in ``based_on`` (409 if another was saved)."""
        self.require_role(*REVIEW_ROLES)
        data = s.ConsensusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        units = {k: values.get(k, []) for k in UNIT_FIELDS}
        annotation = consensus_save(
            project=self.project,
            item=self._item(item_id),
            reviewer=request.user,
            units=units,
            based_on=values["based_on"],
            based_on_version=values.get("based_on_version"),
            sources=values.get("sources", []),
        )
        return Response(AnnotationOutputSerializer(annotation).data, status=status.HTTP_201_CREATED)


class GoldViewSet(ProjectScopedViewSet):
    pagination_class = None

    @extend_schema(responses=s.GoldOutputSerializer)
    def overview(self, request: Request, project_id: int) -> Response:
        """Gold items with their reference annotation, and each annotator's accuracy on them."""
        items = GoldLabel.objects.filter(project=self.project).select_related(
            "item", "annotation__author"
        )
        body = {"items": items.order_by("item_id"), "accuracy": gold_accuracy(project=self.project)}
        return Response(s.GoldOutputSerializer(body).data)

    @extend_schema(request=s.GoldInputSerializer, responses={201: s.GoldItemSerializer, **ERRORS})
    def create(self, request: Request, project_id: int) -> Response:
        """Make an item gold, with one of its human annotations as the known labels (admins)."""
        self.require_role()
        data = s.GoldInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = item_get(project=self.project, item_id=data.validated_data["item"])
        annotation = Annotation.objects.filter(
            project=self.project, pk=data.validated_data["annotation"]
        ).first()
        if annotation is None:
            raise ValidationError({"annotation": ["No such annotation in this project."]})
        gold = gold_label_set(
            project=self.project, item=item, annotation=annotation, user=request.user
        )
        gold = GoldLabel.objects.select_related("item", "annotation__author").get(pk=gold.pk)
        return Response(s.GoldItemSerializer(gold).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, **ERRORS})
    def destroy(self, request: Request, project_id: int, item_id: int) -> Response:
        """Make a gold item a regular item again (admins)."""
        self.require_role()
        gold = get_object_or_404(GoldLabel.objects.filter(project=self.project), item_id=item_id)
        gold_label_remove(item=gold.item)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConsistencyFlagViewSet(ProjectScopedViewSet):
    serializer_class = s.ConsistencyFlagOutputSerializer

    def get_queryset(self) -> Any:
        qs = ConsistencyFlag.objects.filter(project=self.project).select_related(
            "item", "annotation__author"
        )
        wanted = self.request.query_params.get("status")
        if wanted:
            if wanted not in ConsistencyFlag.Status.values:
                raise ValidationError({"status": ["Must be open or dismissed."]})
            qs = qs.filter(status=wanted)
        kind = self.request.query_params.get("kind")
        if kind:
            qs = qs.filter(kind=kind)
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=["open", "dismissed"]),
            OpenApiParameter(
                "kind", OpenApiTypes.STR, description=", ".join(ConsistencyFlag.Kind.values)
            ),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="Up to 500."),
        ],
        responses=s.ConsistencyFlagOutputSerializer(many=True),
    )
    def list(self, request: Request, project_id: int) -> Response:
        """Items whose rubric scores contradict their spans or preferences (as of the latest
        recomputation)."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.ConsistencyFlagOutputSerializer(page, many=True).data)

    @extend_schema(
        request=s.ConsistencyFlagStatusInputSerializer,
        responses={200: s.ConsistencyFlagOutputSerializer, **ERRORS},
    )
    def set_status(self, request: Request, project_id: int, pk: int) -> Response:
        """Dismiss a flag (it stays dismissed through recomputations) or reopen it."""
        self.require_role(*REVIEW_ROLES)
        data = s.ConsistencyFlagStatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        flag = get_object_or_404(self.get_queryset(), pk=pk)
        flag.status = data.validated_data["status"]
        flag.resolved_by = request.user if flag.status == ConsistencyFlag.Status.DISMISSED else None
        flag.save(update_fields=["status", "resolved_by", "updated_at"])
        return Response(s.ConsistencyFlagOutputSerializer(flag).data)
