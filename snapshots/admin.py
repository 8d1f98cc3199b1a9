"""Read-only admin: snapshots are written once by their build and never edited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from snapshots.models import DatasetSnapshot, SnapshotJob


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DatasetSnapshot)
class DatasetSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("id", "project", "name", "aggregation", "record_count", "created_by",
                    "created_at", "taken_at")  # fmt: skip
    list_filter = ("aggregation",)
    search_fields = ("name", "sha256")


@admin.register(SnapshotJob)
class SnapshotJobAdmin(ReadOnlyAdmin):
    list_display = ("id", "snapshot", "status", "processed", "total", "attempts", "started_at",
                    "finished_at")  # fmt: skip
    list_filter = ("status",)
