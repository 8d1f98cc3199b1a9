"""Annotators' accuracy on gold items: their labels against the item's reference annotation.

Per annotator, over the gold items they submitted: span precision, recall and F1 by characters
and type (the annotator as prediction, the gold labels as reference), step accuracy over the
steps both rated, rubric closeness (1 − |a − g| / (highest − lowest level), averaged) and the
share of preferences with the gold sign. ``score`` is the mean of the parts present.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from core.agreement import SpanSection, sign, span_agreement
from quality.selectors.labels import LabelSet

# Sorts after every coder key ("user:…"): span_agreement orders a section's coders, so the
# annotator comes first and its one-sided characters are the false positives.
GOLD = "~gold"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def gold_scores(labels: LabelSet, references: Mapping[int, int]) -> list[dict[str, Any]]:
    """``references``: gold item id -> reference annotation id (present in ``labels``)."""
    sections: dict[str, list[SpanSection]] = defaultdict(list)
    parts: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    items: dict[str, set[int]] = defaultdict(set)
    texts = {
        item: [r for r in ids if labels.responses[r].kind == "text"]
        for item, ids in labels.item_responses.items()
    }
    for info in labels.annotations.values():
        reference = references.get(info.item_id)
        if reference is None or reference == info.id or not info.is_human:
            continue
        items[info.coder].add(info.item_id)
        gold_spans = labels.spans.get(reference, [])
        own = labels.spans.get(info.id, [])
        for response in texts.get(info.item_id, []):
            sections[info.coder].append(SpanSection(
                (info.item_id, response), labels.responses[response].length,
                {info.coder: [s[1:] for s in own if s[0] == response],
                 GOLD: [s[1:] for s in gold_spans if s[0] == response]},
            ))  # fmt: skip
        gold_steps = {(r, i): v for r, i, v in labels.steps.get(reference, [])}
        for r, i, v in labels.steps.get(info.id, []):
            if (r, i) in gold_steps:
                parts[info.coder]["steps"].append(float(v == gold_steps[(r, i)]))
        gold_rubric = {(r, c): v for r, c, v in labels.rubric.get(reference, [])}
        for r, c, v in labels.rubric.get(info.id, []):
            if (r, c) in gold_rubric:
                levels = labels.criterion_levels.get(c) or [v, gold_rubric[(r, c)]]
                scale = max(1, max(levels) - min(levels))
                parts[info.coder]["rubric"].append(
                    max(0.0, 1 - abs(v - gold_rubric[(r, c)]) / scale)
                )
        gold_prefs: dict[tuple[int, int, str], int] = {}
        for a, b, v, c in labels.preferences.get(reference, []):
            gold_prefs[(a, b, c)] = v
            gold_prefs.setdefault((b, a, c), -v)
        for a, b, v, c in labels.preferences.get(info.id, []):
            if (a, b, c) in gold_prefs:
                parts[info.coder]["preferences"].append(
                    float(sign(v) == sign(gold_prefs[(a, b, c)]))
                )
    rows = []
    for coder in sorted(items):
        spans = span_agreement(sections.get(coder, []))
        total = spans.f1_prf()
        row: dict[str, Any] = {
            "coder": coder,
            "name": labels.coder_names.get(coder, coder),
            "gold_items": len(items[coder]),
            "span_precision": _round(total.precision),
            "span_recall": _round(total.recall),
            "span_f1": _round(total.f1),
        }
        means = {k: sum(v) / len(v) for k, v in parts[coder].items() if v}
        row["step_accuracy"] = _round(means.get("steps"))
        row["rubric_closeness"] = _round(means.get("rubric"))
        row["preference_sign_agreement"] = _round(means.get("preferences"))
        if sections.get(coder):
            # Nothing marked by either side on any gold response: perfect on spans.
            means["spans"] = total.f1 if total.f1 is not None else 1.0
        row["score"] = _round(sum(means.values()) / len(means)) if means else None
        rows.append(row)
    return rows
