"""``/projects/{project_id}/snapshots/``: request a snapshot, poll it, download its exports.

Every action needs the role admin or researcher, and with an API token only the ``export``
scope (``token_scope``): a token with just that scope can create, poll and download.
Large results are jobs (STYLE rule 24): create answers 202 with the queued snapshot; poll
``GET …/snapshots/{id}/`` until ``status`` is ``succeeded``; then download
``GET …/snapshots/{id}/export/?format=…`` (streamed, ETag) or page through
``…/records/?format=…`` as JSON. Formats and their policies: docs/exports.md.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.http import HttpResponseNotModified, StreamingHttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.api.base import ProjectScopedViewSet, Role
from core.exceptions import ApplicationError
from snapshots.api import serializers as s
from snapshots.formats import CONTENT_TYPES, FILE_TYPES, FORMATS
from snapshots.selectors.snapshots import snapshot_get, snapshot_list
from snapshots.services.exports import (
    PAGING_PARAMS,
    export_etag,
    export_filename,
    export_records_page,
    export_request_parse,
    export_stream,
    snapshot_require_ready,
)
from snapshots.services.snapshots import snapshot_create

MAX_PAGE = 500
# Paged JSON re-reads the snapshot up to the page on every request: for small snapshots only.
RECORDS_MAX_ITEMS = 20_000
ERRORS = {400: s.ExportErrorOutputSerializer, 409: s.ExportErrorOutputSerializer}


class FormatParamIgnoringNegotiation(DefaultContentNegotiation):
    """``?format=`` names an export format here, not a DRF renderer."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)  # type: ignore[assignment]  # DRF reads only this one setting


def _param_docs() -> list[OpenApiParameter]:
    params = {
        "format": OpenApiParameter(
            "format", OpenApiTypes.STR, enum=list(FORMATS), required=True,
            description="Export format (docs/exports.md).",
        ),
        "file_type": OpenApiParameter(
            "file_type", OpenApiTypes.STR, enum=list(FILE_TYPES), description="Default jsonl."
        ),
    }  # fmt: skip
    for fmt in FORMATS.values():
        for param in fmt.params:
            if param.name in params:
                continue
            users = [
                f.name for f in FORMATS.values() if any(p.name == param.name for p in f.params)
            ]
            params[param.name] = OpenApiParameter(
                param.name, OpenApiTypes.STR,
                description=f"Formats {', '.join(users)}: {param.help}"
                + (f" One of {', '.join(param.choices)}." if param.choices else ""),
            )  # fmt: skip
    return list(params.values())


