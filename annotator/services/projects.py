"""Projects and memberships."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from annotator.models import Project, ProjectMembership
from core.exceptions import ApplicationError

Role = ProjectMembership.Role


@transaction.atomic
def project_create(
    *,
    name: str,
    created_by: Any,
    description: str = "",
    guidelines: str = "",
    overlap: int = 1,
    lease_seconds: int = 3600,
) -> Project:
    """Create a project; its creator becomes its first admin."""
    project = Project(
        name=name,
        description=description,
        guidelines=guidelines,
        overlap=overlap,
        lease_seconds=lease_seconds,
        created_by=created_by,
    )
    project.full_clean()
    project.save()
    ProjectMembership.objects.create(project=project, user=created_by, role=Role.ADMIN)
    return project


PROJECT_EDITABLE = ("name", "description", "guidelines", "overlap", "lease_seconds")


def project_update(*, project: Project, data: dict[str, Any]) -> Project:
    """Change the editable settings of a project (fields outside PROJECT_EDITABLE are ignored)."""
    changed = [name for name in PROJECT_EDITABLE if name in data]
    for name in changed:
        setattr(project, name, data[name])
    project.full_clean()
    project.save(update_fields=[*changed, "updated_at"])
    return project


def project_member_set(*, project: Project, username: str, role: str) -> ProjectMembership:
    """Add a user to a project with ``role``, or change their role. Keeps at least one admin."""
    if role not in Role.values:
        raise ApplicationError(f"role must be one of {Role.values}.", field="role")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ApplicationError(f"No user {username!r}.", field="username")
    with transaction.atomic():
        membership = (
            ProjectMembership.objects.select_for_update().filter(project=project, user=user).first()
        )
        if membership is None:
            return ProjectMembership.objects.create(project=project, user=user, role=role)
        if membership.role == Role.ADMIN and role != Role.ADMIN:
            _ensure_other_admin(project, user)
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
        return membership


def project_member_remove(*, project: Project, membership: ProjectMembership) -> None:
    """Remove a member; the last admin cannot be removed."""
    with transaction.atomic():
        if membership.role == Role.ADMIN:
            _ensure_other_admin(project, membership.user)
        membership.delete()


def _ensure_other_admin(project: Project, user: Any) -> None:
    others = (
        ProjectMembership.objects.select_for_update()
        .filter(project=project, role=Role.ADMIN)
        .exclude(user=user)
    )
    if not others.exists():
        raise ApplicationError("A project keeps at least one admin.", field="role")
