"""Helpers shared by the formats: prompts, completions, coverage, error scores."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from core.records import (
    AnnotationRecord,
    AuthorRecord,
    ItemRecord,
    Message,
    ResponseRecord,
    SnapshotRecord,
)

# Unit kinds that label one response; a preference compares two and labels neither.
LABEL_KINDS = ("spans", "steps", "regions", "rubric_scores", "critiques", "missing_info")
ERROR_KINDS = ("spans", "regions", "missing_info")


def prompt_text(item: ItemRecord) -> str:
    """The item's prompt; for a chat item without one, the last user message."""
    if item["prompt"]:
        return item["prompt"]
    for message in reversed(item["messages"]):
        if message.get("role") == "user":
            return message.get("content", "")
    return ""


def prompt_messages(item: ItemRecord) -> list[Message]:
    """The conversation of a chat item, or the prompt as one user message."""
    if item["messages"]:
        return [{"role": m["role"], "content": m["content"]} for m in item["messages"]]
    return [{"role": "user", "content": item["prompt"]}]


def completion_text(response: ResponseRecord) -> str | None:
    """Text of a text response, steps joined by newlines; None for an image."""
    if response["kind"] == "text":
        return response["text"]
    if response["kind"] == "steps":
        return "\n".join(response["steps"])
    return None


def styled(style: str, item: ItemRecord, completion: str) -> tuple[Any, Any]:
    """(prompt, completion) in TRL's standard (strings) or conversational (messages) form."""
    if style == "conversational":
        return prompt_messages(item), [{"role": "assistant", "content": completion}]
    return prompt_text(item), completion


def labelled_responses(annotation: AnnotationRecord) -> set[int]:
    """Responses an annotation labelled: those with a unit of LABEL_KINDS, plus the indices in
    ``metadata["labelled_responses"]`` (how a client says "I read it and found nothing").

    A response the annotation never touched is not "clean": it is unlabelled.
    """
    covered = {unit["response"] for kind in LABEL_KINDS for unit in annotation[kind]}  # type: ignore[literal-required]
    listed = annotation["metadata"].get("labelled_responses") if annotation["metadata"] else None
    if isinstance(listed, list):
        covered.update(i for i in listed if isinstance(i, int) and not isinstance(i, bool))
    return covered


def error_score(annotation: AnnotationRecord, response: int) -> float:
    """Severity-weighted error count of one response: each span, region and missing-info
    unit weighs its severity level (1 when it has none), each step rated -1 weighs 1."""
    score = 0.0
    for kind in ERROR_KINDS:
        for unit in annotation[kind]:  # type: ignore[literal-required]
            if unit["response"] == response:
                score += unit.get("severity") or 1
    score += sum(1 for s in annotation["steps"] if s["response"] == response and s["rating"] < 0)
    return score


def annotator_name(author: AuthorRecord) -> str:
    """``username`` for people, ``judge:<name>`` for AI judges, the policy for aggregates."""
    if author["kind"] == "judge":
        return f"judge:{author['name']}"
    return author["name"]


def each_annotation(
    records: Iterable[SnapshotRecord],
) -> Iterator[tuple[SnapshotRecord, Mapping[int, ResponseRecord], AnnotationRecord]]:
    for record in records:
        responses = {r["index"]: r for r in record["responses"]}
        for annotation in record["annotations"]:
            yield record, responses, annotation


PROVENANCE: list[tuple[str, Any]] = [
    ("item_external_id", "string"),
    ("response_index", "int64"),
    ("annotation_id", "int64"),
]
