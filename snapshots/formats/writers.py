"""Streaming writers: output records → chunks of bytes, constant memory whatever the size.

- JSONL: one compact JSON object per line, UTF-8, ``ensure_ascii=False``.
- Parquet: a fixed schema from the format's columns (``base.ColumnType``), written one row
  group of ``PARQUET_ROW_GROUP`` records at a time; ``json`` columns are JSON strings.
- CSV: a header row, then one row per record; nested values are JSON strings. Formula
  injection: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return is prefixed with a single quote (``'=1+1``), so spreadsheets show it as text.
  Numbers the format itself produces (offsets, margins, totals) are written as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from snapshots.formats.base import Columns, ColumnType

CHUNK_BYTES = 256 * 1024
PARQUET_ROW_GROUP = 10_000
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def dumps_line(value: Any) -> bytes:
    """Compact UTF-8 JSON and a newline; the same bytes as ``json.dumps(value,
    ensure_ascii=False, separators=(",", ":"))`` (orjson, for speed)."""
    return orjson.dumps(value, option=orjson.OPT_APPEND_NEWLINE)


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode("utf-8")


def jsonl_chunks(records: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    buffer: list[bytes] = []
    size = 0
    for record in records:
        line = dumps_line(record)
        buffer.append(line)
        size += len(line)
        if size >= CHUNK_BYTES:
            yield b"".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)


def neutralise(cell: str) -> str:
    """Make a text cell inert in spreadsheets (OWASP CSV injection)."""
    return "'" + cell if cell.startswith(DANGEROUS_PREFIXES) else cell


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        return neutralise(value)
    return neutralise(dumps(value))


def csv_chunks(records: Iterable[dict[str, Any]], columns: Columns) -> Iterator[bytes]:
    names = [name for name, _ in columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names)
    for record in records:
        writer.writerow([_csv_cell(record.get(name)) for name in names])
        if out.tell() >= CHUNK_BYTES:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    if out.tell():
        yield out.getvalue().encode("utf-8")


class _Sink(io.RawIOBase):
    """A write-only file that keeps what was written until drained."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self.position

    def drain(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def arrow_type(spec: ColumnType) -> Any:
    import pyarrow as pa  # noqa: PLC0415 (pyarrow loads only when a Parquet file is written)

    if spec == "json" or spec == "string":
        return pa.string()
    if isinstance(spec, str):
        return {"int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}[spec]
    if spec[0] == "list":
        return pa.list_(arrow_type(spec[1]))
    return pa.struct([pa.field(name, arrow_type(child)) for name, child in spec[1]])


def parquet_chunks(
    records: Iterable[dict[str, Any]], columns: Columns, row_group: int = PARQUET_ROW_GROUP
) -> Iterator[bytes]:
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    schema = pa.schema([pa.field(name, arrow_type(spec)) for name, spec in columns])
    json_columns = [name for name, spec in columns if spec == "json"]
    sink = _Sink()
    writer = pq.ParquetWriter(sink, schema, compression="zstd")
    batch: list[dict[str, Any]] = []

    def flush() -> bytes:
        for row in batch:
            for name in json_columns:
                if row.get(name) is not None:
                    row[name] = dumps(row[name])
        writer.write_table(pa.Table.from_pylist(batch, schema=schema))
        batch.clear()
        return sink.drain()

    for record in records:
        batch.append(dict(record))
        if len(batch) >= row_group:
            yield flush()
    if batch:
        yield flush()
    writer.close()
    yield sink.drain()


def file_chunks(
    file_type: str, records: Iterable[dict[str, Any]], columns: Columns
) -> Iterator[bytes]:
    if file_type == "parquet":
        return parquet_chunks(records, columns)
    if file_type == "csv":
        return csv_chunks(records, columns)
    return jsonl_chunks(records)
