"""``/api/v1/projects/{project_id}/judges/…``: judges, runs, results, calibration, templates.

Any project member reads; project admins write (configure, run, cancel, add templates);
admins, reviewers and researchers compute calibrations. Contract: docs/judges.md.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.api.base import ProjectScopedViewSet, Role
from annotator.api.serializers import ErrorOutputSerializer
from annotator.models import Judge
from judges.api import serializers as s
from judges.models import JudgeResult, ProjectJudgePolicy, PromptTemplate
from judges.prompting import PromptTemplateText, shipped_templates, template_task
from judges.selectors import (
    calibration_latest,
    judge_list,
    result_list,
    run_list,
    runs_by_id,
    template_list,
)
from judges.services.calibration import judge_calibration_compute
from judges.services.configs import judge_create, judge_update, project_allowed_hosts
from judges.services.runs import judge_run_cancel, judge_run_create
from judges.services.templates import prompt_template_create

ERRORS = {400: ErrorOutputSerializer, 403: ErrorOutputSerializer, 404: ErrorOutputSerializer}


class _JudgeScoped(ProjectScopedViewSet):
    def judge(self) -> Judge:
        return get_object_or_404(judge_list(project=self.project), pk=self.kwargs["judge_id"])


class JudgeViewSet(_JudgeScoped):
    serializer_class = s.JudgeOutputSerializer
    pagination_class = None

    @extend_schema(responses=s.JudgeOutputSerializer(many=True))
    def list(self, request: Request, project_id: int) -> Response:
        """The project's judges with their configuration (never an API key)."""
        judges = list(judge_list(project=self.project))
        runs = runs_by_id([judge.last_run_id for judge in judges])
        return Response(s.JudgeOutputSerializer(judges, many=True, context={"runs": runs}).data)

    @extend_schema(
        request=s.JudgeCreateInputSerializer, responses={201: s.JudgeOutputSerializer, **ERRORS}
    )
    def create(self, request: Request, project_id: int) -> Response:
        """Register a judge; ``config`` (by kind) is needed before it can run."""
        self.require_role()
        data = s.JudgeCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        judge = judge_create(project=self.project, **data.validated_data)
        judge = judge_list(project=self.project).get(pk=judge.pk)
        return Response(s.JudgeOutputSerializer(judge).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.JudgeOutputSerializer, 404: ErrorOutputSerializer})
    def retrieve(self, request: Request, project_id: int, judge_id: int) -> Response:
        return Response(s.JudgeOutputSerializer(self.judge()).data)

    @extend_schema(
        request=s.JudgeUpdateInputSerializer, responses={200: s.JudgeOutputSerializer, **ERRORS}
    )
    def partial_update(self, request: Request, project_id: int, judge_id: int) -> Response:
        """Rename a judge or replace its configuration (validated whole)."""
        self.require_role()
        data = s.JudgeUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        judge = judge_update(judge=self.judge(), **data.validated_data)
        return Response(
            s.JudgeOutputSerializer(judge_list(project=self.project).get(pk=judge.pk)).data
        )

    @extend_schema(responses=s.AllowedHostsOutputSerializer)
    def allowed_hosts(self, request: Request, project_id: int) -> Response:
        """Hosts ``openai`` judges of this project may call (set by site admins)."""
        policy = ProjectJudgePolicy.objects.filter(project=self.project).first()
        body = {
            "hosts": sorted(project_allowed_hosts(project=self.project)),
            "from_settings": list(settings.FINEGRAIN_JUDGE_ALLOWED_HOSTS),
            "from_project": list(policy.allowed_hosts) if policy else [],
        }
        return Response(body)


RUN_STATUS = OpenApiParameter("status", OpenApiTypes.STR, enum=list(JudgeResult.Status.values))


