"""Snapshot API serializers: input checks shape only; services check the rest."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotator.models import Annotation
from snapshots.models import DatasetSnapshot, SnapshotJob
from snapshots.services.snapshots import AUTHOR_CHOICES


def _choice(choices: Any, name: str, **kwargs: Any) -> serializers.ChoiceField:
    values = [c[0] if isinstance(c, tuple) else c for c in choices]
    message = f'"{{input}}" is not a valid {name}; valid: {", ".join(values)}.'
    return serializers.ChoiceField(
        choices=choices, error_messages={"invalid_choice": message}, **kwargs
    )


class SnapshotFiltersInputSerializer(serializers.Serializer):
    statuses = serializers.ListField(
        child=_choice(Annotation.Status.choices, "status"),
        required=False,
        help_text="Annotation statuses to include (default: submitted, accepted).",
    )
    authors = _choice(
        [(c, c) for c in AUTHOR_CHOICES], "authors", required=False,
        help_text="all (default), humans only, or AI judges only.",
    )  # fmt: skip
    usernames = serializers.ListField(
        child=serializers.CharField(max_length=150), required=False, max_length=1000,
        help_text="Only these annotators' annotations (OR judge_ids).",
    )  # fmt: skip
    judge_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=1000,
        help_text="Only these judges' annotations (OR usernames).",
    )  # fmt: skip
    created_after = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Annotations created at or after (UTC)."
    )
    created_before = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Annotations created before (UTC)."
    )
    error_types = serializers.ListField(
        child=serializers.SlugField(max_length=64), required=False, max_length=1000,
        help_text="Keep only span, region and missing-info labels of these error types.",
    )  # fmt: skip


class SnapshotCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    aggregation = _choice(
        DatasetSnapshot.Aggregation.choices, "aggregation", default="all",
        help_text="all: every annotation; majority: one majority annotation per item; "
        "reviewed: accepted annotations only; consensus: per item the reviewer's consensus "
        "annotation, else the majority annotation with spans merged by the consensus rule "
        "(docs/quality.md).",
    )  # fmt: skip
    filters = SnapshotFiltersInputSerializer(required=False)


class SnapshotProgressSerializer(serializers.Serializer):
    processed = serializers.IntegerField(help_text="Annotations read so far.")
    total = serializers.IntegerField(help_text="Annotations selected.")


class SnapshotOutputSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(source="job.status", choices=SnapshotJob.Status.choices)
    progress = serializers.SerializerMethodField()
    error = serializers.CharField(source="job.error")
    started_at = serializers.DateTimeField(source="job.started_at", allow_null=True)
    finished_at = serializers.DateTimeField(source="job.finished_at", allow_null=True)
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    filters = serializers.DictField()
    counts = serializers.DictField()
    manifest = serializers.SerializerMethodField()

    class Meta:
        model = DatasetSnapshot
        fields = [
            "id", "name", "status", "progress", "error", "aggregation", "filters",
            "created_by", "created_at", "started_at", "finished_at", "taken_at", "sha256",
            "record_count", "counts", "manifest",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(SnapshotProgressSerializer)
    def get_progress(self, snapshot: DatasetSnapshot) -> dict[str, Any]:
        return SnapshotProgressSerializer(
            {"processed": snapshot.job.processed, "total": snapshot.job.total}
        ).data

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_manifest(self, snapshot: DatasetSnapshot) -> dict[str, Any] | None:
        """manifest.json once the snapshot is built; null before."""
        return snapshot.manifest or None


class ExportParamOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    help = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField())
    default = serializers.CharField(allow_null=True, help_text="null: required.")


class ExportFormatOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    version = serializers.IntegerField()
    params = ExportParamOutputSerializer(many=True)


class ExportRecordsOutputSerializer(serializers.Serializer):
    offset = serializers.IntegerField()
    next_offset = serializers.IntegerField(allow_null=True)
    export = serializers.DictField(help_text="format, file_type (json here) and params.")
    results = serializers.ListField(child=serializers.DictField())


class ExportErrorOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.ListField(child=serializers.DictField(), required=False)  # type: ignore[assignment]  # a declared field (stubs)
    valid = serializers.ListField(child=serializers.CharField(), required=False)