def _etag_matches(header: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


class SnapshotViewSet(ProjectScopedViewSet):
    serializer_class = s.SnapshotOutputSerializer
    token_scope = "export"  # noqa: S105 (a scope name, not a secret)
    content_negotiation_class = FormatParamIgnoringNegotiation

    def get_queryset(self) -> Any:
        return snapshot_list(project=self.project)

    def _snapshot(self, pk: int) -> Any:
        self.require_role(Role.RESEARCHER)
        return snapshot_get(project=self.project, snapshot_id=pk)

    @extend_schema(responses=s.SnapshotOutputSerializer(many=True))
    def list(self, request: Request, project_id: int) -> Response:
        """The project's snapshots, oldest first."""
        self.require_role(Role.RESEARCHER)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.SnapshotOutputSerializer(page, many=True).data)

    @extend_schema(
        request=s.SnapshotCreateInputSerializer,
        responses={202: s.SnapshotOutputSerializer, 400: s.ExportErrorOutputSerializer},
    )
    def create(self, request: Request, project_id: int) -> Response:
        """Request a snapshot; 202 with the queued job. Poll it for progress."""
        self.require_role(Role.RESEARCHER)
        data = s.SnapshotCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        snapshot = snapshot_create(
            project=self.project,
            created_by=request.user,
            filters=values.get("filters") or {},
            aggregation=values["aggregation"],
            name=values.get("name", ""),
        )
        snapshot = snapshot_get(project=self.project, snapshot_id=snapshot.pk)
        body = s.SnapshotOutputSerializer(snapshot).data
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=s.SnapshotOutputSerializer)
    def retrieve(self, request: Request, project_id: int, pk: int) -> Response:
        """Status, progress (``processed`` of ``total`` annotations) and, once built, the
        manifest (counts, taxonomy and rubric versions, filters, policy, sha256 of files)."""
        return Response(s.SnapshotOutputSerializer(self._snapshot(pk)).data)

    @extend_schema(responses=s.ExportFormatOutputSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def formats(self, request: Request, project_id: int) -> Response:
        """The export formats with their params, valid values and defaults."""
        self.require_role(Role.RESEARCHER)
        body = [
            {"name": f.name, "description": f.description, "version": f.version,
             "params": [{"name": p.name, "help": p.help, "choices": list(p.choices),
                         "default": p.default} for p in f.params]}
            for f in FORMATS.values()
        ]  # fmt: skip
        return Response(s.ExportFormatOutputSerializer(body, many=True).data)

    @extend_schema(
        parameters=_param_docs(),
        responses={
            (200, "application/x-ndjson"): OpenApiTypes.BINARY,
            (200, "application/vnd.apache.parquet"): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
            304: OpenApiResponse(description="If-None-Match matched the ETag."),
            **ERRORS,
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, project_id: int, pk: int) -> HttpResponseBase:
        """Download the snapshot in a format, streamed. 409 while the snapshot builds."""
        snapshot = self._snapshot(pk)
        snapshot_require_ready(snapshot)
        export = export_request_parse(snapshot=snapshot, query=request.query_params.dict())
        etag = export_etag(snapshot, export)
        if _etag_matches(request.headers.get("If-None-Match", ""), etag):
            not_modified = HttpResponseNotModified()
            not_modified["ETag"] = etag
            return not_modified
        response = StreamingHttpResponse(
            export_stream(snapshot, export), content_type=CONTENT_TYPES[export.file_type]
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{export_filename(snapshot, export)}"'
        )
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-transform"
        response["X-Finegrain-Export"] = (
            ", ".join(f"{key}={value}" for key, value in sorted(export.params.items()))
            or "defaults"
        )
        return response

    @extend_schema(
        parameters=[
            *_param_docs(),
            OpenApiParameter("offset", OpenApiTypes.INT, description="Default 0."),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"Up to {MAX_PAGE}; 50."),
        ],
        responses={200: s.ExportRecordsOutputSerializer, **ERRORS},
    )  # fmt: skip
    @action(detail=True, methods=["get"])
    def records(self, request: Request, project_id: int, pk: int) -> Response:
        """A page of the export's records as JSON, for snapshots of up to 20,000 items (each
        page reads the snapshot from its start); larger ones: use export/."""
        snapshot = self._snapshot(pk)
        snapshot_require_ready(snapshot)
        if snapshot.record_count > RECORDS_MAX_ITEMS:
            raise ApplicationError(
                f"Snapshot {snapshot.pk} has {snapshot.record_count} items; paged JSON serves up "
                f"to {RECORDS_MAX_ITEMS}. Download it with export/ instead.",
                field="snapshot",
            )
        query = request.query_params.dict()
        offset, limit = _int(query, "offset", 0, None), _int(query, "limit", 50, MAX_PAGE)
        export = export_request_parse(snapshot=snapshot, query=query, allow=PAGING_PARAMS)
        results, more = export_records_page(snapshot, export, offset=offset, limit=limit)
        body = {
            "offset": offset,
            "next_offset": offset + limit if more else None,
            "export": export.describe() | {"file_type": "json"},
            "results": results,
        }
        return Response(body)


def _int(query: dict[str, str], name: str, default: int, maximum: int | None) -> int:
    raw = query.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or (maximum is not None and not 1 <= int(raw) <= maximum):
        limit = f" between 1 and {maximum}" if maximum else " >= 0"
        raise ValidationError({name: [f"Must be an integer{limit}."]})
    return int(raw)