class JudgeRunViewSet(_JudgeScoped):
    serializer_class = s.JudgeRunOutputSerializer

    def _page(self, judge: Judge | None) -> Response:
        page = self.paginate_queryset(run_list(project=self.project, judge=judge))
        return self.get_paginated_response(s.JudgeRunOutputSerializer(page, many=True).data)

    @extend_schema(responses=s.JudgeRunOutputSerializer(many=True))
    def list(self, request: Request, project_id: int, judge_id: int) -> Response:
        """Runs of one judge, oldest first."""
        return self._page(self.judge())

    @extend_schema(
        operation_id="projects_judges_runs_all_list",
        responses=s.JudgeRunOutputSerializer(many=True),
    )
    def list_all(self, request: Request, project_id: int) -> Response:
        """Runs of every judge of the project, oldest first."""
        return self._page(None)

    @extend_schema(
        request=s.JudgeRunCreateInputSerializer,
        responses={202: s.JudgeRunOutputSerializer, **ERRORS},
    )
    def create(self, request: Request, project_id: int, judge_id: int) -> Response:
        """Start a run over the filtered items; poll it for progress. 202 with the run."""
        self.require_role()
        data = s.JudgeRunCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        run = judge_run_create(
            judge=self.judge(),
            task=values["task"],
            created_by=request.user,
            prompt_template=values.get("prompt_template") or None,
            filters={k: v for k, v in (values.get("filters") or {}).items() if v is not None},
            options=values.get("options"),
        )
        return Response(s.JudgeRunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    def _run(self) -> Any:
        return get_object_or_404(
            run_list(project=self.project, judge=self.judge()), pk=self.kwargs["pk"]
        )

    @extend_schema(responses={200: s.JudgeRunOutputSerializer, 404: ErrorOutputSerializer})
    def retrieve(self, request: Request, project_id: int, judge_id: int, pk: int) -> Response:
        """One run: status, progress (``processed`` of ``total``), token counts, error."""
        return Response(s.JudgeRunOutputSerializer(self._run()).data)

    @extend_schema(request=None, responses={200: s.JudgeRunOutputSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, project_id: int, judge_id: int, pk: int) -> Response:
        """Stop a run: at once if queued, after the items in flight if running."""
        self.require_role()
        return Response(s.JudgeRunOutputSerializer(judge_run_cancel(run=self._run())).data)

    @extend_schema(parameters=[RUN_STATUS], responses=s.JudgeResultOutputSerializer(many=True))
    @action(detail=True, methods=["get"])
    def results(self, request: Request, project_id: int, judge_id: int, pk: int) -> Response:
        """Per-item results: the annotation made, or why none was (``?status=failed``)."""
        wanted = request.query_params.get("status")
        wanted = wanted if wanted in JudgeResult.Status.values else None
        page = self.paginate_queryset(result_list(run=self._run(), status=wanted))
        return self.get_paginated_response(s.JudgeResultOutputSerializer(page, many=True).data)


class JudgeCalibrationViewSet(_JudgeScoped):
    serializer_class = s.JudgeCalibrationOutputSerializer

    @extend_schema(responses={200: s.JudgeCalibrationOutputSerializer, 404: ErrorOutputSerializer})
    def retrieve(self, request: Request, project_id: int, judge_id: int) -> Response:
        """The latest calibration report of this judge (404 until one is computed)."""
        calibration = calibration_latest(judge=self.judge())
        if calibration is None:
            return Response({"detail": "No calibration yet; POST to compute one."}, status=404)
        return Response(s.JudgeCalibrationOutputSerializer(calibration).data)

    @extend_schema(
        request=s.JudgeCalibrationComputeInputSerializer,
        responses={201: s.JudgeCalibrationOutputSerializer, **ERRORS},
    )
    def create(self, request: Request, project_id: int, judge_id: int) -> Response:
        """Compute the judge's agreement with humans now and store it."""
        self.require_role(Role.REVIEWER, Role.RESEARCHER)
        data = s.JudgeCalibrationComputeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        calibration = judge_calibration_compute(
            judge=self.judge(),
            created_by=request.user,
            span_responses=data.validated_data.get("span_responses"),
        )
        return Response(s.JudgeCalibrationOutputSerializer(calibration).data, status=201)


def _template_dict(template: PromptTemplate) -> dict[str, Any]:
    return {
        "version": template.version_string, "source": "project", "task": template.task,
        "system": template.system, "user": template.user,
        "sha256": _sha(template.system, template.user), "created_at": template.created_at,
    }  # fmt: skip


def _sha(system: str, user: str) -> str:
    return PromptTemplateText("", system, user).sha256


class PromptTemplateViewSet(ProjectScopedViewSet):
    serializer_class = s.PromptTemplateOutputSerializer
    pagination_class = None

    @extend_schema(responses=s.PromptTemplateOutputSerializer(many=True))
    def list(self, request: Request, project_id: int) -> Response:
        """Shipped templates (judges/prompts/) and this project's own, every version."""
        shipped = [
            {"version": v, "source": "shipped", "task": template_task(v), "system": t.system,
             "user": t.user, "sha256": t.sha256, "created_at": None}
            for v, t in shipped_templates().items()
        ]  # fmt: skip
        own = [_template_dict(t) for t in template_list(project=self.project)]
        return Response(s.PromptTemplateOutputSerializer(shipped + own, many=True).data)

    @extend_schema(
        request=s.PromptTemplateCreateInputSerializer,
        responses={201: s.PromptTemplateOutputSerializer, **ERRORS},
    )
    def create(self, request: Request, project_id: int) -> Response:
        """Save a project template as the next version of its name."""
        self.require_role()
        data = s.PromptTemplateCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        template = prompt_template_create(
            project=self.project, created_by=request.user, **data.validated_data
        )
        return Response(s.PromptTemplateOutputSerializer(_template_dict(template)).data, status=201)
