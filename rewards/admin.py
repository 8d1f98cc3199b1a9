"""Read-only admin for operators: rows change only through the services and the workers."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from rewards.models import RewardModel, RewardModelVersion, ScoreJob, TrainingRun


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RewardModel)
class RewardModelAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "project",
        "name",
        "kind",
        "mode",
        "backbone",
        "refresh_every_annotations",
        "refresh_interval_minutes",
    )
    list_filter = ("kind", "mode")
    search_fields = ("name",)


@admin.register(TrainingRun)
class TrainingRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "reward_model",
        "status",
        "trigger",
        "step",
        "total_steps",
        "attempts",
        "heartbeat_at",
        "finished_at",
    )
    list_filter = ("status", "trigger")


@admin.register(RewardModelVersion)
class RewardModelVersionAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "reward_model",
        "number",
        "score",
        "baseline_score",
        "is_active",
        "activated_at",
    )
    list_filter = ("is_active",)


@admin.register(ScoreJob)
class ScoreJobAdmin(ReadOnlyAdmin):
    list_display = ("id", "reward_model", "version", "status", "tokens", "seconds", "created_at")
    list_filter = ("status",)
