"""The agreement report of a project, computed from a ``LabelSet`` (no database access).

Every number comes from ``core.agreement``; this module decides what the units are:

- spans: one section per (item, text response) and the annotations that labelled it — a human
  annotation labels every text response of its item (no span there means "no error"), unless
  its metadata lists ``labelled_responses``; a judge annotation labels the responses in its
  metadata (``responses`` of a spans task, or ``labelled_responses``), else those it marked;
- steps: one unit per (steps response, step index), the rating −1/0/+1 of each annotation
  that rated it; first-error location per steps response (no −1 is a location too);
- rubric: one unit per (response, criterion);
- preferences: one unit per (pair of responses, criterion), B-over-A on −3…+3 (a pair given
  as (B, A) is turned round).

Project-level numbers compare humans with humans; the pair table also has every human–judge
pair. Coders are annotators (``user:<id>``) and judges (``judge:<id>``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from core.agreement import (
    ALL,
    Coincidences,
    SpanAgreement,
    SpanSection,
    coder_pairs,
    first_error,
    pairwise_share,
    sign,
    span_agreement,
    weighted_kappa,
)
from quality.selectors.labels import LabelSet

STEP_LEVELS = [-1, 0, 1]
PREFERENCE_LEVELS = list(range(-3, 4))
NO_ERROR = -1  # first-error location of a response with no −1 step
# Per annotator: each measure of their human–human pairs, and what weighs a pair in the mean.
ANNOTATOR_WEIGHTS = {
    "span_f1": "sections",
    "span_alpha_unitizing": "sections",
    "step_alpha_ordinal": "steps",
    "rubric_kappa_quadratic": "rubric_units",
    "preference_kappa_quadratic": "preferences",
}
# Per error type, the span measures a snapshot keeps for the history (``snapshot_series``).
TYPE_SERIES_MEASURES = ("f1", "f1_severity", "alpha_unitizing", "alpha_char")

Unit = dict[str, Any]  # coder -> value


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


@dataclass
class Units:
    """The coded units of a project, by kind; values keyed by coder."""

    sections: dict[tuple[int, int], dict[str, list[tuple[int, int, str, int | None]]]] = field(
        default_factory=dict
    )  # (item, response id) -> coder -> spans
    section_length: dict[tuple[int, int], int] = field(default_factory=dict)
    steps: dict[tuple[int, int], Unit] = field(default_factory=lambda: defaultdict(dict))
    first_errors: dict[int, Unit] = field(default_factory=lambda: defaultdict(dict))
    rubric: dict[tuple[int, str], Unit] = field(default_factory=lambda: defaultdict(dict))
    preferences: dict[tuple[int, int, str], Unit] = field(default_factory=lambda: defaultdict(dict))
    item_of: dict[Hashable, int] = field(default_factory=dict)  # unit key -> item id


def units_build(labels: LabelSet) -> Units:
    """Turn labels into units (see the module docstring for what labels what)."""
    units = Units()
    responses = labels.responses
    for info in labels.annotations.values():
        texts = [r for r in labels.item_responses.get(info.item_id, ())
                 if responses[r].kind == "text"]  # fmt: skip
        spans = labels.spans.get(info.id, [])
        if info.labelled is not None:
            coded = [r for r in texts if responses[r].index in info.labelled]
        elif info.is_human:
            coded = texts
        else:
            coded = sorted({s[0] for s in spans})
        for response_id in coded:
            key = (info.item_id, response_id)
            units.section_length[key] = responses[response_id].length
            units.sections.setdefault(key, {})[info.coder] = [
                (start, end, error_type, severity)
                for r, start, end, error_type, severity in spans
                if r == response_id
            ]
            units.item_of[key] = info.item_id
        rated: dict[int, dict[int, int]] = defaultdict(dict)
        for response_id, index, rating in labels.steps.get(info.id, []):
            units.steps[(response_id, index)][info.coder] = rating
            units.item_of[(response_id, index)] = info.item_id
            rated[response_id][index] = rating
        for response_id, ratings in rated.items():
            location = first_error(ratings)
            units.first_errors[response_id][info.coder] = NO_ERROR if location is None else location
            units.item_of[response_id] = info.item_id
        for response_id, criterion, score in labels.rubric.get(info.id, []):
            units.rubric[(response_id, criterion)][info.coder] = score
            units.item_of[(response_id, criterion)] = info.item_id
        for a, b, value, criterion in labels.preferences.get(info.id, []):
            key3 = (a, b, criterion) if a < b else (b, a, criterion)
            units.preferences[key3][info.coder] = value if a < b else -value
            units.item_of[key3] = info.item_id
    return units


def _only(unit: Mapping[str, Any], coders: set[str]) -> dict[str, Any]:
    return {c: v for c, v in unit.items() if c in coders}


def _alpha(units: Sequence[Mapping[str, Any]], metric: Any, domain: Any = None) -> float | None:
    coincidences = Coincidences()
    for unit in units:
        coincidences.add(unit.values())
    return coincidences.alpha(metric, domain)


def _kappa(units: Sequence[Mapping[str, Any]], levels: Sequence[int], weighting: str) -> Any:
    pairs = [pair for ps in coder_pairs(units).values() for pair in ps]
    return weighted_kappa(pairs, levels, weighting)


def span_rows(result: SpanAgreement) -> list[dict[str, Any]]:
    rows = []
    for key in [*sorted(result.by_type), ALL]:
        if key != ALL and result.by_type[key].marked_chars == 0:
            continue
        rows.append({
            "error_type": key,
            "f1": _round(result.f1(key)),
            "f1_severity": _round(result.f1_severity(key)),
            "alpha_unitizing": _round(result.unitizing_alpha(key)),
            "alpha_char": _round(result.char_alpha(key)),
            "alpha_char_severity": _round(result.char_severity_alpha(key)),
            "marked_chars": (sum(s.marked_chars for s in result.by_type.values())
                             if key == ALL else result.by_type[key].marked_chars),
        })  # fmt: skip
    return rows


def _sections(units: Units, coders: set[str]) -> list[SpanSection]:
    out = []
    for key, by_coder in units.sections.items():
        chosen = {c: spans for c, spans in by_coder.items() if c in coders}
        if len(chosen) >= 2:
            out.append(SpanSection(key, units.section_length[key], chosen))
    return out


def _confusion(result: SpanAgreement) -> dict[str, Any]:
    labels = [*sorted({k for pair in result.confusion for k in pair} - {"(none)"}), "(none)"]
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for (a, b), count in result.confusion.items():
        matrix[index[a]][index[b]] += count
    return {"labels": labels, "matrix": matrix, "unit": "characters, ordered coder pairs"}


def humans_report(units: Units, humans: set[str], labels: LabelSet) -> dict[str, Any]:
    """Project-level agreement among ``humans`` (every kind of unit)."""
    spans = span_agreement(_sections(units, humans), pairs=True)
    steps = [u for u in (_only(u, humans) for u in units.steps.values()) if len(u) >= 2]
    firsts = [u for u in (_only(u, humans) for u in units.first_errors.values()) if len(u) >= 2]
    rubric_rows: list[dict[str, Any]] = []
    by_criterion: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (_response, criterion), unit in units.rubric.items():
        chosen = _only(unit, humans)
        if len(chosen) >= 2:
            by_criterion[criterion].append(chosen)
    for criterion, cunits in sorted(by_criterion.items()):
        levels = labels.criterion_levels.get(criterion) or sorted(
            {v for u in cunits for v in u.values()}
        )
        domain = sorted(set(levels) | {v for u in cunits for v in u.values()})
        rubric_rows.append({
            "criterion": criterion, "units": len(cunits),
            "alpha_interval": _round(_alpha(cunits, "interval")),
            "alpha_ordinal": _round(_alpha(cunits, "ordinal", domain)),
            "kappa_quadratic": _round(_kappa(cunits, levels, "quadratic")),
            "kappa_linear": _round(_kappa(cunits, levels, "linear")),
        })  # fmt: skip
    prefs = [u for u in (_only(u, humans) for u in units.preferences.values()) if len(u) >= 2]
    alphas = [r["alpha_interval"] for r in rubric_rows if r["alpha_interval"] is not None]
    return {
        "spans": {
            "sections": spans.sections,
            "by_error_type": span_rows(spans),
            "confusion": _confusion(spans),
        },
        "steps": {
            "units": len(steps),
            "alpha_ordinal": _round(_alpha(steps, "ordinal", STEP_LEVELS)),
            "responses": len(firsts),
            "first_error_agreement": _round(pairwise_share(firsts)),
            "first_error_alpha": _round(_alpha(firsts, "nominal")),
        },
        "rubric": {
            "by_criterion": rubric_rows,
            "alpha_interval_mean": _round(sum(alphas) / len(alphas)) if alphas else None,
        },
        "preferences": {
            "units": len(prefs),
            "kappa_quadratic": _round(_kappa(prefs, PREFERENCE_LEVELS, "quadratic")),
            "kappa_linear": _round(_kappa(prefs, PREFERENCE_LEVELS, "linear")),
            "sign_agreement": _round(pairwise_share(prefs, lambda a, b: sign(a) == sign(b))),
            "alpha_interval": _round(_alpha(prefs, "interval")),
        },
        "_spans": spans,
    }


def pair_rows(
    units: Units, labels: LabelSet, humans: set[str], human_spans: SpanAgreement
) -> list[dict[str, Any]]:
    """One row per two coders who share units: every two humans (their span agreement comes
    from the project pass, ``human_spans.pairs``), every human and judge."""
    span_pairs: dict[tuple[str, str], list[SpanSection]] = defaultdict(list)
    for key, by_coder in units.sections.items():
        coders = sorted(by_coder)
        for i, a in enumerate(coders):
            for b in coders[i + 1 :]:
                if (a in humans) != (b in humans):
                    span_pairs[(a, b)].append(SpanSection(
                        key, units.section_length[key], {a: by_coder[a], b: by_coder[b]}
                    ))  # fmt: skip
    tables = {
        "steps": coder_pairs(units.steps.values()),
        "first": coder_pairs(units.first_errors.values()),
        "rubric": coder_pairs(units.rubric.values()),
        "preferences": coder_pairs(units.preferences.values()),
    }
    keys = set(span_pairs) | set(human_spans.pairs) | {k for t in tables.values() for k in t}
    rows = []
    for a, b in sorted(k for k in keys if k[0] in humans or k[1] in humans):
        if a in humans and b in humans:
            pair = human_spans.pairs.get((a, b))
            sections = pair.sections if pair else []
            span_f1 = pair.prf.f1 if pair else None
            span_alpha = pair.unitizing_alpha() if pair else None
        else:
            spans = span_agreement(span_pairs.get((a, b), []))
            sections = [s.key for s in span_pairs.get((a, b), [])]
            span_f1, span_alpha = spans.f1(), spans.unitizing_alpha()
        steps = tables["steps"].get((a, b), [])
        firsts = tables["first"].get((a, b), [])
        rubric = tables["rubric"].get((a, b), [])
        prefs = tables["preferences"].get((a, b), [])
        step_c = Coincidences()
        for values in steps:
            step_c.add(values)
        items = {units.item_of[key] for key in sections}
        first, second = (b, a) if a not in humans else (a, b)  # the human first (symmetric)
        rows.append({
            "a": first, "b": second,
            "a_name": labels.coder_names.get(first, first),
            "b_name": labels.coder_names.get(second, second),
            "kind": "human-human" if a in humans and b in humans else "human-judge",
            "sections": len(sections), "items": len(items),
            "span_f1": _round(span_f1),
            "span_alpha_unitizing": _round(span_alpha),
            "steps": len(steps),
            "step_alpha_ordinal": _round(step_c.alpha("ordinal", STEP_LEVELS)),
            "first_error_agreement": _round(
                sum(x == y for x, y in firsts) / len(firsts) if firsts else None
            ),
            "rubric_units": len(rubric),
            "rubric_kappa_quadratic": _round(
                weighted_kappa(rubric, _rubric_levels(labels, rubric), "quadratic")
            ),
            "preferences": len(prefs),
            "preference_kappa_quadratic": _round(
                weighted_kappa(prefs, PREFERENCE_LEVELS, "quadratic")
            ),
            "preference_sign_agreement": _round(
                sum(sign(x) == sign(y) for x, y in prefs) / len(prefs) if prefs else None
            ),
        })  # fmt: skip
    return rows


def _rubric_levels(labels: LabelSet, pairs: Sequence[tuple[int, int]]) -> list[int]:
    levels = {v for levels in labels.criterion_levels.values() for v in levels}
    return sorted(levels | {v for pair in pairs for v in pair})


def item_scores(
    units: Units,
    humans: set[str],
    spans: SpanAgreement,
    criterion_levels: Mapping[str, Sequence[int]],
) -> dict[int, dict[str, Any]]:
    """Agreement of the human annotations of each item, 0 … 1 (the mean of the kinds it has):
    spans — type-aware character F1 over every two annotators (1 when nobody marked anything);
    steps — share of equal ratings; rubric — 1 − mean |a − b| / (highest − lowest level);
    preferences — share of equal signs."""
    parts: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    coders: dict[int, set[str]] = defaultdict(set)
    for key, prf in spans.by_section.items():
        section = cast(tuple[int, int], key)  # the keys of ``units.sections`` (``_sections``)
        item = units.item_of[section]
        parts[item]["spans"].append(prf.f1 if prf.f1 is not None else 1.0)
        coders[item].update(c for c in units.sections[section] if c in humans)
    for kind, table, same in (
        ("steps", units.steps, lambda a, b: float(a == b)),
        ("preferences", units.preferences, lambda a, b: float(sign(a) == sign(b))),
    ):
        for key, unit in table.items():
            chosen = _only(unit, humans)
            for pairs in coder_pairs([chosen]).values():
                for a, b in pairs:
                    parts[units.item_of[key]][kind].append(same(a, b))
                    coders[units.item_of[key]].update(chosen)
    for key, unit in units.rubric.items():
        chosen = _only(unit, humans)
        levels = criterion_levels.get(key[1]) or list(chosen.values())
        scale = max(1, max(levels) - min(levels)) if levels else 1
        for pairs in coder_pairs([chosen]).values():
            for a, b in pairs:
                parts[units.item_of[key]]["rubric"].append(max(0.0, 1.0 - abs(a - b) / scale))
                coders[units.item_of[key]].update(chosen)
    out = {}
    for item, kinds in parts.items():
        means = {kind: sum(v) / len(v) for kind, v in kinds.items() if v}
        if not means:
            continue
        out[item] = {
            "score": round(sum(means.values()) / len(means), 4),
            "annotators": len(coders[item]),
            "parts": {k: round(v, 4) for k, v in means.items()},
        }
    return out


def throughput(labels: LabelSet) -> dict[str, Any]:
    """Submissions per day and time per item (human annotations, by ``submitted_at``)."""
    per_day: dict[date, list[int]] = defaultdict(list)
    per_coder: dict[str, list[int]] = defaultdict(list)
    for info in labels.annotations.values():
        if not info.is_human:
            continue
        when = info.submitted_at or info.created_at
        per_day[when.date()].append(info.time_spent_ms)
        per_coder[info.coder].append(info.time_spent_ms)
    days = [
        {"date": day.isoformat(), "annotations": len(times),
         "mean_time_ms": round(sum(times) / len(times)) if times else 0,
         "median_time_ms": sorted(times)[len(times) // 2] if times else 0}
        for day, times in sorted(per_day.items())
    ]  # fmt: skip
    annotators = [
        {"coder": coder, "name": labels.coder_names.get(coder, coder), "annotations": len(times),
         "mean_time_ms": round(sum(times) / len(times)) if times else 0}
        for coder, times in sorted(per_coder.items(), key=lambda kv: -len(kv[1]))
    ]  # fmt: skip
    return {"by_day": days, "by_annotator": annotators}


def annotator_rows(pairs: Sequence[Mapping[str, Any]], humans: set[str]) -> list[dict[str, Any]]:
    """Each human's mean agreement with the other humans (pairs weighted by what they share:
    ``ANNOTATOR_WEIGHTS``)."""
    sums: dict[str, Counter[str]] = defaultdict(Counter)
    for row in pairs:
        if row["kind"] != "human-human":
            continue
        for coder in (row["a"], row["b"]):
            for metric, weight in ANNOTATOR_WEIGHTS.items():
                if row[metric] is not None and row[weight]:
                    sums[coder][metric] += row[metric] * row[weight]
                    sums[coder][f"{metric}__w"] += row[weight]
            sums[coder]["pairs"] += 1
    out = []
    for coder in sorted(humans):
        total = sums.get(coder, Counter())
        entry: dict[str, Any] = {"coder": coder, "pairs": total["pairs"]}
        for metric in ANNOTATOR_WEIGHTS:
            total_weight = total[f"{metric}__w"]
            entry[metric] = _round(total[metric] / total_weight) if total_weight else None
        out.append(entry)
    return out


def snapshot_series(report: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """What a snapshot keeps for the history plots, taken from its report: per error type
    (not "(all)", whose F1 and αU are headline columns) the span measures, and per annotator
    the mean agreement with the other annotators. Small, so that the history is read without
    the reports."""
    by_type = [
        {key: row[key] for key in ("error_type", *TYPE_SERIES_MEASURES, "marked_chars")}
        for row in report["spans"]["by_error_type"]
        if row["error_type"] != ALL
    ]
    by_annotator = [
        {key: row[key] for key in ("coder", "name", "pairs", *ANNOTATOR_WEIGHTS)}
        for row in report["annotators"]
    ]
    return {"by_error_type": by_type, "by_annotator": by_annotator}


def agreement_report(labels: LabelSet) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    """The full report (JSON-ready) and the per-item scores of ``labels``."""
    units = units_build(labels)
    humans = {info.coder for info in labels.annotations.values() if info.is_human}
    project = humans_report(units, humans, labels)
    spans: SpanAgreement = project.pop("_spans")
    pairs = pair_rows(units, labels, humans, spans)
    items = item_scores(units, humans, spans, labels.criterion_levels)
    names = dict(labels.coder_names)
    annotators = annotator_rows(pairs, humans)
    for row in annotators:
        row["name"] = names.get(row["coder"], row["coder"])
    report = {
        "annotations": len(labels.annotations),
        "items_compared": sum(1 for v in items.values() if v["annotators"] >= 2),
        "coders": names,
        **project,
        "pairs": pairs,
        "annotators": annotators,
        "throughput": throughput(labels),
    }
    return report, items
