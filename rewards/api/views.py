"""``/api/v1/projects/{project_id}/reward-models/…``, ``…/training-runs/…``, ``…/score-jobs/…``.

Any project member reads. Project admins create and change reward models, start runs,
activate versions and roll back; admins and researchers score. Scoring is a job (202, then
``GET …/score-jobs/{id}/``): the web process never imports torch (STYLE rule 34).
Contract: docs/reward-models.md.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.api.base import ProjectScopedViewSet, Role
from annotator.api.serializers import ErrorOutputSerializer
from rewards.api import serializers as s
from rewards.models import RewardModel
from rewards.selectors import (
    reward_model_get,
    reward_model_list,
    score_job_get,
    training_run_get,
    training_run_list,
    triage_list,
    version_get,
    version_list,
)
from rewards.services.registry import reward_model_version_activate, reward_model_version_rollback
from rewards.services.runs import reward_model_create, reward_model_update, training_run_request
from rewards.services.score_jobs import score_job_request
from snapshots.selectors.snapshots import snapshot_get

ERRORS = {400: ErrorOutputSerializer, 403: ErrorOutputSerializer, 404: ErrorOutputSerializer}


class _RewardScoped(ProjectScopedViewSet):
    def reward_model(self) -> RewardModel:
        return reward_model_get(
            project=self.project, reward_model_id=int(self.kwargs["reward_model_id"])
        )


class RewardModelViewSet(ProjectScopedViewSet):
    serializer_class = s.RewardModelOutputSerializer

    def get_queryset(self) -> Any:
        return reward_model_list(project=self.project).prefetch_related(
            "versions__baseline_version"
        )

    @extend_schema(responses=s.RewardModelOutputSerializer(many=True))
    def list(self, request: Request, project_id: int) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.RewardModelOutputSerializer(page, many=True).data)

    @extend_schema(
        request=s.RewardModelCreateInputSerializer,
        responses={201: s.RewardModelOutputSerializer, **ERRORS},
    )
    def create(self, request: Request, project_id: int) -> Response:
        self.require_role()
        data = s.RewardModelCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        model = reward_model_create(
            project=self.project, created_by=request.user, **data.validated_data
        )
        return Response(s.RewardModelOutputSerializer(model).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.RewardModelOutputSerializer, 404: ErrorOutputSerializer})
    def retrieve(self, request: Request, project_id: int, pk: int) -> Response:
        model = reward_model_get(project=self.project, reward_model_id=pk)
        return Response(s.RewardModelOutputSerializer(model).data)

    @extend_schema(
        request=s.RewardModelUpdateInputSerializer,
        responses={200: s.RewardModelOutputSerializer, **ERRORS},
    )
    def partial_update(self, request: Request, project_id: int, pk: int) -> Response:
        model = reward_model_get(project=self.project, reward_model_id=pk)
        self.require_role()
        data = s.RewardModelUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        model = reward_model_update(reward_model=model, data=data.validated_data)
        return Response(s.RewardModelOutputSerializer(model).data)


class RewardModelRunViewSet(_RewardScoped):
    serializer_class = s.TrainingRunOutputSerializer

    @extend_schema(
        request=s.TrainingRunRequestInputSerializer,
        responses={202: s.TrainingRunOutputSerializer, **ERRORS},
    )
    def create(self, request: Request, project_id: int, reward_model_id: int) -> Response:
        model = self.reward_model()
        self.require_role()
        data = s.TrainingRunRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        snapshot_id = data.validated_data.get("snapshot")
        snapshot = (
            snapshot_get(project=self.project, snapshot_id=snapshot_id) if snapshot_id else None
        )
        if snapshot is not None and not snapshot.sha256:
            raise ValidationError({"snapshot": ["The snapshot is not built yet."]})
        run = training_run_request(
            reward_model=model,
            created_by=request.user,
            snapshot=snapshot,
            config_overrides=data.validated_data["hyperparameters"],
        )
        return Response(s.TrainingRunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)


RUN_FILTERS = [OpenApiParameter("reward_model", OpenApiTypes.INT)]


class TrainingRunViewSet(ProjectScopedViewSet):
    serializer_class = s.TrainingRunOutputSerializer

    def get_queryset(self) -> Any:
        raw = self.request.query_params.get("reward_model")
        try:
            model_id = int(raw) if raw else None
        except ValueError:
            raise ValidationError({"reward_model": ["Must be an integer."]}) from None
        return training_run_list(project=self.project, reward_model_id=model_id).select_related(
            "version"
        )

    @extend_schema(parameters=RUN_FILTERS, responses=s.TrainingRunListOutputSerializer(many=True))
    def list(self, request: Request, project_id: int) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.TrainingRunListOutputSerializer(page, many=True).data)

    @extend_schema(responses={200: s.TrainingRunOutputSerializer, 404: ErrorOutputSerializer})
    def retrieve(self, request: Request, project_id: int, pk: int) -> Response:
        return Response(
            s.TrainingRunOutputSerializer(training_run_get(project=self.project, run_id=pk)).data
        )


class VersionViewSet(_RewardScoped):
    serializer_class = s.VersionOutputSerializer
    pagination_class = None

    @extend_schema(responses=s.VersionOutputSerializer(many=True))
    def list(self, request: Request, project_id: int, reward_model_id: int) -> Response:
        versions = version_list(reward_model=self.reward_model())
        return Response(s.VersionOutputSerializer(versions, many=True).data)

    @extend_schema(request=None, responses={200: s.VersionOutputSerializer, **ERRORS})
    def activate(
        self, request: Request, project_id: int, reward_model_id: int, pk: int
    ) -> Response:
        version = version_get(reward_model=self.reward_model(), version_id=pk)
        self.require_role()
        version = reward_model_version_activate(version=version)
        return Response(s.VersionOutputSerializer(version).data)

    @extend_schema(request=None, responses={200: s.VersionOutputSerializer, **ERRORS})
    def rollback(self, request: Request, project_id: int, reward_model_id: int) -> Response:
        model = self.reward_model()
        self.require_role()
        version = reward_model_version_rollback(reward_model=model)
        return Response(s.VersionOutputSerializer(version).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("a", OpenApiTypes.INT, required=True),
            OpenApiParameter("b", OpenApiTypes.INT, required=True),
        ],
        responses={200: s.VersionCompareOutputSerializer, **ERRORS},
    )
    def compare(self, request: Request, project_id: int, reward_model_id: int) -> Response:
        model = self.reward_model()
        ids = {}
        for name in ("a", "b"):
            try:
                ids[name] = int(request.query_params[name])
            except (KeyError, ValueError):
                raise ValidationError({name: ["A version id is required."]}) from None
        a = version_get(reward_model=model, version_id=ids["a"])
        b = version_get(reward_model=model, version_id=ids["b"])
        return Response(
            {
                "a": s.VersionOutputSerializer(a).data,
                "b": s.VersionOutputSerializer(b).data,
                "metrics": s.compare_metrics(a.metrics, b.metrics),
            }
        )


class ScoreViewSet(_RewardScoped):
    serializer_class = s.ScoreJobOutputSerializer

    @extend_schema(
        request=s.ScoreRequestInputSerializer, responses={202: s.ScoreJobOutputSerializer, **ERRORS}
    )
    def create(self, request: Request, project_id: int, reward_model_id: int) -> Response:
        model = self.reward_model()
        self.require_role(Role.RESEARCHER)
        data = s.ScoreRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = None
        if data.validated_data.get("version"):
            version = version_get(reward_model=model, version_id=data.validated_data["version"])
        job = score_job_request(
            reward_model=model,
            inputs=data.validated_data["inputs"],
            created_by=request.user,
            version=version,
        )
        return Response(s.ScoreJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ScoreJobViewSet(ProjectScopedViewSet):
    serializer_class = s.ScoreJobOutputSerializer

    @extend_schema(responses={200: s.ScoreJobOutputSerializer, 404: ErrorOutputSerializer})
    def retrieve(self, request: Request, project_id: int, pk: int) -> Response:
        return Response(
            s.ScoreJobOutputSerializer(score_job_get(project=self.project, job_id=pk)).data
        )


TRIAGE_LIMIT = 50
TRIAGE_MAX = 500


class TriageViewSet(_RewardScoped):
    serializer_class = s.TriageEntryOutputSerializer
    pagination_class = None

    @extend_schema(
        parameters=[OpenApiParameter("limit", OpenApiTypes.INT, description="Up to 500.")],
        responses=s.TriageEntryOutputSerializer(many=True),
    )
    def list(self, request: Request, project_id: int, reward_model_id: int) -> Response:
        """The responses where the active version disagrees most with the human labels."""
        raw = request.query_params.get("limit", str(TRIAGE_LIMIT))
        if not raw.isdigit() or not 1 <= int(raw) <= TRIAGE_MAX:
            raise ValidationError({"limit": [f"Must be 1..{TRIAGE_MAX}."]})
        entries = triage_list(reward_model=self.reward_model())[: int(raw)]
        return Response(s.TriageEntryOutputSerializer(entries, many=True).data)
