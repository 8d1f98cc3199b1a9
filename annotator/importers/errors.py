"""Line errors: collected during a whole pass, capped, reported together."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_REPORTED = 1000


@dataclass(frozen=True, slots=True)
class Where:
    """Where a record starts: its 1-based line, and its 0-based position in a JSON list."""

    line: int | None
    record: int | None = None


@dataclass
class LineErrors:
    """Keeps the first ``cap`` problems and counts all of them."""

    cap: int = MAX_REPORTED
    items: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0

    def add(self, where: Where, field_name: str, message: str) -> None:
        self.count += 1
        if len(self.items) < self.cap:
            entry: dict[str, Any] = {"line": where.line, "field": field_name, "message": message}
            if where.record is not None:
                entry["record"] = where.record
            self.items.append(entry)

    def __bool__(self) -> bool:
        return self.count > 0

    def summary(self, what: str = "nothing was imported") -> str:
        """One sentence for ``detail``: the first problem, how many there are, the outcome."""
        if not self.items:
            return "No errors."
        first = self.items[0]
        where = f"line {first['line']}" if first["line"] is not None else "file"
        if first.get("field"):
            where += f", {first['field']}"
        shown = f"; the first {len(self.items)} are listed" if self.count > len(self.items) else ""
        plural = "error" if self.count == 1 else "errors"
        return f"{where}: {first['message']} ({self.count} {plural}{shown}; {what})"
