"""Projects, members, taxonomy and rubric versions, tokens and the current user.

Judges are served by the judges app (judges/api/).
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import User
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.api import serializers as s
from annotator.api.auth import token_allows_project
from annotator.api.base import ProjectScopedViewSet, Role
from annotator.models import ApiToken, ProjectMembership, Rubric, Taxonomy
from annotator.selectors.projects import project_list_for_user, project_members
from annotator.services.projects import (
    project_create,
    project_member_remove,
    project_member_set,
    project_update,
)
from annotator.services.taxonomy import (
    rubric_draft_create,
    rubric_publish,
    rubric_set_criteria,
    taxonomy_draft_create,
    taxonomy_publish,
    taxonomy_set_error_types,
)
from annotator.services.tokens import api_token_create, api_token_revoke
from core.exceptions import ApplicationError


class MeViewSet(viewsets.ViewSet):
    @extend_schema(responses=s.UserOutputSerializer)
    def retrieve(self, request: Request) -> Response:
        return Response(s.UserOutputSerializer(request.user).data)


class ApiTokenViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Manage your own API tokens. Only a signed-in browser session can do this: a token
    cannot mint or revoke tokens."""

    serializer_class = s.ApiTokenOutputSerializer
    pagination_class = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if isinstance(request.auth, ApiToken):
            raise PermissionDenied("Tokens are managed from a signed-in session, not with a token.")

    def get_queryset(self) -> Any:
        user = cast(User, self.request.user)  # IsAuthenticated (a default permission) ran first
        return ApiToken.objects.filter(user=user).prefetch_related("projects")

    @extend_schema(
        request=s.ApiTokenCreateInputSerializer, responses={201: s.ApiTokenCreatedOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        data = s.ApiTokenCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        projects = list(
            project_list_for_user(user=request.user).filter(pk__in=data.validated_data["projects"])
        )
        if len(projects) != len(set(data.validated_data["projects"])):
            raise ApplicationError("Some projects are not yours.", field="projects")
        token, secret = api_token_create(
            user=request.user,
            name=data.validated_data["name"],
            scopes=data.validated_data["scopes"],
            projects=projects,
            expires_at=data.validated_data.get("expires_at"),
        )
        body = s.ApiTokenOutputSerializer(token).data | {"token": secret}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.ApiTokenOutputSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: int) -> Response:
        token = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(s.ApiTokenOutputSerializer(api_token_revoke(token=token)).data)


class ProjectViewSet(viewsets.GenericViewSet):
    serializer_class = s.ProjectOutputSerializer

    def _token_projects(self) -> set[int] | None:
        token = self.request.auth
        return getattr(token, "project_ids", None) if isinstance(token, ApiToken) else None

    def get_queryset(self) -> Any:
        return project_list_for_user(user=self.request.user, project_ids=self._token_projects())

    def _roles(self) -> dict[int, str]:
        user = cast(User, self.request.user)  # IsAuthenticated (a default permission) ran first
        return dict(ProjectMembership.objects.filter(user=user).values_list("project_id", "role"))

    @extend_schema(responses=s.ProjectOutputSerializer(many=True))
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        data = s.ProjectOutputSerializer(page, many=True, context={"roles": self._roles()}).data
        return self.get_paginated_response(data)

    @extend_schema(responses=s.ProjectOutputSerializer)
    def retrieve(self, request: Request, pk: int) -> Response:
        if not token_allows_project(request, pk):
            raise Http404
        project = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(s.ProjectOutputSerializer(project, context={"roles": self._roles()}).data)

    @extend_schema(
        request=s.ProjectCreateInputSerializer, responses={201: s.ProjectOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        data = s.ProjectCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = project_create(created_by=request.user, **data.validated_data)
        return Response(
            s.ProjectOutputSerializer(project, context={"project_role": Role.ADMIN}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=s.ProjectUpdateInputSerializer, responses=s.ProjectOutputSerializer)
    def partial_update(self, request: Request, pk: int) -> Response:
        project = get_object_or_404(self.get_queryset(), pk=pk)
        if self._roles().get(project.pk) != Role.ADMIN:
            raise PermissionDenied("Only project admins can change a project.")
        data = s.ProjectUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        project = project_update(project=project, data=data.validated_data)
        return Response(s.ProjectOutputSerializer(project, context={"roles": self._roles()}).data)


class MemberViewSet(ProjectScopedViewSet):
    serializer_class = s.MemberOutputSerializer
    pagination_class = None

    @extend_schema(responses=s.MemberOutputSerializer(many=True))
    def list(self, request: Request, project_id: int) -> Response:
        return Response(
            s.MemberOutputSerializer(project_members(project=self.project), many=True).data
        )

    @extend_schema(request=s.MemberSetInputSerializer, responses=s.MemberOutputSerializer)
    def create(self, request: Request, project_id: int) -> Response:
        self.require_role()
        data = s.MemberSetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = project_member_set(project=self.project, **data.validated_data)
        return Response(s.MemberOutputSerializer(membership).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, project_id: int, pk: int) -> Response:
        self.require_role()
        membership = get_object_or_404(project_members(project=self.project), pk=pk)
        project_member_remove(project=self.project, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _VersionViewSet(ProjectScopedViewSet):
    """Shared list/retrieve/create-draft/publish for Taxonomy and Rubric versions."""

    model: type[Taxonomy] | type[Rubric]
    prefetch: str
    pagination_class = None

    def get_queryset(self) -> Any:
        return (
            self.model.objects.filter(project=self.project)
            .prefetch_related(self.prefetch)
            .order_by("-version")
        )

    def get_object(self) -> Any:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def _render(self, obj: Any, code: int = 200) -> Response:
        return Response(self.get_serializer(obj).data, status=code)

    def list(self, request: Request, project_id: int) -> Response:
        return Response(self.get_serializer(self.get_queryset(), many=True).data)

    def retrieve(self, request: Request, project_id: int, pk: int) -> Response:
        return self._render(self.get_object())


class TaxonomyViewSet(_VersionViewSet):
    model = Taxonomy
    prefetch = "error_types"
    serializer_class = s.TaxonomyOutputSerializer

    @extend_schema(request=None, responses={201: s.TaxonomyOutputSerializer})
    def create(self, request: Request, project_id: int) -> Response:
        self.require_role()
        return self._render(taxonomy_draft_create(project=self.project), 201)

    @extend_schema(request=s.TaxonomyUpdateInputSerializer, responses=s.TaxonomyOutputSerializer)
    def update(self, request: Request, project_id: int, pk: int) -> Response:
        self.require_role()
        data = s.TaxonomyUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        taxonomy = taxonomy_set_error_types(
            taxonomy=self.get_object(), error_types=data.validated_data["error_types"]
        )
        return self._render(self.get_queryset().get(pk=taxonomy.pk))

    @extend_schema(request=None, responses=s.TaxonomyOutputSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, project_id: int, pk: int) -> Response:
        self.require_role()
        return self._render(taxonomy_publish(taxonomy=self.get_object()))


class RubricViewSet(_VersionViewSet):
    model = Rubric
    prefetch = "criteria"
    serializer_class = s.RubricOutputSerializer

    @extend_schema(request=None, responses={201: s.RubricOutputSerializer})
    def create(self, request: Request, project_id: int) -> Response:
        self.require_role()
        return self._render(rubric_draft_create(project=self.project), 201)

    @extend_schema(request=s.RubricUpdateInputSerializer, responses=s.RubricOutputSerializer)
    def update(self, request: Request, project_id: int, pk: int) -> Response:
        self.require_role()
        data = s.RubricUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rubric = rubric_set_criteria(
            rubric=self.get_object(), criteria=data.validated_data["criteria"]
        )
        return self._render(self.get_queryset().get(pk=rubric.pk))

    @extend_schema(request=None, responses=s.RubricOutputSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, project_id: int, pk: int) -> Response:
        self.require_role()
        return self._render(rubric_publish(rubric=self.get_object()))
