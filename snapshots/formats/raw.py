"""``raw``: every annotation with its item, responses and provenance, as the snapshot has it.

One record per annotation: ``{item, responses, annotation}`` (``core.records.RawExample``);
``annotation.author`` says who made it (user, or judge with its model and prompt version),
``source_annotations`` which stored annotations an aggregate came from. Nested values are
JSON strings in Parquet and CSV.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from core.records import SnapshotInfo, SnapshotRecord
from snapshots.formats.base import Columns, Format


def project(
    records: Iterable[SnapshotRecord], params: Mapping[str, Any], info: SnapshotInfo
) -> Iterator[dict[str, Any]]:
    for record in records:
        for annotation in record["annotations"]:
            yield {"item": record["item"], "responses": record["responses"],
                   "annotation": annotation}  # fmt: skip


def columns(params: Mapping[str, Any]) -> Columns:
    return [("item", "json"), ("responses", "json"), ("annotation", "json")]


FORMAT = Format(
    name="raw",
    description="Every annotation with its item, responses and provenance.",
    project=project,
    columns=columns,
)
