"""Shared view plumbing: resolve the project from the URL, scoped by membership and token."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import Http404
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied

from annotator.api.auth import token_allows_project
from annotator.models import Project, ProjectMembership
from annotator.selectors.projects import project_get_for_member

Role = ProjectMembership.Role


class ProjectScopedViewSet(viewsets.GenericViewSet):
    """A viewset under ``/projects/{project_id}/``. Non-members (and tokens not scoped to
    the project) get 404 for everything below it."""

    lookup_value_converter = "int"

    @cached_property
    def membership(self) -> tuple[Project, str]:
        project_id = int(self.kwargs["project_id"])
        if not token_allows_project(self.request, project_id):
            raise Http404
        return project_get_for_member(user=self.request.user, project_id=project_id)

    @property
    def project(self) -> Project:
        return self.membership[0]

    @property
    def role(self) -> str:
        return self.membership[1]

    def require_role(self, *roles: str) -> None:
        """Raise 403 unless the caller has one of ``roles`` in this project (admins always)."""
        if self.role != Role.ADMIN and self.role not in roles:
            allowed = ", ".join(sorted({Role.ADMIN, *roles}))
            raise PermissionDenied(f"This needs the role {allowed} in this project.")

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())  # DRF's is a dict; stubs say Mapping
        context["project_role"] = self.role if "project_id" in self.kwargs else None
        return context
