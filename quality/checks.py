"""Consistency checks within one annotation (pure Python, from a ``LabelSet``).

The class of bug that corrupted UltraFeedback's overall scores: a summary judgment that
contradicts the fine-grained labels it should summarise. Two checks, per annotation:

- ``rubric_vs_spans``: a response carries a *critical* span (severity at the top of its error
  type's scale, for types with two or more levels) yet its rubric total is high — at or above
  ``high_total`` on the normalised scale (each criterion's score mapped to 0 … 1 between its
  lowest and highest level, averaged over the criteria scored).
- ``rubric_vs_preference``: a preference that is not a tie points the other way from the
  rubric — B preferred while B's total (or, for a preference on one criterion, B's score on
  it) is strictly lower than A's, or the reverse.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from quality.selectors.labels import LabelSet


def _normalised(score: int, levels: Sequence[int]) -> float | None:
    if len(levels) < 2 or max(levels) == min(levels):
        return None
    return (score - min(levels)) / (max(levels) - min(levels))


def _totals(
    scores: Sequence[tuple[int, str, int]], levels: Mapping[str, Sequence[int]]
) -> dict[int, dict[str, float]]:
    """response id -> criterion -> normalised score."""
    out: dict[int, dict[str, float]] = defaultdict(dict)
    for response, criterion, score in scores:
        value = _normalised(score, levels.get(criterion, ()))
        if value is not None:
            out[response][criterion] = value
    return out


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def consistency_flags(labels: LabelSet, *, high_total: float = 0.8) -> list[dict[str, Any]]:
    """Every inconsistency found, as ``{annotation, item, kind, key, message, details}``."""
    flags: list[dict[str, Any]] = []
    index = {r.id: r.index for r in labels.responses.values()}
    for info in labels.annotations.values():
        normalised = _totals(labels.rubric.get(info.id, []), labels.criterion_levels)
        if not normalised:
            continue
        critical: dict[int, list[str]] = defaultdict(list)
        for response, _start, _end, error_type, severity in labels.spans.get(info.id, []):
            top = labels.severity_levels.get(error_type, 0)
            if top >= 2 and severity == top:
                critical[response].append(error_type)
        for response, types in sorted(critical.items()):
            scores = normalised.get(response)
            if not scores:
                continue
            total = _mean(list(scores.values()))
            if total >= high_total:
                number = index[response] + 1
                flags.append({
                    "annotation": info.id, "item": info.item_id, "kind": "rubric_vs_spans",
                    "key": f"response:{index[response]}",
                    "message": f"Response {number} has a critical {', '.join(sorted(set(types)))}"
                               f" span but a rubric total of {total:.2f} (≥ {high_total:.2f}).",
                    "details": {"response": index[response], "total": round(total, 4),
                                "critical_error_types": sorted(set(types)),
                                "scores": scores},
                })  # fmt: skip
        for a, b, value, criterion in labels.preferences.get(info.id, []):
            flag = _preference_flag(info.id, info.item_id, a, b, value, criterion, normalised)
            if flag is not None:
                flag["key"] = f"preference:{index[a]}-{index[b]}:{criterion}"
                flag["message"] = flag["message"].format(a=index[a] + 1, b=index[b] + 1)
                flags.append(flag)
    return flags


def _preference_flag(
    annotation: int,
    item: int,
    a: int,
    b: int,
    value: int,
    criterion: str,
    normalised: Mapping[int, Mapping[str, float]],
) -> dict[str, Any] | None:
    if value == 0:
        return None
    scores_a, scores_b = normalised.get(a, {}), normalised.get(b, {})
    if criterion:
        if criterion not in scores_a or criterion not in scores_b:
            return None
        total_a, total_b, basis = scores_a[criterion], scores_b[criterion], criterion
    else:
        common = sorted(scores_a.keys() & scores_b.keys())
        if not common:
            return None
        total_a = _mean([scores_a[c] for c in common])
        total_b = _mean([scores_b[c] for c in common])
        basis = "rubric total"
    if (value > 0 and total_b < total_a) or (value < 0 and total_a < total_b):
        better, worse = ("B", "A") if value > 0 else ("A", "B")
        return {
            "annotation": annotation, "item": item, "kind": "rubric_vs_preference",
            "message": f"Preference {value:+d} says {better} is better (responses {{a}} vs "
                       f"{{b}}) but {better}'s {basis} is lower "
                       f"({min(total_a, total_b):.2f} vs {max(total_a, total_b):.2f}); "
                       f"{worse} scores higher.",
            "details": {"value": value, "criterion": criterion or None,
                        "total_a": round(total_a, 4), "total_b": round(total_b, 4)},
        }  # fmt: skip
    return None
