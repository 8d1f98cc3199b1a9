"""``stepwise``: TRL stepwise supervision ``{"prompt", "completions", "labels"}``.

One record per annotation and steps response it rated. Steps are taken in order up to the
first step the annotation did not rate (PRM800K labelers stop at the first error, so later
steps carry no label). Ratings map +1 → true, -1 → false, and 0 (neutral) by the required
``neutral`` param: ``true``, ``false`` or ``drop`` (the step leaves both lists). With
``truncate=first_error`` the lists end at the first false label, inclusive.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from core.records import SnapshotInfo, SnapshotRecord
from snapshots.formats.base import Columns, Format, Param
from snapshots.formats.common import PROVENANCE, each_annotation, prompt_text


def project(
    records: Iterable[SnapshotRecord], params: Mapping[str, Any], info: SnapshotInfo
) -> Iterator[dict[str, Any]]:
    neutral, truncate = params["neutral"], params["truncate"] == "first_error"
    for record, responses, annotation in each_annotation(records):
        ratings: dict[int, dict[int, int]] = {}
        for step in annotation["steps"]:
            ratings.setdefault(step["response"], {})[step["step_index"]] = step["rating"]
        for index in sorted(ratings):
            response = responses.get(index)
            if response is None or response["kind"] != "steps":
                continue
            completions: list[str] = []
            labels: list[bool] = []
            for position, text in enumerate(response["steps"]):
                rating = ratings[index].get(position)
                if rating is None:
                    break
                if rating == 0 and neutral == "drop":
                    continue
                label = rating > 0 if rating != 0 else neutral == "true"
                completions.append(text)
                labels.append(label)
                if truncate and not label:
                    break
            if completions:
                yield {
                    "prompt": prompt_text(record["item"]),
                    "completions": completions,
                    "labels": labels,
                    "item_external_id": record["item"]["external_id"],
                    "response_index": index,
                    "annotation_id": annotation["id"],
                }


def columns(params: Mapping[str, Any]) -> Columns:
    return [
        ("prompt", "string"),
        ("completions", ("list", "string")),
        ("labels", ("list", "bool")),
        *PROVENANCE,
    ]


FORMAT = Format(
    name="stepwise",
    description="TRL stepwise supervision {prompt, completions, labels}.",
    project=project,
    columns=columns,
    params=(
        Param(
            "neutral",
            "How a neutral (0) step is labelled: true, false, or drop the step.",
            ("true", "false", "drop"),
        ),
        Param("truncate", "Cut at the first false label.", ("none", "first_error"), "none"),
    ),
)
