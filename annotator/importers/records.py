"""The generic item record and its validation (plain Python: it runs for every line).

One record, as JSON::

    {"external_id": "q-17", "prompt": "...", "messages": [{"role": "user", "content": "..."}],
     "context": [{"title": "...", "sentences": ["...", "..."]}], "metadata": {}, "is_gold": false,
     "responses": [{"kind": "text", "text": "...", "model_name": "...", "metadata": {}}]}

A response's index is its position in ``responses``. Unknown fields are errors (a typo such
as ``"respones"`` must not import an item without responses). Texts are stored exactly as
given: span offsets index them (DESIGN §2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from annotator.importers.errors import LineErrors, Where

ITEM_FIELDS = frozenset(
    {"external_id", "prompt", "messages", "context", "metadata", "is_gold", "responses"}
)
RESPONSE_FIELDS = frozenset(
    {"kind", "text", "steps", "image_url", "image_width", "image_height", "model_name", "metadata"}
)
TEXT_FIELDS = frozenset({"kind", "text", "model_name", "metadata"})
KINDS = ("text", "steps", "image")
IMAGE_URL_PREFIXES = ("https://", "http://", "/")
MAX_EXTERNAL_ID = 255
MAX_MODEL_NAME = 200
MAX_IMAGE_URL = 2000
MAX_RESPONSES = 100


@dataclass(slots=True)
class ResponseRecord:
    kind: str = "text"
    text: str = ""
    steps: list[str] = field(default_factory=list)
    image_url: str = ""
    image_width: int | None = None
    image_height: int | None = None
    model_name: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def key(self) -> tuple[Any, ...]:
        """Everything stored for a response; equal keys mean an unchanged response."""
        return (
            self.kind,
            self.text,
            self.steps,
            self.image_url,
            self.image_width,
            self.image_height,
            self.model_name,
            self.metadata,
        )


@dataclass(slots=True)
class ItemRecord:
    where: Where
    external_id: str
    prompt: str = ""
    messages: list[dict[str, str]] = field(default_factory=list)
    context: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    is_gold: bool = False
    responses: list[ResponseRecord] = field(default_factory=list)

    def key(self) -> tuple[Any, ...]:
        """Everything stored for an item and its responses (see ``item_key`` for rows)."""
        return (
            self.prompt,
            self.messages,
            self.context,
            self.metadata,
            self.is_gold,
            [r.key() for r in self.responses],
        )


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


class _Check:
    """Field checks that report into ``errors`` and return the value or a default."""

    def __init__(self, where: Where, errors: LineErrors) -> None:
        self.where = where
        self.errors = errors
        self.failed = False

    def fail(self, path: str, message: str) -> None:
        self.failed = True
        self.errors.add(self.where, path, message)

    def unknown(self, value: Mapping[str, Any], allowed: frozenset[str], path: str) -> None:
        for key in value:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                self.fail(f"{path}{key}", f"Unknown field; a record may have: {known}.")

    def string(self, value: Any, path: str, *, max_length: int | None = None) -> str:
        if not isinstance(value, str):
            self.fail(path, f"Must be a string, not {_type_name(value)}.")
            return ""
        if max_length is not None and len(value) > max_length:
            self.fail(path, f"Must be at most {max_length} characters (has {len(value)}).")
        return value

    def obj(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, f"Must be an object, not {_type_name(value)}.")
            return {}
        return value

    def strings(self, value: Any, path: str) -> list[str]:
        if not isinstance(value, list):
            self.fail(path, f"Must be a list of strings, not {_type_name(value)}.")
            return []
        for i, entry in enumerate(value):
            if not isinstance(entry, str):
                self.fail(f"{path}[{i}]", f"Must be a string, not {_type_name(entry)}.")
        return value

    def size(self, value: Any, path: str) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.fail(path, "Must be a positive integer (pixels) or null.")
            return None
        return value


def _messages(c: _Check, value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        c.fail("messages", f"Must be a list of messages, not {_type_name(value)}.")
        return []
    for i, message in enumerate(value):
        path = f"messages[{i}]"
        if not isinstance(message, dict):
            c.fail(path, 'A message is an object {"role": ..., "content": ...}.')
            continue
        c.unknown(message, frozenset({"role", "content"}), f"{path}.")
        role = message.get("role")
        if role == "":
            c.fail(f"{path}.role", "Must not be empty.")
        else:
            c.string(role, f"{path}.role", max_length=32)
        c.string(message.get("content"), f"{path}.content")
    return value


def _context(c: _Check, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        c.fail("context", f"Must be a list of passages, not {_type_name(value)}.")
        return []
    for i, passage in enumerate(value):
        path = f"context[{i}]"
        if not isinstance(passage, dict):
            c.fail(path, 'A passage is an object {"title": ..., "sentences": [...]}.')
            continue
        c.unknown(passage, frozenset({"title", "sentences"}), f"{path}.")
        c.string(passage.get("title", ""), f"{path}.title")
        c.strings(passage.get("sentences"), f"{path}.sentences")
    return value


def _response(c: _Check, value: Any, index: int) -> ResponseRecord:
    # Fast path for the common plain-text response; anything else gets every check.
    if type(value) is dict and value.keys() <= TEXT_FIELDS:
        text = value.get("text")
        model_name = value.get("model_name", "")
        metadata = value.get("metadata", {})
        if (
            value.get("kind", "text") == "text"
            and type(text) is str
            and type(model_name) is str
            and len(model_name) <= MAX_MODEL_NAME
            and type(metadata) is dict
        ):
            return ResponseRecord(text=text, model_name=model_name, metadata=metadata)
    return _response_checked(c, value, f"responses[{index}]")


def _response_checked(c: _Check, value: Any, path: str) -> ResponseRecord:
    if not isinstance(value, dict):
        c.fail(path, f"A response is an object, not {_type_name(value)}.")
        return ResponseRecord()
    c.unknown(value, RESPONSE_FIELDS, f"{path}.")
    kind = value.get("kind", "text")
    if kind not in KINDS:
        c.fail(f"{path}.kind", f"Unknown kind {kind!r}; use one of {', '.join(KINDS)}.")
    if kind == "text" and "text" not in value:
        c.fail(f"{path}.text", "A text response needs text.")
    response = ResponseRecord(
        kind=kind if isinstance(kind, str) else "text",
        text=c.string(value.get("text", ""), f"{path}.text"),
        model_name=c.string(
            value.get("model_name", ""), f"{path}.model_name", max_length=MAX_MODEL_NAME
        ),
        metadata=c.obj(value.get("metadata", {}), f"{path}.metadata"),
    )
    if "steps" in value:
        response.steps = c.strings(value["steps"], f"{path}.steps")
    if kind == "steps" and not response.steps:
        c.fail(f"{path}.steps", "A steps response needs a non-empty list of steps.")
    elif kind != "steps" and response.steps:
        c.fail(f"{path}.steps", 'steps belong to responses of kind "steps".')
    image_fields = ("image_url", "image_width", "image_height")
    if kind == "image":
        url = c.string(value.get("image_url"), f"{path}.image_url", max_length=MAX_IMAGE_URL)
        if not url.startswith(IMAGE_URL_PREFIXES) or url.startswith("//"):
            c.fail(f"{path}.image_url", "Must be an http(s) URL or a path starting with /.")
        response.image_url = url
        response.image_width = c.size(value.get("image_width"), f"{path}.image_width")
        response.image_height = c.size(value.get("image_height"), f"{path}.image_height")
    else:
        for name in image_fields:
            if value.get(name) not in (None, ""):
                c.fail(f"{path}.{name}", f'{name} belongs to responses of kind "image".')
    return response


def item_record_from_json(value: Any, where: Where, errors: LineErrors) -> ItemRecord | None:
    """Validate one parsed record; return it, or None after reporting every problem."""
    c = _Check(where, errors)
    if not isinstance(value, dict):
        c.fail("", f"A record is a JSON object, not {_type_name(value)}.")
        return None
    if not value.keys() <= ITEM_FIELDS:
        c.unknown(value, ITEM_FIELDS, "")
    external_id = value.get("external_id")
    if external_id is None:
        c.fail("external_id", "Required.")
    else:
        external_id = c.string(external_id, "external_id", max_length=MAX_EXTERNAL_ID)
        if external_id == "" and isinstance(value.get("external_id"), str):
            c.fail("external_id", "Must not be empty.")
    is_gold = value.get("is_gold", False)
    if not isinstance(is_gold, bool):
        c.fail("is_gold", f"Must be true or false, not {_type_name(is_gold)}.")
    record = ItemRecord(
        where=where,
        external_id=external_id or "",
        prompt=c.string(value.get("prompt", ""), "prompt"),
        messages=_messages(c, value.get("messages", [])),
        context=_context(c, value.get("context", [])),
        metadata=c.obj(value.get("metadata", {}), "metadata"),
        is_gold=is_gold is True,
    )
    responses = value.get("responses")
    if not isinstance(responses, list) or not responses:
        c.fail("responses", "Required: a non-empty list of responses.")
    elif len(responses) > MAX_RESPONSES:
        c.fail("responses", f"At most {MAX_RESPONSES} responses per item.")
    else:
        record.responses = [_response(c, r, i) for i, r in enumerate(responses)]
    return None if c.failed else record
