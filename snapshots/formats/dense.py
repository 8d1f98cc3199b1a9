"""``dense``: per-segment rewards as Fine-Grained RLHF assigns them (Wu et al. 2023,
"Fine-Grained Human Feedback Gives Better Rewards for Language Model Training",
arXiv 2306.01693, §3-4).

One record per annotation and text response it labelled. The completion is cut into
sentences and sub-sentences (``core.segments``: sentences; sub-sentences split after
``, ; ! ?``), both given as ``{start, end}`` code-point offsets. Each error category gets one
value per segment of its segmentation: **-1 when a span of one of the category's error
types overlaps the segment (shares at least one code point), +1 otherwise.**

Categories (``categories``):

- ``fgrlhf`` (default): the paper's two span-level reward models — ``relevance``
  (irrelevant, redundant, incoherent) on sub-sentences, ``factuality`` (unverifiable,
  wrong-grounding) on sentences; a category is emitted when the snapshot's taxonomy has one
  of its error types. (The paper's third, holistic information-completeness reward is a
  preference model, not a per-segment label: use the ``preference`` format.)
- ``error_types``: one category per span error type of the snapshot's taxonomy, on
  sentences.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from core.records import SnapshotInfo, SnapshotRecord
from core.segments import overlaps, sentence_segments, subsentence_segments
from snapshots.formats.base import Columns, Format, FormatError, Param
from snapshots.formats.common import PROVENANCE, each_annotation, labelled_responses, prompt_text

FGRLHF_CATEGORIES = (
    ("relevance", "subsentence", ("irrelevant", "redundant", "incoherent")),
    ("factuality", "sentence", ("unverifiable", "wrong-grounding")),
)
SEGMENT = ("struct", (("start", "int64"), ("end", "int64")))
REWARDS = (
    "struct",
    (
        ("category", "string"),
        ("segmentation", "string"),
        ("error_types", ("list", "string")),
        ("values", ("list", "int64")),
    ),
)


def categories(params: Mapping[str, Any], info: SnapshotInfo) -> list[tuple[str, str, tuple]]:
    span_types = [
        e["key"] for e in info["error_types"] if not e["unit_kinds"] or "span" in e["unit_kinds"]
    ]
    if params["categories"] == "error_types":
        return [(key, "sentence", (key,)) for key in span_types]
    known = set(span_types)
    return [
        (name, level, tuple(t for t in types if t in known))
        for name, level, types in FGRLHF_CATEGORIES
        if known.intersection(types)
    ]


def _values(segments: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int]]) -> list[int]:
    return [-1 if any(overlaps(s, e, seg) for s, e in spans) else 1 for seg in segments]


def project(
    records: Iterable[SnapshotRecord], params: Mapping[str, Any], info: SnapshotInfo
) -> Iterator[dict[str, Any]]:
    chosen = categories(params, info)
    for record, responses, annotation in each_annotation(records):
        for index in sorted(labelled_responses(annotation)):
            response = responses.get(index)
            if response is None or response["kind"] != "text":
                continue
            text = response["text"]
            levels = {
                "sentence": sentence_segments(text),
                "subsentence": subsentence_segments(text),
            }
            rewards = []
            for name, level, types in chosen:
                spans = [(s["start"], s["end"]) for s in annotation["spans"]
                         if s["response"] == index and s["error_type"] in types]  # fmt: skip
                rewards.append({"category": name, "segmentation": level,
                                "error_types": list(types),
                                "values": _values(levels[level], spans)})  # fmt: skip
            yield {
                "prompt": prompt_text(record["item"]),
                "completion": text,
                "sentences": [{"start": s, "end": e} for s, e in levels["sentence"]],
                "subsentences": [{"start": s, "end": e} for s, e in levels["subsentence"]],
                "rewards": rewards,
                "item_external_id": record["item"]["external_id"],
                "response_index": index,
                "annotation_id": annotation["id"],
            }


def check(params: Mapping[str, Any], info: SnapshotInfo) -> None:
    if params["categories"] == "fgrlhf" and not categories(params, info) and info["error_types"]:
        types = ", ".join(t for _, _, ts in FGRLHF_CATEGORIES for t in ts)
        raise FormatError(
            f"categories=fgrlhf needs span error types among {types}; this snapshot's "
            "taxonomy has none of them. Use categories=error_types.",
            field="categories",
            valid=("fgrlhf", "error_types"),
        )


def columns(params: Mapping[str, Any]) -> Columns:
    return [
        ("prompt", "string"), ("completion", "string"), ("sentences", ("list", SEGMENT)),
        ("subsentences", ("list", SEGMENT)), ("rewards", ("list", REWARDS)), *PROVENANCE,
    ]  # fmt: skip


FORMAT = Format(
    name="dense",
    description="Fine-Grained RLHF per-segment rewards (-1 on error segments, +1 otherwise).",
    project=project,
    columns=columns,
    check=check,
    params=(Param("categories", "Error categories.", ("fgrlhf", "error_types"), "fgrlhf"),),
)
