"""The format contract: a format is a pure projection of snapshot records with declared params.

Formats import no Django (the reward-model trainer reuses them); each declares its params
with their valid values and default, and its output columns with types, so that every file
type (JSONL, Parquet, CSV) writes the same records with a fixed schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.records import SnapshotInfo, SnapshotRecord

# Column types: "string", "int64", "float64", "bool", "json" (any JSON value; a JSON string in
# Parquet and CSV), ("list", T) and ("struct", ((name, T), ...)).
ColumnType = Any
Columns = list[tuple[str, ColumnType]]
MESSAGES: ColumnType = ("list", ("struct", (("role", "string"), ("content", "string"))))


class FormatError(ValueError):
    """A format name or parameter is invalid; ``field`` names it, ``valid`` lists choices."""

    def __init__(self, message: str, *, field: str, valid: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.valid = list(valid)


@dataclass(frozen=True)
class Param:
    name: str
    help: str
    choices: tuple[str, ...] = ()  # empty: free value of ``kind``
    default: str | None = None  # None: required
    kind: type = str

    def parse(self, raw: str | None) -> Any:
        if raw is None or raw == "":
            if self.default is None:
                raise FormatError(
                    f"{self.name} is required: {self.help} Valid: {', '.join(self.choices)}.",
                    field=self.name,
                    valid=self.choices,
                )
            raw = self.default
        if self.choices and raw not in self.choices:
            raise FormatError(
                f"Unknown {self.name} {raw!r}; valid: {', '.join(self.choices)}.",
                field=self.name,
                valid=self.choices,
            )
        if self.kind is str or raw == "":
            return raw
        try:
            return self.kind(raw)
        except ValueError:
            raise FormatError(
                f"{self.name} must be a {self.kind.__name__}, not {raw!r}.", field=self.name
            ) from None


Project = Callable[[Iterable[SnapshotRecord], Mapping[str, Any], SnapshotInfo], Iterator[dict]]


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    project: Project
    columns: Callable[[Mapping[str, Any]], Columns]
    params: tuple[Param, ...] = ()
    check: Callable[[Mapping[str, Any], SnapshotInfo], None] | None = None
    version: int = 1
    notes: tuple[str, ...] = field(default_factory=tuple)

    def parse_params(self, raw: Mapping[str, str | None]) -> dict[str, Any]:
        """Validate ``raw`` (query parameters) into typed params with defaults filled in."""
        return {param.name: param.parse(raw.get(param.name)) for param in self.params}
