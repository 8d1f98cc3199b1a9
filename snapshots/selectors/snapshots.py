"""Reads of snapshots, always scoped by project; and of a built snapshot's files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404

from annotator.models import Project
from core.records import CriterionInfo, ErrorTypeInfo, SnapshotInfo, SnapshotRecord
from snapshots.models import DatasetSnapshot

READ_BUFFER = 1 << 20


def snapshot_list(*, project: Project) -> QuerySet[DatasetSnapshot]:
    return (
        DatasetSnapshot.objects.filter(project=project)
        .select_related("job", "created_by")
        .order_by("id")
    )


def snapshot_get(*, project: Project, snapshot_id: int) -> DatasetSnapshot:
    """The snapshot ``snapshot_id`` of ``project``; Http404 for any other project's id."""
    snapshot = snapshot_list(project=project).filter(pk=snapshot_id).first()
    if snapshot is None:
        raise Http404
    return snapshot


def snapshot_records(snapshot: DatasetSnapshot) -> Iterator[SnapshotRecord]:
    """Stream a built snapshot's records from ``records.jsonl``, one line at a time."""
    path = Path(settings.MEDIA_ROOT) / snapshot.directory / "records.jsonl"
    with path.open("rb", buffering=READ_BUFFER) as fh:
        for line in fh:
            yield orjson.loads(line)


def snapshot_info(snapshot: DatasetSnapshot) -> SnapshotInfo:
    """Error types and rubric criteria of the snapshot's versions (later versions win)."""
    error_types: dict[str, ErrorTypeInfo] = {}
    for taxonomy in snapshot.manifest.get("taxonomies", []):
        for entry in taxonomy["error_types"]:
            error_types[entry["key"]] = entry
    criteria: dict[str, CriterionInfo] = {}
    for rubric in snapshot.manifest.get("rubrics", []):
        for entry in rubric["criteria"]:
            criteria[entry["key"]] = entry
    return {"error_types": list(error_types.values()), "criteria": list(criteria.values())}
