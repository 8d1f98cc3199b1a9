"""Limits and renderings shared by the serializer modules."""

from __future__ import annotations

from typing import Any

MAX_UNITS = 5000
WRITE_STATUSES = [("draft", "Draft"), ("submitted", "Submitted")]
REVIEW_DECISIONS = [("accepted", "Accepted"), ("rejected", "Rejected")]
MAX_COMMENT = 20_000


def iso_datetime(value: Any) -> str | None:
    """DRF's DateTimeField rendering for UTC datetimes (ISO 8601 with a Z)."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
