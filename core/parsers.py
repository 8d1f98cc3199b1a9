"""A JSON parser that refuses what would otherwise crash deeper down.

Deeply nested bodies (RecursionError in the json module or in serializers) and NUL
characters (PostgreSQL refuses them in text columns) are reported as 400s naming the path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from core.exceptions import ApplicationError


def check_json_value(value: Any, *, max_depth: int, path: str = "") -> None:
    """Raise ApplicationError if ``value`` nests deeper than ``max_depth`` or holds a NUL."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        node, where, depth = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                raise ApplicationError("NUL characters are not allowed.", field=where or "(body)")
            continue
        if isinstance(node, dict | list):
            if depth >= max_depth:
                raise ApplicationError(
                    f"JSON nests deeper than {max_depth} levels.", field=where or "(body)"
                )
            if isinstance(node, dict):
                for key, child in node.items():
                    if "\x00" in key:
                        raise ApplicationError("NUL characters are not allowed.", field=where)
                    stack.append((child, f"{where}.{key}" if where else key, depth + 1))
            else:
                for index, child in enumerate(node):
                    stack.append((child, f"{where}[{index}]", depth + 1))


def loads_guarded(raw: bytes | str) -> Any:
    """Parse JSON text with the same guards as the API parser (used by importers too)."""
    try:
        value = json.loads(raw)
    except RecursionError as exc:
        raise ApplicationError(
            f"JSON nests deeper than {settings.FINEGRAIN_MAX_JSON_DEPTH} levels.", field="(body)"
        ) from exc
    check_json_value(value, max_depth=settings.FINEGRAIN_MAX_JSON_DEPTH)
    return value


class GuardedJSONParser(JSONParser):
    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(f"Body is not valid UTF-8 (byte {exc.start}).") from exc
        try:
            return loads_guarded(text)
        except json.JSONDecodeError as exc:
            raise ParseError(
                f"JSON parse error at line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from exc
