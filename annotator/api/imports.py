"""``/projects/{project_id}/imports/``: upload items (JSON, JSON lines, CSV, QA-FEEDBACK).

Admins only. Small uploads run in the request (201 with the finished job, or 400 with every
line error and nothing stored); larger ones become a job the worker runs (202); poll
``GET .../imports/{id}/`` for progress. Format and record rules: docs/import.md.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.api.base import ProjectScopedViewSet
from annotator.importers.parse import FORMATS
from annotator.models import ImportJob
from annotator.services.imports import import_job_create

FORMAT_HELP = ", ".join(FORMATS)


class ImportJobCreateInputSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False)
    format = serializers.ChoiceField(
        choices=FORMATS,
        required=False,
        help_text="Defaults to the file extension: .json, .jsonl/.ndjson, .csv.",
        error_messages={
            "invalid_choice": f'"{{input}}" is not a format; use one of {FORMAT_HELP}.'
        },
    )


class ImportJobOutputSerializer(serializers.ModelSerializer):
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    errors = serializers.ListField(child=serializers.DictField(), read_only=True)  # type: ignore[assignment]  # a declared field; SerializerMetaclass moves it off the class
    warnings = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "format",
            "status",
            "file_name",
            "file_size",
            "total",
            "processed",
            "created_count",
            "updated_count",
            "unchanged_count",
            "annotations_count",
            "errors",
            "error_count",
            "warnings",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "heartbeat_at",
        ]
        read_only_fields = fields


ImportErrorSerializer = inline_serializer(
    name="ImportErrorOutput",
    fields={
        "detail": serializers.CharField(),
        "errors": serializers.ListField(child=serializers.DictField(), required=False),
        "job_id": serializers.IntegerField(required=False),
    },
)


class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ProjectScopedViewSet):
    serializer_class = ImportJobOutputSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self) -> Any:
        return ImportJob.objects.filter(project=self.project).select_related("created_by")

    @extend_schema(responses=ImportJobOutputSerializer(many=True))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The project's imports, oldest first."""
        self.require_role()
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=ImportJobOutputSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One import: status, progress (``processed`` of ``total``), counts, errors."""
        self.require_role()
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": ImportJobCreateInputSerializer},
        responses={
            201: ImportJobOutputSerializer,
            202: ImportJobOutputSerializer,
            400: ImportErrorSerializer,
            413: ImportErrorSerializer,
        },
    )
    def create(self, request: Request, project_id: int) -> Response:
        """Upload a file. 201: imported; 202: queued (poll the job); 400: nothing imported."""
        self.require_role()
        data = ImportJobCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        job = import_job_create(
            project=self.project,
            created_by=request.user,
            upload=upload,
            file_name=upload.name,
            format=data.validated_data.get("format"),
        )
        code = status.HTTP_201_CREATED if job.status == job.Status.SUCCEEDED else 202
        return Response(ImportJobOutputSerializer(job).data, status=code)
