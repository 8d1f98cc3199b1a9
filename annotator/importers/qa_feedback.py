"""QA-FEEDBACK (Wu et al. 2023, "Fine-Grained Human Feedback Gives Better Rewards for
Language Model Training", arXiv 2306.01693): records → items plus one human annotation each.

Mapping (docs/import.md has the full table):

- ``question`` → prompt; ``passages`` (``[title, sentence_1, ...]`` each) → context
  ``[{"title": p[0], "sentences": p[1:]}]``; ``prediction 1..4`` → text responses 0..3;
  ``gold`` → ``metadata["gold"]``.
- external_id = ``qa-feedback-`` + sha1 of the question (UTF-8): stable across re-imports,
  re-orderings and splits of the same data (the 400 dev questions are distinct).
- ``feedback.errors`` → spans on response 0 (``explanation`` → comment, verbatim);
  ``feedback["missing-info"]`` → missing_info units on response 0;
  ``feedback["corrected-prediction"]`` → annotation ``metadata["corrected_prediction"]``;
  ``preference`` → six preference units.

Indexing of missing-info, established on the 400 dev records: ``passage_id`` is 1-based
(values 1..4, never 0, always <= the number of passages). ``sentence_id`` indexes the raw
upstream list ``[title, sentence_1, ...]``, so the title is 0 and sentence k is k: with
that reading 713 of 716 ids fall inside their passage and the referenced sentences share
3x more new words with the corrected prediction than under a 0-based reading (which also
leaves 47 ids past the end). The 3 ids equal to 0 point at the title (e.g. "Once Upon a
Time (TV series)" for a correction adding "in Once Upon a Time"). Our ``sentence_indices``
are 0-based into ``sentences`` (title excluded): upstream k >= 1 becomes k - 1; a 0 is
dropped and the unit's comment says it referred to the passage title.

Preference: upstream 0 = tie, 1 = first better, 2 = second better, direction only; stored
as 0, -2 ("A better") and +2 ("B better"), the middle grade of our -3..+3 scale.

Invalid upstream labels (a span outside the text, start >= end, a boundary inside a
character; a passage/sentence id outside the passages) are skipped and reported as
warnings on the import job, never clamped: a moved boundary would be a label nobody made.
Structural problems (unknown error type, wrong JSON types) are errors like any other.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from annotator.importers.errors import LineErrors, Where
from annotator.importers.records import ItemRecord, ResponseRecord
from core.text import splits_character

SPAN_TYPES = {
    "Irrelevant": "irrelevant",
    "Redundant": "redundant",
    "Incoherent": "incoherent",
    "Unverifiable": "unverifiable",
    "Wrong-Grounding": "wrong-grounding",
}
MISSING_TYPES = {
    "Missing-Answer": "missing-answer",
    "Missing-Major-Auxiliary": "missing-major-auxiliary",
    "Missing-Minor-Auxiliary": "missing-minor-auxiliary",
}
REQUIRED_KEYS = (*SPAN_TYPES.values(), *MISSING_TYPES.values())
PREFERENCE_PAIRS = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))
PREFERENCE_VALUES = {0: 0, 1: -2, 2: 2}
PREDICTIONS = ("prediction 1", "prediction 2", "prediction 3", "prediction 4")
TITLE_NOTE = "Upstream sentence_id 0 referred to the passage title."


def qa_feedback_error_types() -> list[dict[str, Any]]:
    """The QA-FEEDBACK error taxonomy (categories C1-C3 of the paper), ready for
    ``taxonomy_set_error_types``. Names are spelled as in the data."""

    def spec(key: str, name: str, color: str, kinds: str, description: str) -> dict[str, Any]:
        return {"key": key, "name": name, "color": color, "unit_kinds": [kinds],
                "description": description}  # fmt: skip

    types = [
        spec("irrelevant", "Irrelevant", "#1f77b4", "span",
             "C1. The span is not relevant to answering the question (off-topic or about "
             "another interpretation than the ones the passages support)."),
        spec("redundant", "Redundant", "#9467bd", "span",
             "C1. The span repeats information given earlier in the response; the comment "
             "may quote the earlier span."),
        spec("incoherent", "Incoherent", "#8c564b", "span",
             "C1. The span is ungrammatical, unfinished or does not make sense."),
        spec("unverifiable", "Unverifiable", "#ff7f0e", "span",
             "C2. A fact that the passages do not support (it may or may not be true)."),
        spec("wrong-grounding", "Wrong-Grounding", "#d62728", "span",
             "C2. A fact that contradicts the passages; the comment names the passage and "
             "sentence (upstream 1-based ids)."),
        spec("missing-answer", "Missing-Answer", "#2ca02c", "missing_info",
             "C3. An answer to the question (or to one of its interpretations) that the "
             "passages give is missing."),
        spec("missing-major-auxiliary", "Missing-Major-Auxiliary", "#17becf", "missing_info",
             "C3. Important supporting information from the passages is missing; without it "
             "the answer is hard to understand."),
        spec("missing-minor-auxiliary", "Missing-Minor-Auxiliary", "#bcbd22", "missing_info",
             "C3. Helpful but minor supporting information from the passages is missing."),
    ]  # fmt: skip
    for hotkey, entry in enumerate(types, start=1):
        entry["hotkey"] = str(hotkey)
    return types


def qa_feedback_rubric_criteria() -> list[dict[str, Any]]:
    """A 1-5 rubric for long-form QA answers (Prometheus style: one description per level)."""

    def criterion(key: str, name: str, description: str, levels: list[str]) -> dict[str, Any]:
        labels = ["Very poor", "Poor", "Fair", "Good", "Excellent"]
        return {
            "key": key,
            "name": name,
            "description": description,
            "levels": [
                {"value": v, "label": labels[v - 1], "description": text}
                for v, text in enumerate(levels, start=1)
            ],
        }

    return [
        criterion("factuality", "Factuality", "Are the stated facts supported by the passages?", [
            "Most statements contradict the passages or cannot be verified.",
            "Several statements are wrong or unverifiable.",
            "Some statements are wrong or unverifiable; the core answer holds.",
            "One minor statement is unverifiable; nothing contradicts the passages.",
            "Every statement is supported by the passages.",
        ]),
        criterion("relevance", "Relevance", "Does every part of the answer address the question?", [
            "The answer is mostly about something else.",
            "Large parts are irrelevant or repeated.",
            "Some sentences are irrelevant or repeated.",
            "One short digression or repetition.",
            "Every sentence helps answer the question.",
        ]),
        criterion("completeness", "Completeness",
                  "Does the answer cover every interpretation the passages answer?", [
            "It answers none of the interpretations.",
            "It answers one interpretation and misses the others.",
            "It answers the main interpretations but misses key supporting facts.",
            "It answers all interpretations; minor details are missing.",
            "It answers all interpretations with the needed supporting facts.",
        ]),
        criterion("fluency", "Fluency", "Is the answer well-formed, coherent English?", [
            "Largely incoherent or unfinished.",
            "Hard to follow; several broken sentences.",
            "Understandable, with awkward or broken sentences.",
            "Fluent with minor slips.",
            "Fluent and well organised.",
        ]),
    ]  # fmt: skip


@dataclass(slots=True)
class ImportedAnnotation:
    """One imported human annotation for the item with ``external_id``."""

    where: Where
    external_id: str
    units: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


def qa_feedback_external_id(question: str) -> str:
    return "qa-feedback-" + hashlib.sha1(question.encode("utf-8")).hexdigest()  # noqa: S324


class _Record:
    def __init__(self, where: Where, errors: LineErrors, warnings: LineErrors) -> None:
        self.where, self.errors, self.warnings = where, errors, warnings
        self.failed = False

    def fail(self, path: str, message: str) -> None:
        self.failed = True
        self.errors.add(self.where, path, message)

    def warn(self, path: str, message: str) -> None:
        self.warnings.add(self.where, path, message)

    def typed(self, value: Any, kind: type, path: str, what: str) -> Any:
        if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
            self.fail(path, f"Must be {what}.")
            return None
        return value


def _passages(r: _Record, value: Any) -> list[dict[str, Any]]:
    if r.typed(value, list, "passages", "a list of [title, sentence, ...] lists") is None:
        return []
    context = []
    for i, passage in enumerate(value):
        if (
            not isinstance(passage, list)
            or not passage
            or not all(isinstance(s, str) for s in passage)
        ):
            r.fail(f"passages[{i}]", "A passage is a non-empty list of strings [title, ...].")
            continue
        context.append({"title": passage[0], "sentences": passage[1:]})
    return context


def _spans(r: _Record, errors: list[Any], text: str) -> list[dict[str, Any]]:
    spans = []
    for i, error in enumerate(errors):
        path = f"feedback.errors[{i}]"
        if r.typed(error, dict, path, "an object") is None:
            continue
        name = error.get("error type")
        key = SPAN_TYPES.get(name) if isinstance(name, str) else None
        if key is None:
            r.fail(
                f"{path}.error type", f"Unknown span error type {name!r}; use {list(SPAN_TYPES)}."
            )
        start = r.typed(error.get("start"), int, f"{path}.start", "an integer")
        end = r.typed(error.get("end"), int, f"{path}.end", "an integer")
        comment = r.typed(error.get("explanation", ""), str, f"{path}.explanation", "a string")
        if key is None or start is None or end is None or comment is None:
            continue
        if not 0 <= start < end <= len(text):
            r.warn(path, f"Skipped: span [{start}, {end}) is not inside the {len(text)}-character "
                         "text of prediction 1.")  # fmt: skip
        elif splits_character(text, start) or splits_character(text, end):
            r.warn(path, f"Skipped: span [{start}, {end}) splits a character.")
        else:
            spans.append(
                {"response": 0, "start": start, "end": end, "error_type": key, "comment": comment}
            )
    return spans


def _missing(r: _Record, missing: list[Any], context: list[dict[str, Any]]) -> list[dict[str, Any]]:
    units = []
    for i, entry in enumerate(missing):
        path = f"feedback.missing-info[{i}]"
        if r.typed(entry, dict, path, "an object") is None:
            continue
        name = entry.get("error type")
        key = MISSING_TYPES.get(name) if isinstance(name, str) else None
        if key is None:
            r.fail(
                f"{path}.error type",
                f"Unknown missing-info type {name!r}; use {list(MISSING_TYPES)}.",
            )
        passage_id = r.typed(entry.get("passage_id"), int, f"{path}.passage_id", "an integer")
        ids = r.typed(entry.get("sentence_id", []), list, f"{path}.sentence_id", "a list")
        if ids is not None and not all(isinstance(s, int) and not isinstance(s, bool) for s in ids):
            r.fail(f"{path}.sentence_id", "Must be a list of integers.")
            continue
        if key is None or passage_id is None or ids is None:
            continue
        if not 1 <= passage_id <= len(context):
            r.warn(f"{path}.passage_id", f"Skipped: passage_id {passage_id} is not one of the "
                                         f"{len(context)} passages (ids are 1-based).")  # fmt: skip
            continue
        count = len(context[passage_id - 1]["sentences"])
        outside = [s for s in ids if not 0 <= s <= count]
        if outside:
            message = (
                f"Skipped: sentence ids {outside} are outside passage {passage_id} "
                f"(title 0, sentences 1..{count})."
            )
            r.warn(f"{path}.sentence_id", message)
            continue
        units.append({
            "response": 0, "error_type": key, "passage_index": passage_id - 1,
            "sentence_indices": [s - 1 for s in ids if s > 0],
            "comment": TITLE_NOTE if 0 in ids else "",
        })  # fmt: skip
    return units


def _preferences(r: _Record, value: Any, responses: int) -> list[dict[str, Any]]:
    ok = isinstance(value, list) and len(value) == len(PREFERENCE_PAIRS)
    if not ok or any(type(v) is not int or v not in PREFERENCE_VALUES for v in value):
        r.fail("preference", "Must be a list of 6 integers, each 0 (tie), 1 or 2.")
        return []
    if responses < 4:
        r.fail("preference", "Preferences compare 4 predictions; the record has fewer.")
        return []
    return [
        {"response_a": a, "response_b": b, "value": PREFERENCE_VALUES[v]}
        for (a, b), v in zip(PREFERENCE_PAIRS, value, strict=True)
    ]


def qa_feedback_record(
    value: Any, where: Where, errors: LineErrors, warnings: LineErrors
) -> tuple[ItemRecord | None, ImportedAnnotation | None]:
    """Convert one upstream record; report problems, return ``(None, None)`` on errors."""
    r = _Record(where, errors, warnings)
    if r.typed(value, dict, "", "a JSON object (one QA-FEEDBACK record)") is None:
        return None, None
    question = r.typed(value.get("question"), str, "question", "a string")
    context = _passages(r, value.get("passages", []))
    texts = []
    for name in PREDICTIONS:
        if name != PREDICTIONS[0] and name not in value:
            break  # responses are numbered by position: stop at the first gap
        texts.append(r.typed(value.get(name), str, name, "a string") or "")
    metadata = {}
    if "gold" in value:
        metadata["gold"] = r.typed(value["gold"], str, "gold", "a string")
    annotation = None
    if "feedback" in value or "preference" in value:
        annotation = ImportedAnnotation(
            where=where, external_id="", metadata={"source": "qa-feedback"}
        )
        feedback = r.typed(value.get("feedback", {}), dict, "feedback", "an object") or {}
        errs = r.typed(feedback.get("errors", []), list, "feedback.errors", "a list")
        missing = r.typed(feedback.get("missing-info", []), list, "feedback.missing-info", "a list")
        annotation.units = {
            "spans": _spans(r, errs or [], texts[0]),
            "missing_info": _missing(r, missing or [], context),
        }
        if "preference" in value:
            annotation.units["preferences"] = _preferences(r, value["preference"], len(texts))
        corrected = feedback.get("corrected-prediction")
        if corrected is not None:
            path = "feedback.corrected-prediction"
            annotation.metadata["corrected_prediction"] = r.typed(corrected, str, path, "a string")
    if r.failed or question is None:
        return None, None
    record = ItemRecord(
        where=where,
        external_id=qa_feedback_external_id(question),
        prompt=question,
        context=context,
        metadata=metadata,
        responses=[
            ResponseRecord(text=text, metadata={"source_field": name})
            for text, name in zip(texts, PREDICTIONS, strict=False)
        ],
    )
    if annotation is not None:
        annotation.external_id = record.external_id
    return record, annotation
