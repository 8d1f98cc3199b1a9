"""``spans``: ``{prompt, completion, spans: [{start, end, error_type, severity, annotator}]}``.

One record per annotation and text response it labelled (``common.labelled_responses``),
with that annotation's spans on the response sorted by ``(start, end)``; a labelled response
without spans has ``spans: []``. Offsets are Unicode code points into ``completion``,
half-open, exactly as stored: ``completion[start:end]`` is the labelled text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from core.records import SnapshotInfo, SnapshotRecord
from snapshots.formats.base import Columns, Format
from snapshots.formats.common import (
    PROVENANCE,
    annotator_name,
    each_annotation,
    labelled_responses,
    prompt_text,
)

SPAN = ("struct", (("start", "int64"), ("end", "int64"), ("error_type", "string"),
                   ("severity", "int64"), ("annotator", "string")))  # fmt: skip


def project(
    records: Iterable[SnapshotRecord], params: Mapping[str, Any], info: SnapshotInfo
) -> Iterator[dict[str, Any]]:
    for record, responses, annotation in each_annotation(records):
        annotator = annotator_name(annotation["author"])
        for index in sorted(labelled_responses(annotation)):
            response = responses.get(index)
            if response is None or response["kind"] != "text":
                continue
            spans = sorted(
                (s for s in annotation["spans"] if s["response"] == index),
                key=lambda s: (s["start"], s["end"]),
            )
            yield {
                "prompt": prompt_text(record["item"]),
                "completion": response["text"],
                "spans": [
                    {"start": s["start"], "end": s["end"], "error_type": s["error_type"],
                     "severity": s["severity"], "annotator": annotator}
                    for s in spans
                ],
                "item_external_id": record["item"]["external_id"],
                "response_index": index,
                "annotation_id": annotation["id"],
            }  # fmt: skip


def columns(params: Mapping[str, Any]) -> Columns:
    return [("prompt", "string"), ("completion", "string"), ("spans", ("list", SPAN)),
            *PROVENANCE]  # fmt: skip


FORMAT = Format(
    name="spans",
    description="Error spans with code-point offsets into each completion.",
    project=project,
    columns=columns,
)
