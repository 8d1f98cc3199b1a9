"""Prompts: shipped templates (``judges/prompts/<task>-v<n>.txt``), rendering, output schemas.

Templates are plain text with ``=== system ===`` and ``=== user ===`` sections and
``$placeholders`` (``string.Template``: no attribute access, unlike ``str.format``, so a
project's own template cannot reach into Python objects). Every result records the
template's version string and the sha256 of its text.

Django-free: it works on the snapshot dataclasses below, built by the execution service.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from string import Template
from typing import Any

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
TASKS = ("spans", "steps", "rubric", "pairwise", "pairwise_graded")
_SECTION = re.compile(r"^=== (system|user) ===\n", re.MULTILINE)
MAX_GUIDELINES = 8000


@dataclass(frozen=True)
class ErrorTypeInfo:
    key: str
    name: str
    description: str
    unit_kinds: tuple[str, ...]
    severity_levels: int

    def applies_to(self, unit_kind: str) -> bool:
        return not self.unit_kinds or unit_kind in self.unit_kinds


@dataclass(frozen=True)
class CriterionInfo:
    key: str
    name: str
    description: str
    levels: tuple[tuple[int, str, str], ...]  # (value, label, description)

    @property
    def values(self) -> list[int]:
        return [value for value, _, _ in self.levels]


@dataclass(frozen=True)
class ResponseInfo:
    index: int
    kind: str
    text: str
    steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemInfo:
    id: int
    prompt: str
    context: tuple[tuple[str, tuple[str, ...]], ...] = ()
    responses: tuple[ResponseInfo, ...] = ()

    def response(self, index: int) -> ResponseInfo | None:
        return self.responses[index] if 0 <= index < len(self.responses) else None


@dataclass(frozen=True)
class PromptTemplateText:
    version: str
    system: str
    user: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(f"{self.system}\0{self.user}".encode()).hexdigest()


@dataclass(frozen=True)
class Prompt:
    """One request to a model: the messages and, for structured output, the JSON schema."""

    label: str
    system: str
    user: str
    schema_name: str
    schema: Mapping[str, Any]
    target: Mapping[str, Any] = field(default_factory=dict)


def parse_template(text: str, version: str) -> PromptTemplateText:
    parts = _SECTION.split(text)
    sections = dict(zip(parts[1::2], parts[2::2], strict=True))
    if "user" not in sections:
        raise ValueError(f"template {version} has no '=== user ===' section")
    return PromptTemplateText(version, sections.get("system", "").strip(), sections["user"])


@cache
def shipped_templates() -> dict[str, PromptTemplateText]:
    """Version string → template, for every file in judges/prompts/."""
    out = {}
    for path in sorted(PROMPTS_DIR.glob("*.txt")):
        out[path.stem] = parse_template(path.read_text(encoding="utf-8"), path.stem)
    return out


def default_template(task: str) -> PromptTemplateText:
    versions = [v for v in shipped_templates() if v.rsplit("-v", 1)[0] == task]
    return shipped_templates()[max(versions, key=lambda v: int(v.rsplit("-v", 1)[1]))]


def template_task(version: str) -> str:
    return version.rsplit("-v", 1)[0]


# --- output schemas (OpenAI ``response_format: json_schema``, strict) --------------------------


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def spans_schema(keys: Sequence[str]) -> dict[str, Any]:
    error = _object(
        {
            "quote": {"type": "string"},
            "error_type": {"type": "string", "enum": list(keys)},
            "explanation": {"type": "string"},
        }
    )
    return _object({"errors": {"type": "array", "items": error}})


def steps_schema(keys: Sequence[str]) -> dict[str, Any]:
    step = _object(
        {
            "step_index": {"type": "integer"},
            "rating": {"type": "integer", "enum": [-1, 0, 1]},
            "error_type": {"type": ["string", "null"], "enum": [*keys, None]},
            "explanation": {"type": "string"},
        }
    )
    return _object({"steps": {"type": "array", "items": step}})


def rubric_schema(values: Sequence[int]) -> dict[str, Any]:
    return _object(
        {"feedback": {"type": "string"}, "result": {"type": "integer", "enum": list(values)}}
    )


def pairwise_schema() -> dict[str, Any]:
    return _object(
        {"feedback": {"type": "string"}, "result": {"type": "string", "enum": ["A", "B"]}}
    )


def pairwise_graded_schema() -> dict[str, Any]:
    return _object(
        {"feedback": {"type": "string"}, "result": {"type": "integer", "enum": list(range(-3, 4))}}
    )


def output_format(task: str, *, json_mode: bool, low: int = 1, high: int = 5) -> str:
    """The output instruction put in place of ``$output_format``."""
    if task == "spans":
        return (
            'Answer with a JSON object only, no other text: {"errors": [{"quote": "...", '
            '"error_type": "<key>", "explanation": "..."}]}'
        )
    if task == "steps":
        return (
            'Answer with a JSON object only, no other text: {"steps": [{"step_index": 0, '
            '"rating": 1, "error_type": null, "explanation": "..."}]}'
        )
    result = {
        "rubric": f"(an integer number between {low} and {high})",
        "pairwise": '(Either "A" or "B")',
        "pairwise_graded": "(an integer from -3 to 3)",
    }[task]
    if json_mode:
        return (
            'Answer with a JSON object {"feedback": "...", "result": ...}: the feedback first, '
            f"then the result {result}."
        )
    return (
        'The output format should look as follows: "Feedback: (write a feedback for '
        f'criteria) [RESULT] {result}"'
    )


# --- rendering ---------------------------------------------------------------------------------


def _context(item: ItemInfo) -> str:
    if not item.context:
        return "(none)"
    blocks = []
    for i, (title, sentences) in enumerate(item.context):
        blocks.append(f"[{i}] {title}\n" + " ".join(sentences))
    return "\n\n".join(blocks)


def taxonomy_text(error_types: Sequence[ErrorTypeInfo]) -> str:
    lines = []
    for et in error_types:
        description = f": {et.description}" if et.description else ""
        lines.append(f"- {et.key} ({et.name}){description}")
    return "\n".join(lines) or "(none)"


def levels_text(criterion: CriterionInfo) -> str:
    lines = []
    for value, label, description in criterion.levels:
        text = " — ".join(part for part in (label, description) if part)
        lines.append(f"Score {value}: {text}")
    return "\n".join(lines)


def render(template: PromptTemplateText, values: Mapping[str, str]) -> tuple[str, str]:
    """(system, user). A template without ``$output_format`` gets it appended, so a project
    template cannot drop the output contract that the parser relies on."""
    user = template.user
    if "$output_format" not in user and "${output_format}" not in user:
        user = user.rstrip("\n") + "\n\n$output_format\n"
    return (
        Template(template.system).safe_substitute(values),
        Template(user).safe_substitute(values).strip() + "\n",
    )


def base_values(item: ItemInfo, guidelines: str) -> dict[str, str]:
    guidelines = guidelines.strip()[:MAX_GUIDELINES]
    return {
        "prompt": item.prompt,
        "context": _context(item),
        "guidelines": f"Guidelines:\n{guidelines}\n" if guidelines else "",
    }


def steps_text(response: ResponseInfo) -> str:
    return "\n".join(f"Step {i}: {step}" for i, step in enumerate(response.steps))
