"""Exports: project a built snapshot into a format and stream it as a file.

Nothing is stored: every download reads ``records.jsonl`` line by line and writes the
format's records in chunks (``snapshots.formats.writers``), so memory stays flat. The ETag
is derived from the snapshot's sha256 and the format, its version, the file type and every
param, so an unchanged export is never sent twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from core.exceptions import ApplicationError, Conflict
from core.segments import SEGMENTATION_VERSION
from snapshots.formats import file_type_check, format_get
from snapshots.formats.base import Format, FormatError
from snapshots.formats.writers import file_chunks
from snapshots.models import DatasetSnapshot, SnapshotJob
from snapshots.selectors.snapshots import snapshot_info, snapshot_records

PAGING_PARAMS = ("offset", "limit")


@dataclass(frozen=True)
class ExportRequest:
    format: Format
    params: dict[str, Any]
    file_type: str

    def describe(self) -> dict[str, Any]:
        return {"format": self.format.name, "format_version": self.format.version,
                "file_type": self.file_type, "params": self.params}  # fmt: skip


def _bad(exc: FormatError) -> ApplicationError:
    extra = {"valid": exc.valid} if exc.valid else {}
    return ApplicationError(exc.message, field=exc.field, extra=extra)


def export_request_parse(
    *, snapshot: DatasetSnapshot, query: Mapping[str, str], allow: tuple[str, ...] = ()
) -> ExportRequest:
    """Validate ``format``, ``file_type`` and the format's params from ``query``.

    Raises ApplicationError (400) naming the field and listing the valid values; an unknown
    query parameter is an error too (a misspelt policy must not fall back to a default).
    """
    try:
        fmt = format_get(query.get("format"))
        file_type = file_type_check(query.get("file_type"))
        params = fmt.parse_params(query)
        known = {"format", "file_type", *allow, *(p.name for p in fmt.params)}
        unknown = sorted(set(query) - known)
        if unknown:
            raise FormatError(
                f"Unknown parameter {unknown[0]!r} for format {fmt.name}; valid: "
                f"{', '.join(sorted(known))}.",
                field=unknown[0],
                valid=sorted(known),
            )
        if fmt.check is not None:
            fmt.check(params, snapshot_info(snapshot))
    except FormatError as exc:
        raise _bad(exc) from None
    return ExportRequest(format=fmt, params=params, file_type=file_type)


def snapshot_require_ready(snapshot: DatasetSnapshot) -> None:
    status = snapshot.job.status
    if status != SnapshotJob.Status.SUCCEEDED:
        raise Conflict(f"Snapshot {snapshot.pk} is {status}, not ready to export.",
                       field="snapshot", extra={"status": status})  # fmt: skip


def export_etag(snapshot: DatasetSnapshot, request: ExportRequest) -> str:
    key = json.dumps(
        [snapshot.sha256, request.describe(), SEGMENTATION_VERSION], sort_keys=True
    ).encode()
    return '"' + hashlib.sha256(key).hexdigest()[:40] + '"'


def export_filename(snapshot: DatasetSnapshot, request: ExportRequest) -> str:
    return f"snapshot-{snapshot.pk}-{request.format.name}.{request.file_type}"


def export_records(snapshot: DatasetSnapshot, request: ExportRequest) -> Iterator[dict[str, Any]]:
    """The format's output records, streamed from the snapshot's file."""
    return request.format.project(
        snapshot_records(snapshot), request.params, snapshot_info(snapshot)
    )


def export_stream(snapshot: DatasetSnapshot, request: ExportRequest) -> Iterator[bytes]:
    """The file's bytes in chunks (constant memory)."""
    columns = request.format.columns(request.params)
    return file_chunks(request.file_type, export_records(snapshot, request), columns)


def export_records_page(
    snapshot: DatasetSnapshot, request: ExportRequest, *, offset: int, limit: int
) -> tuple[list[dict[str, Any]], bool]:
    """Records ``[offset, offset + limit)`` of the export and whether more follow."""
    page = list(islice(export_records(snapshot, request), offset, offset + limit + 1))
    return page[:limit], len(page) > limit
