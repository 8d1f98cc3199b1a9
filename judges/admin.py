"""Operator admin for judges. Configurations are validated by the same function as the API;
runs, results and calibrations are read-only records."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from core.exceptions import ApplicationError
from judges import models as m
from judges.kinds import config_validate


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class JudgeConfigurationForm(forms.ModelForm):
    class Meta:
        model = m.JudgeConfiguration
        fields = ["judge", "settings"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        judge = data.get("judge")
        if judge is not None:
            try:
                data["settings"] = config_validate(judge.kind, data.get("settings") or {})
            except ApplicationError as exc:
                raise forms.ValidationError({"settings": exc.message}) from None
        return data


@admin.register(m.JudgeConfiguration)
class JudgeConfigurationAdmin(admin.ModelAdmin):
    form = JudgeConfigurationForm
    list_display = ["judge", "kind", "updated_at"]
    list_select_related = ["judge"]

    @admin.display(description="kind")
    def kind(self, obj: m.JudgeConfiguration) -> str:
        return obj.judge.kind


@admin.register(m.ProjectJudgePolicy)
class ProjectJudgePolicyAdmin(admin.ModelAdmin):
    list_display = ["project", "allowed_hosts", "updated_at"]


@admin.register(m.PromptTemplate)
class PromptTemplateAdmin(ReadOnlyAdmin):
    list_display = ["id", "project", "name", "version", "task", "created_at"]
    list_filter = ["task"]


@admin.register(m.JudgeRun)
class JudgeRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "project", "judge", "task", "status", "processed", "total", "created_at"]
    list_filter = ["status", "task"]


@admin.register(m.JudgeResult)
class JudgeResultAdmin(ReadOnlyAdmin):
    list_display = ["id", "run", "item", "status", "reason"]
    list_filter = ["status"]


@admin.register(m.JudgeCalibration)
class JudgeCalibrationAdmin(ReadOnlyAdmin):
    list_display = ["id", "judge", "items_compared", "created_at"]
