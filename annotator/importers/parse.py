"""Parse a whole upload in one pass: every record validated, every problem collected."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from annotator.importers.errors import LineErrors, Where
from annotator.importers.qa_feedback import ImportedAnnotation, qa_feedback_record
from annotator.importers.readers import csv_rows, decode_utf8, json_list_records, jsonl_records
from annotator.importers.records import ItemRecord, item_record_from_json
from annotator.importers.tabular import csv_item_records

FORMATS = ("json", "jsonl", "csv", "qa-feedback")
EXTENSIONS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
PROGRESS_EVERY = 2000


@dataclass
class ParsedUpload:
    items: list[ItemRecord] = field(default_factory=list)
    annotations: list[ImportedAnnotation] = field(default_factory=list)
    errors: LineErrors = field(default_factory=LineErrors)
    warnings: LineErrors = field(default_factory=LineErrors)
    total: int = 0


def format_from_name(file_name: str) -> str | None:
    """The format a file name's extension implies (``.json`` means a generic JSON list)."""
    return EXTENSIONS.get(PurePath(file_name).suffix.lower())


def _json_values(text: str, errors: LineErrors) -> Iterator[tuple[Where, Any]]:
    if text.lstrip().startswith("["):
        return json_list_records(text, errors)
    return jsonl_records(text, errors)


def parse_upload(
    data: bytes, fmt: str, *, on_progress: Callable[[int], None] | None = None
) -> ParsedUpload:
    """Validate every record of ``data`` in format ``fmt`` (one of FORMATS).

    Returns the valid records, the imported annotations (qa-feedback), and all errors and
    warnings; callers write nothing when ``errors`` is not empty. ``on_progress`` is called
    with the number of records read every PROGRESS_EVERY records.
    """
    parsed = ParsedUpload()
    errors = parsed.errors
    text = decode_utf8(data, errors)
    if text is None:
        return parsed
    records: Iterator[ItemRecord | None]
    if fmt == "csv":
        header, rows = csv_rows(text, errors)
        records = csv_item_records(header, rows, errors) if header else iter(())
    elif fmt == "qa-feedback":
        records = _qa_records(parsed, _json_values(text, errors))
    else:
        values = json_list_records(text, errors) if fmt == "json" else jsonl_records(text, errors)
        records = (item_record_from_json(value, where, errors) for where, value in values)
    seen: dict[str, Where] = {}
    for record in records:
        parsed.total += 1
        if on_progress is not None and parsed.total % PROGRESS_EVERY == 0:
            on_progress(parsed.total)
        if record is None:
            continue
        first = seen.setdefault(record.external_id, record.where)
        if first is not record.where:
            at = f"line {first.line}"
            if first.record is not None:
                at += f" (record {first.record})"
            errors.add(
                record.where, "external_id", f"{record.external_id!r} already appears at {at}."
            )
            continue
        parsed.items.append(record)
    if not parsed.total and not errors:
        errors.add(Where(None), "", "The upload holds no records.")
    return parsed


def _qa_records(
    parsed: ParsedUpload, values: Iterator[tuple[Where, Any]]
) -> Iterator[ItemRecord | None]:
    for where, value in values:
        record, annotation = qa_feedback_record(value, where, parsed.errors, parsed.warnings)
        if annotation is not None:
            parsed.annotations.append(annotation)
        yield record
