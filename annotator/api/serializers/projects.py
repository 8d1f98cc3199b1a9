"""Users, tokens, projects, members, taxonomy and rubric versions."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from annotator.api.serializers.common import (
    MAX_COMMENT,
)
from annotator.models import (
    ApiToken,
    ErrorType,
    ProjectMembership,
    RubricCriterion,
)
from annotator.models.taxonomy import UNIT_KINDS, VersionStatus

# --- users, tokens ---------------------------------------------------------------------------


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    is_staff = serializers.BooleanField()


class ApiTokenCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ApiToken.Scope.choices), min_length=1
    )
    projects = serializers.ListField(child=serializers.IntegerField(min_value=1), default=list)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ApiTokenOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    projects = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)

    def get_projects(self, token: ApiToken) -> list[int]:
        return sorted(p.pk for p in token.projects.all())


class ApiTokenCreatedOutputSerializer(ApiTokenOutputSerializer):
    token = serializers.CharField(help_text="The secret. Shown once; store it now.")


# --- projects ---------------------------------------------------------------------------------


class ProjectCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)
    guidelines = serializers.CharField(required=False, allow_blank=True, max_length=200_000)
    overlap = serializers.IntegerField(min_value=1, max_value=100, required=False)
    lease_seconds = serializers.IntegerField(min_value=30, max_value=7 * 86400, required=False)


class ProjectUpdateInputSerializer(ProjectCreateInputSerializer):
    name = serializers.CharField(max_length=200, required=False)


class ProjectOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    guidelines = serializers.CharField()
    overlap = serializers.IntegerField()
    lease_seconds = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    role = serializers.SerializerMethodField()
    item_count = serializers.SerializerMethodField()
    done_count = serializers.SerializerMethodField()

    def get_role(self, project: Any) -> str | None:
        roles: dict[int, str] = self.context.get("roles", {})
        return roles.get(project.pk, self.context.get("project_role"))

    def get_item_count(self, project: Any) -> int | None:
        return getattr(project, "item_count", None)

    def get_done_count(self, project: Any) -> int | None:
        return getattr(project, "done_count", None)


class MemberSetInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=ProjectMembership.Role.choices)


class MemberOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    user_id = serializers.IntegerField()
    role = serializers.CharField()
    created_at = serializers.DateTimeField()


# --- taxonomy and rubric versions ------------------------------------------------------------


class ErrorTypeSerializer(serializers.Serializer):
    key = serializers.SlugField(max_length=64)
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)
    color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False)
    hotkey = serializers.CharField(required=False, allow_blank=True, max_length=1)
    severity_levels = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=10
    )
    unit_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=UNIT_KINDS), required=False, max_length=4
    )


class TaxonomyUpdateInputSerializer(serializers.Serializer):
    error_types = ErrorTypeSerializer(many=True, max_length=200)  # type: ignore[call-arg]  # stubs: many=True passes these to ListSerializer


class TaxonomyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=VersionStatus.choices)
    published_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    error_types = serializers.SerializerMethodField()

    def get_error_types(self, taxonomy: Any) -> list[dict[str, Any]]:
        return [error_type_dict(et) for et in taxonomy.error_types.all()]


def error_type_dict(et: ErrorType) -> dict[str, Any]:
    return {
        "key": et.key,
        "name": et.name,
        "description": et.description,
        "color": et.color,
        "hotkey": et.hotkey,
        "severity_levels": et.severity_levels,
        "unit_kinds": et.unit_kinds,
    }


class RubricLevelSerializer(serializers.Serializer):
    value = serializers.IntegerField(min_value=-1000, max_value=1000)
    label = serializers.CharField(max_length=120, required=False, allow_blank=True)  # type: ignore[assignment]  # a declared field; SerializerMetaclass moves it off the class
    description = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)


class RubricCriterionSerializer(serializers.Serializer):
    key = serializers.SlugField(max_length=64)
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)
    levels = RubricLevelSerializer(many=True, min_length=2, max_length=20)  # type: ignore[call-arg]  # stubs: many=True passes these to ListSerializer


class RubricUpdateInputSerializer(serializers.Serializer):
    criteria = RubricCriterionSerializer(many=True, max_length=100)  # type: ignore[call-arg]  # stubs: many=True passes these to ListSerializer


class RubricOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=VersionStatus.choices)
    published_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    criteria = serializers.SerializerMethodField()

    def get_criteria(self, rubric: Any) -> list[dict[str, Any]]:
        return [criterion_dict(c) for c in rubric.criteria.all()]


def criterion_dict(c: RubricCriterion) -> dict[str, Any]:
    return {"key": c.key, "name": c.name, "description": c.description, "levels": c.levels}
