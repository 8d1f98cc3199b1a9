"""File types: JSONL, Parquet (fixed schema, row groups) and formula-safe CSV."""

from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq
import pytest

from snapshots.formats import FORMATS
from snapshots.formats.writers import csv_chunks, jsonl_chunks, neutralise, parquet_chunks
from tests.snapshots.test_formats_golden import CASES, GOLDEN, load_records

INFO = json.loads((GOLDEN / "info.json").read_text())


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-A formula", "'-A formula"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_csv_neutralises_formula_cells(cell: str, expected: str) -> None:
    assert neutralise(cell) == expected


def test_csv_cells_are_neutralised_but_numbers_stay_numbers() -> None:
    records = [{"prompt": "=SUM(A1)", "completion": "-A formula", "label": True, "values": [-1],
                "margin": -2.5, "note": None}]  # fmt: skip
    columns = [
        ("prompt", "string"),
        ("completion", "string"),
        ("label", "bool"),
        ("values", ("list", "int64")),
        ("margin", "float64"),
        ("note", "string"),
    ]
    text = b"".join(csv_chunks(records, columns)).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["prompt", "completion", "label", "values", "margin", "note"]
    assert rows[1] == ["'=SUM(A1)", "'-A formula", "true", "[-1]", "-2.5", ""]


def test_jsonl_is_one_compact_object_per_line() -> None:
    records = [{"a": "é", "b": [1, 2]}, {"a": "x", "b": []}]
    text = b"".join(jsonl_chunks(records)).decode("utf-8")
    assert text == '{"a":"é","b":[1,2]}\n{"a":"x","b":[]}\n'


@pytest.mark.parametrize(("name", "raw_params"), CASES)
def test_parquet_and_csv_hold_the_same_records_as_jsonl(name, raw_params) -> None:
    fmt = FORMATS[name]
    params = fmt.parse_params(raw_params)
    records = list(fmt.project(load_records(), params, INFO))
    columns = fmt.columns(params)
    table = pq.read_table(io.BytesIO(b"".join(parquet_chunks(iter(records), columns, 2))))
    assert table.column_names == [c for c, _ in columns]
    rows = table.to_pylist()
    json_columns = [c for c, spec in columns if spec == "json"]
    for row in rows:
        for c in json_columns:
            row[c] = json.loads(row[c]) if row[c] is not None else None
    expected = [{c: r.get(c) for c, _ in columns} for r in records]
    assert rows == expected
    csv_rows = list(csv.DictReader(io.StringIO(b"".join(csv_chunks(records, columns)).decode())))
    assert len(csv_rows) == len(records)


def test_parquet_writes_one_row_group_per_batch() -> None:
    columns = [("n", "int64")]
    data = b"".join(parquet_chunks(({"n": i} for i in range(25)), columns, row_group=10))
    meta = pq.ParquetFile(io.BytesIO(data)).metadata
    assert (meta.num_rows, meta.num_row_groups) == (25, 3)
