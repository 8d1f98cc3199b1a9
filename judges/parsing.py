"""Robust parsing of model output (Django-free). The output is untrusted text.

- JSON: the whole text; else the first fenced ```json block; else the first ``{`` or ``[``
  from which a JSON value decodes (models like to wrap JSON in prose).
- Prometheus ``[RESULT]``: the *last* ``[RESULT] x`` in the text (a model that restates the
  instructions mentions the marker before its verdict); the feedback is the text before it,
  without a leading ``Feedback:``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from core.exceptions import ApplicationError
from core.parsers import check_json_value

MAX_JSON_DEPTH = 16
MAX_DECODE_TRIES = 50
MAX_RATIONALE = 20_000
_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
_START = re.compile(r"[\{\[]")
_RESULT = re.compile(r"\[RESULT\]\s*[:=]?\s*\(?\s*[\"']?\s*([A-Za-z]+|[+-]?\d+)", re.IGNORECASE)
_FEEDBACK = re.compile(r"^\s*(?:###\s*)?feedback\s*:\s*", re.IGNORECASE)


class OutputError(Exception):
    """The output does not have the expected shape; the message says why, for people."""


def _guarded(value: Any) -> Any:
    try:
        check_json_value(value, max_depth=MAX_JSON_DEPTH)
    except ApplicationError as exc:
        raise OutputError(f"The JSON output is refused: {exc.message}") from exc
    return value


def extract_json(text: str) -> Any:
    """The JSON value in ``text`` or OutputError."""
    stripped = text.strip()
    if not stripped:
        raise OutputError("The model returned no text.")
    try:
        return _guarded(json.loads(stripped))
    except (ValueError, RecursionError):
        pass
    fence = _FENCE.search(stripped)
    if fence:
        try:
            return _guarded(json.loads(fence.group(1)))
        except (ValueError, RecursionError):
            pass
    decoder = json.JSONDecoder()
    for tries, match in enumerate(_START.finditer(stripped)):
        if tries >= MAX_DECODE_TRIES:
            break
        try:
            value, _ = decoder.raw_decode(stripped, match.start())
        except (ValueError, RecursionError):
            continue
        if isinstance(value, dict):
            return _guarded(value)
    raise OutputError(f"The output is not valid JSON (starts {stripped[:80]!r}).")


def extract_object(text: str) -> dict[str, Any]:
    value = extract_json(text)
    if not isinstance(value, dict):
        raise OutputError(f"The output is JSON but not an object ({type(value).__name__}).")
    return value


def extract_verdict(text: str) -> tuple[str, str]:
    """(feedback, result token) from a JSON ``{"feedback", "result"}`` or a ``[RESULT]`` line."""
    try:
        value = extract_json(text)
    except OutputError:
        value = None
    if isinstance(value, dict) and "result" in value:
        feedback = value.get("feedback", "")
        if not isinstance(feedback, str):
            raise OutputError('"feedback" must be a string.')
        result = value["result"]
        if isinstance(result, bool) or not isinstance(result, int | str):
            raise OutputError('"result" must be an integer or "A"/"B".')
        return feedback[:MAX_RATIONALE], str(result).strip()
    matches = list(_RESULT.finditer(text))
    if not matches:
        raise OutputError(f"No [RESULT] in the output (starts {text.strip()[:80]!r}).")
    last = matches[-1]
    feedback = _FEEDBACK.sub("", text[: last.start()]).strip()
    return feedback[:MAX_RATIONALE], last.group(1)
