"""``qa-feedback``: records in the QA-FEEDBACK layout (Fine-Grained RLHF, arXiv 2306.01693),
the inverse of ``annotator.importers.qa_feedback``.

One record per annotation: ``question``, ``passages`` (``[title, sentence, ...]``), ``gold``
(when the item has ``metadata["gold"]``), ``prediction 1..4`` (the first four text
responses), ``feedback`` (``errors`` from the spans on response 0, ``missing-info``,
``corrected-prediction`` from the annotation's metadata when present) and ``preference``
(when the annotation holds overall judgments of all six pairs of four predictions).

Inverse mappings: error types by the importer's table (other types by their taxonomy
name); ``passage_id`` = passage index + 1; ``sentence_id`` = sentence index + 1, and a
leading 0 (the passage title) comes back when the unit carries the importer's title note;
preference 0 → 0, negative (A better) → 1, positive (B better) → 2. Import then export
gives back the upstream records field for field (tested on the dev split). Not representable
upstream, hence not exported: spans on other responses than the first, regions, steps,
rubric scores, critiques, judgments with a criterion.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from annotator.importers.qa_feedback import (
    MISSING_TYPES,
    PREDICTIONS,
    PREFERENCE_PAIRS,
    SPAN_TYPES,
    TITLE_NOTE,
)
from core.records import AnnotationRecord, SnapshotInfo, SnapshotRecord
from snapshots.formats.base import Columns, Format

UPSTREAM_NAMES = {key: name for name, key in (*SPAN_TYPES.items(), *MISSING_TYPES.items())}


def _preference(annotation: AnnotationRecord) -> list[int] | None:
    values: dict[tuple[int, int], int] = {}
    for pref in annotation["preferences"]:
        if pref["criterion"] is None:
            a, b, value = pref["response_a"], pref["response_b"], pref["value"]
            if a > b:
                a, b, value = b, a, -value
            values[(a, b)] = 0 if value == 0 else (1 if value < 0 else 2)
    if not all(pair in values for pair in PREFERENCE_PAIRS):
        return None
    return [values[pair] for pair in PREFERENCE_PAIRS]


def project(
    records: Iterable[SnapshotRecord], params: Mapping[str, Any], info: SnapshotInfo
) -> Iterator[dict[str, Any]]:
    names = {e["key"]: e["name"] for e in info["error_types"]} | UPSTREAM_NAMES
    for record in records:
        item = record["item"]
        texts = [r["text"] for r in record["responses"] if r["kind"] == "text"][:4]
        for annotation in record["annotations"]:
            out: dict[str, Any] = {
                "question": item["prompt"],
                "passages": [
                    [p.get("title", ""), *p.get("sentences", [])] for p in item["context"]
                ],
            }
            if "gold" in item["metadata"]:
                out["gold"] = item["metadata"]["gold"]
            for name, text in zip(PREDICTIONS, texts, strict=False):
                out[name] = text
            feedback: dict[str, Any] = {
                "errors": [
                    {"error type": names.get(s["error_type"], s["error_type"]),
                     "explanation": s["comment"], "start": s["start"], "end": s["end"]}
                    for s in annotation["spans"] if s["response"] == 0
                ],
                "missing-info": [
                    {"error type": names.get(m["error_type"], m["error_type"]),
                     "passage_id": (m["passage_index"] or 0) + 1,
                     "sentence_id": ([0] if m["comment"] == TITLE_NOTE else [])
                     + [s + 1 for s in m["sentence_indices"]]}
                    for m in annotation["missing_info"]
                    if m["response"] == 0 and m["passage_index"] is not None
                ],
            }  # fmt: skip
            corrected = (annotation["metadata"] or {}).get("corrected_prediction")
            if corrected is not None:
                feedback["corrected-prediction"] = corrected
            out["feedback"] = feedback
            preference = _preference(annotation) if len(texts) == 4 else None
            if preference is not None:
                out["preference"] = preference
            yield out


def columns(params: Mapping[str, Any]) -> Columns:
    return [
        ("question", "string"), ("passages", ("list", ("list", "string"))), ("gold", "string"),
        *[(name, "string") for name in PREDICTIONS], ("feedback", "json"),
        ("preference", ("list", "int64")),
    ]  # fmt: skip


FORMAT = Format(
    name="qa-feedback",
    description="QA-FEEDBACK records (Fine-Grained RLHF), the inverse of the importer.",
    project=project,
    columns=columns,
)
