"""CSV uploads: one item per row, text responses in ``response_0 … response_N`` columns.

Columns (header row required, order free):

- ``external_id`` (required), ``prompt``, ``is_gold`` (``true``/``false``/``1``/``0``/
  ``yes``/``no``, empty = false);
- ``response_0``, ``response_1``, … text responses, numbered from 0 without gaps; a row may
  leave trailing response cells empty (fewer responses), but not one between two filled ones;
- ``model_name_0``, … optional, the model of the response with the same number;
- ``messages``, ``context``, ``metadata`` optional, each holding JSON (the same shape as in
  JSON lines), empty = none.

Any other column is an error. Each row becomes the JSON record form and goes through
``item_record_from_json``, so both formats share one set of rules; errors name the record
field (``responses[1].text``, ``context[0].sentences``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from annotator.importers.errors import LineErrors, Where
from annotator.importers.readers import parse_json_text
from annotator.importers.records import ItemRecord, item_record_from_json

PLAIN_COLUMNS = ("external_id", "prompt", "is_gold")
JSON_COLUMNS = ("messages", "context", "metadata")
NUMBERED = re.compile(r"^(response|model_name)_(0|[1-9][0-9]{0,2})$")
TRUE = frozenset({"true", "1", "yes"})
FALSE = frozenset({"false", "0", "no", ""})


def _check_header(header: Sequence[str], errors: LineErrors) -> int | None:
    """Validate the header; return the number of response columns, or None if it is bad."""
    head = Where(1)
    before = errors.count
    seen: set[str] = set()
    numbers: dict[str, set[int]] = {"response": set(), "model_name": set()}
    for column in header:
        if column in seen:
            errors.add(head, column, "Column appears twice.")
        seen.add(column)
        match = NUMBERED.match(column)
        if match:
            numbers[match.group(1)].add(int(match.group(2)))
        elif column not in PLAIN_COLUMNS and column not in JSON_COLUMNS:
            allowed = ", ".join([*PLAIN_COLUMNS, *JSON_COLUMNS, "response_<n>", "model_name_<n>"])
            errors.add(head, column, f"Unknown column; use {allowed}.")
    if "external_id" not in seen:
        errors.add(head, "external_id", "The header needs an external_id column.")
    count = len(numbers["response"])
    if numbers["response"] != set(range(count)):
        errors.add(head, "response_0", "Number response columns 0, 1, 2, ... without gaps.")
    for n in sorted(numbers["model_name"] - numbers["response"]):
        errors.add(head, f"model_name_{n}", f"There is no response_{n} column.")
    if not count:
        errors.add(head, "response_0", "The header needs at least a response_0 column.")
    return count if errors.count == before else None


def _row_record(
    row: list[str], header: Sequence[str], responses: int, where: Where, errors: LineErrors
) -> dict[str, Any] | None:
    cells = dict(zip(header, row, strict=True))
    ok = True
    for column, cell in cells.items():
        if "\x00" in cell:
            errors.add(where, column, "NUL characters are not allowed.")
            ok = False
    if not ok:
        return None
    value: dict[str, Any] = {"external_id": cells["external_id"]}
    if "prompt" in cells:
        value["prompt"] = cells["prompt"]
    gold = cells.get("is_gold", "").strip().lower()
    if gold not in TRUE and gold not in FALSE:
        errors.add(where, "is_gold", "Use true/false, 1/0, yes/no, or leave it empty.")
        ok = False
    value["is_gold"] = gold in TRUE
    for column in JSON_COLUMNS:
        if cells.get(column, "").strip():
            parsed, parsed_value = parse_json_text(cells[column], where, errors, column)
            ok = ok and parsed
            value[column] = parsed_value
    items: list[dict[str, str]] = []
    last = max((n for n in range(responses) if cells[f"response_{n}"] != ""), default=-1)
    for n in range(last + 1):
        text = cells[f"response_{n}"]
        if text == "":
            errors.add(where, f"response_{n}", "Empty, but a later response is filled in.")
            ok = False
        items.append({"text": text, "model_name": cells.get(f"model_name_{n}", "")})
    for n in range(last + 1, responses):
        if cells.get(f"model_name_{n}"):
            errors.add(where, f"model_name_{n}", f"response_{n} is empty.")
            ok = False
    value["responses"] = items
    return value if ok else None


def csv_item_records(
    header: Sequence[str], rows: Iterator[tuple[Where, list[str]]], errors: LineErrors
) -> Iterator[ItemRecord]:
    """Validate the header, then turn each row into an ItemRecord (reporting bad rows)."""
    responses = _check_header(header, errors)
    if responses is None:
        return
    for where, row in rows:
        if len(row) != len(header):
            errors.add(where, "", f"The row has {len(row)} cells; the header has {len(header)}.")
            continue
        value = _row_record(row, header, responses, where, errors)
        if value is not None:
            record = item_record_from_json(value, where, errors)
            if record is not None:
                yield record
