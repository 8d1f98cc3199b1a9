"""Turn upload bytes into ``(where, value)`` pairs: UTF-8, JSON lists, JSON lines and CSV.

Every reader reports problems into a ``LineErrors`` and keeps going where it can, so one
upload yields every error at once. JSON values pass the API's guards
(``core.parsers.check_json_value``: no NUL characters, bounded nesting), and the constants
``NaN``/``Infinity`` are refused (PostgreSQL's jsonb cannot store them, and ``NaN != NaN``
would make idempotent re-imports see a change).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterator
from typing import Any

from django.conf import settings

from annotator.importers.errors import LineErrors, Where
from core.exceptions import ApplicationError
from core.parsers import check_json_value

BOM = b"\xef\xbb\xbf"
_WS = re.compile(r"[ \t\n\r]*")
# A response text may be far longer than csv's default 128 KiB cell limit.
csv.field_size_limit(2**31 - 1)


def _finite_float(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError(f"{raw} is out of range for a JSON number")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


DECODER = json.JSONDecoder(parse_float=_finite_float, parse_constant=_no_constant)


def decode_utf8(data: bytes, errors: LineErrors) -> str | None:
    """Decode ``data`` (a leading BOM is dropped); on failure report every bad line."""
    skipped = len(BOM) if data.startswith(BOM) else 0
    body = data[skipped:]
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    offset = skipped
    for number, raw in enumerate(body.split(b"\n"), start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.add(
                Where(number),
                "",
                f"Not valid UTF-8 at byte {offset + exc.start} of the file "
                f"(byte {exc.start} of line {number}): {exc.reason}.",
            )
        offset += len(raw) + 1
    return None


def needs_guard(text: str, start: int = 0, end: int | None = None) -> bool:
    """Whether ``text[start:end]`` could hold a NUL or nest deeper than allowed.

    A decoded string can only contain NUL if the JSON text has the escape ``\\u0000`` (raw
    control characters are invalid JSON), and nesting depth cannot exceed the number of
    opening brackets. Most records pass both tests and skip the full walk, which would
    otherwise be a third of the parsing time.
    """
    end = len(text) if end is None else end
    if text.find("\\u0000", start, end) != -1:
        return True
    brackets = text.count("{", start, end) + text.count("[", start, end)
    return brackets >= settings.FINEGRAIN_MAX_JSON_DEPTH


def guard_value(value: Any, where: Where, errors: LineErrors, path: str = "") -> bool:
    """Apply the API's JSON guards to one parsed value; report and return False if it fails."""
    try:
        check_json_value(value, max_depth=settings.FINEGRAIN_MAX_JSON_DEPTH, path=path)
    except ApplicationError as exc:
        errors.add(where, exc.field or path, exc.message)
        return False
    return True


def parse_json_text(text: str, where: Where, errors: LineErrors, field: str) -> tuple[bool, Any]:
    """Parse one JSON document (a JSONL line, a CSV cell); ``(ok, value)``."""
    try:
        value = DECODER.decode(text)
    except RecursionError:
        errors.add(where, field, f"JSON nests deeper than {settings.FINEGRAIN_MAX_JSON_DEPTH}.")
        return False, None
    except json.JSONDecodeError as exc:
        errors.add(where, field, f"Invalid JSON: {exc.msg} (column {exc.colno}).")
        return False, None
    except ValueError as exc:
        errors.add(where, field, f"Invalid JSON: {exc}.")
        return False, None
    if not needs_guard(text):
        return True, value
    return guard_value(value, where, errors, field), value


def jsonl_records(text: str, errors: LineErrors) -> Iterator[tuple[Where, Any]]:
    """One JSON value per line; blank lines are skipped.

    Split on ``\\n`` only: ``str.splitlines`` would also break on U+2028 and friends, which
    may appear unescaped inside JSON strings.
    """
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = Where(number)
        ok, value = parse_json_text(line, where, errors, "")
        if ok:
            yield where, value


def json_list_records(text: str, errors: LineErrors) -> Iterator[tuple[Where, Any]]:
    """The elements of a top-level JSON list, each with the line it starts on.

    Elements are decoded one at a time (``raw_decode``) so each keeps its position; a syntax
    error ends the pass, since nothing after it can be located reliably.
    """
    pos = _WS.match(text).end()  # type: ignore[union-attr]
    if not text.startswith("[", pos):
        errors.add(Where(text.count("\n", 0, pos) + 1), "", "Expected a JSON list: [{...}, ...].")
        return
    pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
    line, counted_to, index = 1, 0, 0
    if text.startswith("]", pos):
        pos += 1
    else:
        while True:
            line += text.count("\n", counted_to, pos)
            counted_to = start = pos
            where = Where(line, index)
            try:
                value, pos = DECODER.raw_decode(text, pos)
            except RecursionError:
                errors.add(
                    where, "", f"JSON nests deeper than {settings.FINEGRAIN_MAX_JSON_DEPTH}."
                )
                return
            except json.JSONDecodeError as exc:
                errors.add(
                    Where(exc.lineno, index), "", f"Invalid JSON: {exc.msg} (column {exc.colno})."
                )
                return
            except ValueError as exc:
                errors.add(where, "", f"Invalid JSON: {exc}.")
                return
            if not needs_guard(text, start, pos) or guard_value(value, where, errors):
                yield where, value
            index += 1
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            if text.startswith(",", pos):
                pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
                continue
            if text.startswith("]", pos):
                pos += 1
                break
            at = Where(line + text.count("\n", counted_to, pos), index)
            errors.add(at, "", "Expected ',' or ']' after a list element.")
            return
    pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
    if pos < len(text):
        errors.add(Where(text.count("\n", 0, pos) + 1), "", "Unexpected data after the JSON list.")


def csv_rows(text: str, errors: LineErrors) -> tuple[list[str], Iterator[tuple[Where, list[str]]]]:
    """The header and the data rows of a CSV file, each row with the line it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, [])
    except csv.Error as exc:
        errors.add(Where(reader.line_num), "", f"Malformed CSV: {exc}.")
        return [], iter(())

    def rows() -> Iterator[tuple[Where, list[str]]]:
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                errors.add(Where(start), "", f"Malformed CSV: {exc}.")
                return
            if row:
                yield Where(start), row

    return header, rows()
