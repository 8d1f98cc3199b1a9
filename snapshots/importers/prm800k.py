"""PRM800K ("Let's Verify Step by Step", Lightman et al. 2023, arXiv 2305.20050) lines →
items with one steps response, plus one human annotation of step labels per line.

Mapping (the ``prm800k`` export format is its inverse):

- ``question.problem`` → prompt; the rest of ``question`` → ``item.metadata["prm800k_question"]``.
- The labelled trajectory → one steps response: step *i* is the chosen completion's text
  (``completions[chosen_completion]``), the human completion's text when
  ``chosen_completion`` is null and a human completion exists, else the first completion
  (the step where a phase-2 labeler found the error and chose none).
- That step's rating → a step label (rating -1/0/+1; a human completion is rated +1, as
  labelers could only write +1 steps; a null rating leaves the step unlabelled).
- The line's other fields (labeler, timestamp, generation, flags, total_time,
  finish_reason) and every step's alternatives, chosen index and human completion →
  ``annotation.metadata["prm800k"]``, so that export gives the line back.
- external_id = ``prm800k-`` + sha1 of the problem and the trajectory: labelers who followed
  the same trajectory annotate the same item; the author is a user per labeler UUID.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from annotator.importers.errors import LineErrors, Where
from annotator.importers.records import ItemRecord, ResponseRecord

LINE_FIELDS = ("labeler", "timestamp", "generation", "is_quality_control_question",
               "is_initial_screening_question")  # fmt: skip


@dataclass
class Prm800kAnnotation:
    where: Where
    external_id: str
    labeler: str
    ratings: list[int | None] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


def _step_text(step: dict[str, Any]) -> tuple[str, int | None]:
    """The trajectory's text at this step and its rating."""
    completions = step.get("completions") or []
    chosen = step.get("chosen_completion")
    human = step.get("human_completion")
    if chosen is not None:
        completion = completions[chosen]
        return completion["text"], completion.get("rating")
    if human is not None:
        return (human.get("text", "") if isinstance(human, dict) else str(human)), 1
    return completions[0]["text"], completions[0].get("rating")


def prm800k_external_id(problem: str, steps: list[str]) -> str:
    digest = hashlib.sha1(json.dumps([problem, steps]).encode("utf-8"))  # noqa: S324
    return "prm800k-" + digest.hexdigest()


def _check(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "A PRM800K line is a JSON object."
    question, label = value.get("question"), value.get("label")
    if not isinstance(question, dict) or not isinstance(question.get("problem"), str):
        return "question.problem must be a string."
    if not isinstance(label, dict) or not isinstance(label.get("steps"), list):
        return "label.steps must be a list."
    for i, step in enumerate(label["steps"]):
        completions = step.get("completions") if isinstance(step, dict) else None
        if not isinstance(completions, list) or not completions:
            return f"label.steps[{i}].completions must be a non-empty list."
        chosen = step.get("chosen_completion")
        if chosen is not None and not (isinstance(chosen, int) and 0 <= chosen < len(completions)):
            return f"label.steps[{i}].chosen_completion is not an index of completions."
        for j, completion in enumerate(completions):
            if not isinstance(completion, dict) or not isinstance(completion.get("text"), str):
                return f"label.steps[{i}].completions[{j}].text must be a string."
            if completion.get("rating") not in (-1, 0, 1, None):
                return f"label.steps[{i}].completions[{j}].rating must be -1, 0, 1 or null."
    return None


def prm800k_record(
    value: Any, where: Where, errors: LineErrors
) -> tuple[ItemRecord | None, Prm800kAnnotation | None]:
    """Convert one PRM800K line; report a problem and return ``(None, None)`` if invalid."""
    problem = _check(value)
    if problem is not None:
        errors.add(where, "", problem)
        return None, None
    question, label = value["question"], value["label"]
    texts, ratings = [], []
    for step in label["steps"]:
        text, rating = _step_text(step)
        texts.append(text)
        ratings.append(rating)
    external_id = prm800k_external_id(question["problem"], texts)
    item = ItemRecord(
        where=where,
        external_id=external_id,
        prompt=question["problem"],
        metadata={"prm800k_question": {k: v for k, v in question.items() if k != "problem"}},
        responses=[ResponseRecord(kind="steps", steps=texts)] if texts else [],
    )
    metadata = {
        "source": "prm800k",
        "prm800k": {
            **{name: value.get(name) for name in LINE_FIELDS},
            "steps": label["steps"],
            **{k: v for k, v in label.items() if k != "steps"},
        },
    }
    annotation = Prm800kAnnotation(
        where=where,
        external_id=external_id,
        labeler=str(value.get("labeler") or "unknown"),
        ratings=ratings,
        metadata=metadata,
    )
    return item, annotation
