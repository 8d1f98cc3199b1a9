"""Export formats: pure projections of snapshot records (``core.records``), Django-free.

``FORMATS`` maps a name to its ``Format``; ``format_get`` raises ``FormatError`` listing the
valid names. The rules of each format are in its module docstring and in docs/exports.md.
"""

from __future__ import annotations

from snapshots.formats import (
    dense,
    preference,
    prm800k,
    qa_feedback,
    raw,
    rubric,
    spans,
    stepwise,
    unpaired,
)
from snapshots.formats.base import Format, FormatError

FORMATS: dict[str, Format] = {
    module.FORMAT.name: module.FORMAT
    for module in (preference, stepwise, unpaired, spans, dense, rubric, raw, qa_feedback,
                   prm800k)
}  # fmt: skip
FILE_TYPES = ("jsonl", "parquet", "csv")
CONTENT_TYPES = {
    "jsonl": "application/x-ndjson; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "csv": "text/csv; charset=utf-8",
}


def format_get(name: str | None) -> Format:
    found = FORMATS.get(name or "")
    if found is None:
        raise FormatError(
            f"Unknown format {name!r}; valid: {', '.join(FORMATS)}.", field="format", valid=FORMATS
        )
    return found


def file_type_check(name: str | None) -> str:
    name = name or "jsonl"
    if name not in FILE_TYPES:
        raise FormatError(
            f"Unknown file_type {name!r}; valid: {', '.join(FILE_TYPES)}.",
            field="file_type",
            valid=FILE_TYPES,
        )
    return name
