"""``prm800k``: lines in the PRM800K layout ("Let's Verify Step by Step", arXiv 2305.20050),
the inverse of ``snapshots.importers.prm800k``.

One line per annotation that rated steps of the item's first steps response. For an
imported annotation the line is rebuilt from its ``metadata["prm800k"]`` (labeler,
timestamp, generation, flags, every step's alternatives, ``total_time``,
``finish_reason``), with each trajectory step's ``rating`` taken from the annotation's
current step labels (null where the step has none). Any other annotation gets a line of
its own: ``labeler`` = the annotator, ``timestamp`` = submitted_at, one completion per step
(``chosen_completion`` 0), ``finish_reason`` ``found_error`` when a step is rated -1, else
``solution``. ``question`` is ``{"problem": prompt}`` plus the imported question fields.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from core.records import AnnotationRecord, SnapshotInfo, SnapshotRecord
from snapshots.formats.base import Columns, Format
from snapshots.formats.common import annotator_name
from snapshots.importers.prm800k import LINE_FIELDS


def _imported(meta: dict[str, Any], ratings: dict[int, int]) -> dict[str, Any]:
    steps = copy.deepcopy(meta["steps"])
    for position, step in enumerate(steps):
        chosen = step.get("chosen_completion")
        if chosen is None and step.get("human_completion") is not None:
            continue  # a human step: its +1 is implied upstream, not stored on a completion
        step["completions"][chosen or 0]["rating"] = ratings.get(position)
    label = {"steps": steps}
    label.update({k: v for k, v in meta.items() if k not in (*LINE_FIELDS, "steps")})
    return {**{name: meta.get(name) for name in LINE_FIELDS}, "label": label}


def _native(annotation: AnnotationRecord, steps: list[str], ratings: dict[int, int]) -> dict:
    return {
        "labeler": annotator_name(annotation["author"]),
        "timestamp": annotation["submitted_at"] or annotation["created_at"],
        "generation": None,
        "is_quality_control_question": False,
        "is_initial_screening_question": False,
        "label": {
            "steps": [
                {"completions": [{"text": text, "rating": ratings.get(i), "flagged": None}],
                 "human_completion": None, "chosen_completion": 0}
                for i, text in enumerate(steps)
            ],
            "total_time": annotation["time_spent_ms"],
            "finish_reason": "found_error" if -1 in ratings.values() else "solution",
        },
    }  # fmt: skip


def project(
    records: Iterable[SnapshotRecord], params: Mapping[str, Any], info: SnapshotInfo
) -> Iterator[dict[str, Any]]:
    for record in records:
        response = next((r for r in record["responses"] if r["kind"] == "steps"), None)
        if response is None:
            continue
        item = record["item"]
        question = {"problem": item["prompt"], **item["metadata"].get("prm800k_question", {})}
        for annotation in record["annotations"]:
            ratings = {s["step_index"]: s["rating"] for s in annotation["steps"]
                       if s["response"] == response["index"]}  # fmt: skip
            meta = (annotation["metadata"] or {}).get("prm800k")
            if isinstance(meta, dict):
                line = _imported(meta, ratings)
            elif ratings:
                line = _native(annotation, response["steps"], ratings)
            else:
                continue
            label = line.pop("label")
            yield {**line, "question": question, "label": label}


def columns(params: Mapping[str, Any]) -> Columns:
    return [
        ("labeler", "string"), ("timestamp", "string"), ("generation", "int64"),
        ("is_quality_control_question", "bool"), ("is_initial_screening_question", "bool"),
        ("question", "json"), ("label", "json"),
    ]  # fmt: skip


FORMAT = Format(
    name="prm800k",
    description="PRM800K lines (Let's Verify Step by Step), the inverse of the importer.",
    project=project,
    columns=columns,
)
