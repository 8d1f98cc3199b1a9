"""Aggregation policies applied to each item's annotations when a snapshot is built.

- ``all``: every selected annotation, unchanged.
- ``reviewed``: every selected annotation; the selection keeps accepted ones only
  (``snapshots.services.snapshots`` narrows the status filter).
- ``majority``: the item's selected annotations become one aggregate annotation
  (``author.kind == "aggregate"``, ``source_annotations`` = their ids). A response's voters
  are the annotations that labelled it (``formats.common.labelled_responses``); "more than
  half" is strict (2 of 3, 2 of 2, 1 of 1):

  - spans: a code point carries error type *e* when more than half of the voters marked it
    with *e*; maximal runs of such code points become spans, with the lower median of the
    severities of the spans they came from, no comment and no confidence;
  - steps: the most frequent rating among the annotations that rated the step (a tie goes
    to the lower rating), with the most frequent error type among those votes;
  - rubric scores: the lower median per response and criterion;
  - preferences: the lower median per pair of responses (A/B normalised) and criterion;
  - missing info: kept when more than half of the voters gave the same unit;
  - critiques: all kept (free text has no majority); regions: dropped (counted in the
    manifest; use ``all`` for regions).

- ``consensus``: a reviewer's consensus annotation where the item has one (an accepted
  annotation with ``metadata["consensus"]``, made in review — quality app); elsewhere the
  ``majority`` aggregate with its spans made by the overlap rule instead of per code point:
  spans of one type from different annotations that overlap by Jaccard ≥ 0.5 form a cluster,
  kept when more than half of the response's voters are in it, running from the first to the
  last code point more than half of the cluster marked (``core.agreement.span_consensus``).
  Unlike ``majority``, a person's annotation votes on every text response of its item (it
  was shown all of them) unless its metadata lists ``labelled_responses``.

Pure Python: no Django, so it is tested on hand-written records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from statistics import median_low
from typing import Any

from core.agreement import CONSENSUS_OVERLAP, span_consensus
from core.records import AnnotationRecord, SnapshotRecord, SpanRecord, StepRecord
from snapshots.formats.common import labelled_responses

POLICIES = ("all", "majority", "reviewed", "consensus")


def _voters(annotations: Sequence[AnnotationRecord]) -> dict[int, int]:
    counts: Counter[int] = Counter()
    for annotation in annotations:
        counts.update(labelled_responses(annotation))
    return dict(counts)


def _majority_spans(
    annotations: Sequence[AnnotationRecord], voters: dict[int, int]
) -> list[dict[str, Any]]:
    by_key: dict[tuple[int, str], list[tuple[int, SpanRecord]]] = {}
    for position, annotation in enumerate(annotations):
        for span in annotation["spans"]:
            by_key.setdefault((span["response"], span["error_type"]), []).append((position, span))
    out = []
    for (response, error_type), marks in sorted(by_key.items()):
        events: Counter[int] = Counter()
        for author in {position for position, _ in marks}:
            # One vote per annotation: merge its own overlapping spans first.
            own = sorted((s["start"], s["end"]) for p, s in marks if p == author)
            merged: list[list[int]] = []
            for start, end in own:
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            for start, end in merged:
                events[start] += 1
                events[end] -= 1
        need = voters.get(response, 0) / 2
        depth, run_start = 0, None
        for offset in sorted(events):
            depth += events[offset]
            if depth > need and run_start is None:
                run_start = offset
            elif depth <= need and run_start is not None:
                severities = [s["severity"] for _, s in marks if s["severity"] is not None
                              and s["start"] < offset and run_start < s["end"]]  # fmt: skip
                out.append({"response": response, "start": run_start, "end": offset,
                            "error_type": error_type,
                            "severity": median_low(severities) if severities else None,
                            "comment": "", "confidence": None})  # fmt: skip
                run_start = None
    return out


def _majority_steps(annotations: Sequence[AnnotationRecord]) -> list[dict[str, Any]]:
    votes: dict[tuple[int, int], list[StepRecord]] = {}
    for annotation in annotations:
        for step in annotation["steps"]:
            votes.setdefault((step["response"], step["step_index"]), []).append(step)
    out = []
    for (response, index), steps in sorted(votes.items()):
        counts = Counter(s["rating"] for s in steps)
        top = max(counts.values())
        rating = min(r for r, c in counts.items() if c == top)
        types = Counter(s["error_type"] for s in steps if s["rating"] == rating and s["error_type"])
        out.append({"response": response, "step_index": index, "rating": rating,
                    "error_type": types.most_common(1)[0][0] if types else None,
                    "comment": ""})  # fmt: skip
    return out


def _medians(annotations: Sequence[AnnotationRecord]) -> tuple[list[dict], list[dict]]:
    scores: dict[tuple[int, str], list[int]] = {}
    prefs: dict[tuple[int, int, str | None], list[int]] = {}
    for annotation in annotations:
        for score in annotation["rubric_scores"]:
            scores.setdefault((score["response"], score["criterion"]), []).append(score["score"])
        for pref in annotation["preferences"]:
            a, b, value = pref["response_a"], pref["response_b"], pref["value"]
            if a > b:
                a, b, value = b, a, -value
            prefs.setdefault((a, b, pref["criterion"]), []).append(value)
    rubric = [{"response": r, "criterion": c, "score": median_low(v), "rationale": ""}
              for (r, c), v in sorted(scores.items())]  # fmt: skip
    preferences = [
        {"response_a": a, "response_b": b, "value": median_low(v), "rationale": "",
         "criterion": c}
        for (a, b, c), v in sorted(prefs.items(), key=lambda kv: (kv[0][0], kv[0][1],
                                                                   kv[0][2] or ""))
    ]  # fmt: skip
    return rubric, preferences


def _majority_missing(
    annotations: Sequence[AnnotationRecord], voters: dict[int, int]
) -> list[dict[str, Any]]:
    counts: Counter[tuple[Any, ...]] = Counter()
    for annotation in annotations:
        counts.update(
            {
                (m["response"], m["error_type"], m["passage_index"], tuple(m["sentence_indices"]))
                for m in annotation["missing_info"]
            }
        )
    return [
        {"response": r, "error_type": e, "passage_index": p, "sentence_indices": list(s),
         "comment": ""}
        for (r, e, p, s), n in sorted(counts.items(), key=lambda kv: repr(kv[0]))
        if n > voters.get(r, 0) / 2
    ]  # fmt: skip


def majority(record: SnapshotRecord) -> tuple[SnapshotRecord, int]:
    """The record with its annotations replaced by their majority; also the number of
    regions dropped."""
    annotations = record["annotations"]
    voters = _voters(annotations)
    rubric, preferences = _medians(annotations)
    aggregate: AnnotationRecord = {
        "id": None, "status": "aggregate", "version": 0,
        "author": {"kind": "aggregate", "id": None, "name": "majority"},
        "taxonomy_version": max((a["taxonomy_version"] or 0 for a in annotations), default=0)
        or None,
        "rubric_version": max((a["rubric_version"] or 0 for a in annotations), default=0)
        or None,
        "created_at": max(a["created_at"] for a in annotations),
        "submitted_at": None, "reviewed_at": None, "reviewed_by": None,
        "time_spent_ms": sum(a["time_spent_ms"] for a in annotations),
        "metadata": {"labelled_responses": sorted(voters), "voters": voters_by_response(voters)},
        "source_annotations": [a["id"] for a in annotations if a["id"] is not None],
        "spans": _majority_spans(annotations, voters),  # type: ignore[typeddict-item]
        "steps": _majority_steps(annotations),  # type: ignore[typeddict-item]
        "regions": [],
        "rubric_scores": rubric,  # type: ignore[typeddict-item]
        "preferences": preferences,  # type: ignore[typeddict-item]
        "critiques": [c for a in annotations for c in a["critiques"]],
        "missing_info": _majority_missing(annotations, voters),  # type: ignore[typeddict-item]
    }  # fmt: skip
    dropped = sum(len(a["regions"]) for a in annotations)
    return {**record, "annotations": [aggregate]}, dropped


def voters_by_response(voters: dict[int, int]) -> dict[str, int]:
    """JSON object keys are strings."""
    return {str(response): count for response, count in sorted(voters.items())}


def _consensus_spans(
    annotations: Sequence[AnnotationRecord], voters: dict[int, int]
) -> list[dict[str, Any]]:
    by_response: dict[int, dict[int, list[tuple[int, int, str, int | None]]]] = {}
    for position, annotation in enumerate(annotations):
        for span in annotation["spans"]:
            own = by_response.setdefault(span["response"], {}).setdefault(position, [])
            own.append((span["start"], span["end"], span["error_type"], span["severity"]))
    out = []
    for response, spans in sorted(by_response.items()):
        for start, end, error_type, severity in span_consensus(
            spans, voters.get(response, 0), CONSENSUS_OVERLAP
        ):
            out.append({"response": response, "start": start, "end": end,
                        "error_type": error_type, "severity": severity, "comment": "",
                        "confidence": None})  # fmt: skip
    return out


def _humans_vote_on(
    annotations: Sequence[AnnotationRecord], text_responses: Sequence[int]
) -> list[AnnotationRecord]:
    """A person's annotation was shown every response of its item: unless it lists the
    responses it labelled, it votes on every text response ("no span here" is a vote)."""
    out = []
    for annotation in annotations:
        metadata = annotation["metadata"] or {}
        listed = isinstance(metadata.get("labelled_responses"), list)
        if annotation["author"]["kind"] == "human" and not listed and text_responses:
            metadata = {**metadata, "labelled_responses": list(text_responses)}
            annotation = {**annotation, "metadata": metadata}
        out.append(annotation)
    return out


def consensus_annotation(
    annotations: Sequence[AnnotationRecord], text_responses: Sequence[int] = ()
) -> AnnotationRecord:
    """The ``majority`` aggregate of ``annotations`` (at least one) with consensus spans; a
    person's annotation votes on every one of ``text_responses`` (see ``_humans_vote_on``)."""
    voting = _humans_vote_on(annotations, text_responses)
    merged, _ = majority({"item": {}, "responses": [], "annotations": voting})  # type: ignore[typeddict-item]
    aggregate = merged["annotations"][0]
    aggregate["spans"] = _consensus_spans(voting, _voters(voting))  # type: ignore[typeddict-item]
    aggregate["author"] = {"kind": "aggregate", "id": None, "name": "consensus"}
    aggregate["metadata"]["span_overlap_threshold"] = CONSENSUS_OVERLAP
    return aggregate


def consensus(record: SnapshotRecord) -> tuple[SnapshotRecord, int]:
    """The record with its annotations replaced by the item's consensus (see the module
    docstring); also the number of regions dropped."""
    annotations = record["annotations"]
    reviewed = [
        a
        for a in annotations
        if (a["metadata"] or {}).get("consensus") and a["status"] == "accepted"
    ]
    if reviewed:
        chosen = max(reviewed, key=lambda a: (a["created_at"], a["id"] or 0))
        return {**record, "annotations": [chosen]}, 0
    voters = [a for a in annotations if not (a["metadata"] or {}).get("consensus")]
    if not voters:
        return record, 0
    texts = [r["index"] for r in record["responses"] if r["kind"] == "text"]
    dropped = sum(len(a["regions"]) for a in voters)
    return {**record, "annotations": [consensus_annotation(voters, texts)]}, dropped
