"""Project access: every request resolves its project through project_get_for_member."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from annotator.models import Project, ProjectMembership


def project_list_for_user(
    *, user: Any, project_ids: AbstractSet[int] | None = None
) -> QuerySet[Project]:
    """Projects ``user`` belongs to (optionally narrowed to a token's projects), with counts."""
    qs = Project.objects.filter(memberships__user=user)
    if project_ids:
        qs = qs.filter(pk__in=project_ids)
    return qs.annotate(
        item_count=Count("items", distinct=True),
        done_count=Count("items", filter=Q(items__annotation_count__gte=1), distinct=True),
    ).order_by("id")


def project_get_for_member(
    *, user: Any, project_id: int, project_ids: AbstractSet[int] | None = None
) -> tuple[Project, str]:
    """Return ``(project, role)`` or raise Http404 if the user is not a member.

    Outsiders get 404, never 403, so ids outside one's projects reveal nothing.
    """
    if project_ids and project_id not in project_ids:
        raise Http404
    membership = (
        ProjectMembership.objects.select_related(
            "project", "project__published_taxonomy", "project__published_rubric"
        )
        .filter(project_id=project_id, user=user)
        .first()
    )
    if membership is None:
        raise Http404
    return membership.project, membership.role


def project_members(*, project: Project) -> QuerySet[ProjectMembership]:
    return ProjectMembership.objects.filter(project=project).select_related("user").order_by("id")
