"""Validate feedback units against the item's stored content and the pinned taxonomy/rubric.

Serializers have already checked shapes (types, ranges). Here each unit is checked against
what only the database knows — the response text, its steps, the error types of the
published taxonomy, the rubric's levels — and turned into unsaved model rows. Every problem
is reported with its path (``spans[2].end``); nothing is written by this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotator.models import (
    Critique,
    ErrorType,
    Item,
    MissingInfo,
    PreferenceJudgment,
    RegionLabel,
    Response,
    RubricScore,
    SpanLabel,
    StepLabel,
)
from annotator.selectors.taxonomy import RubricCatalog, TaxonomyCatalog
from core.exceptions import ApplicationError
from core.text import splits_character

UNIT_FIELDS = (
    "spans",
    "steps",
    "regions",
    "rubric_scores",
    "preferences",
    "critiques",
    "missing_info",
)


@dataclass
class UnitRows:
    spans: list[SpanLabel] = field(default_factory=list)
    steps: list[StepLabel] = field(default_factory=list)
    regions: list[RegionLabel] = field(default_factory=list)
    rubric_scores: list[RubricScore] = field(default_factory=list)
    preferences: list[PreferenceJudgment] = field(default_factory=list)
    critiques: list[Critique] = field(default_factory=list)
    missing_info: list[MissingInfo] = field(default_factory=list)

    def by_kind(self) -> dict[str, list[Any]]:
        return {name: getattr(self, name) for name in UNIT_FIELDS}


class _Checker:
    def __init__(
        self,
        *,
        item: Item,
        responses: Sequence[Response],
        taxonomy: TaxonomyCatalog | None,
        rubric: RubricCatalog | None,
        prefix: str,
    ) -> None:
        self.item = item
        self.responses = responses
        self.taxonomy = taxonomy
        self.rubric = rubric
        self.prefix = prefix
        self.errors: list[dict[str, str]] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append({"field": f"{self.prefix}{path}", "message": message})

    def response(self, path: str, index: int, kind: str | None = None) -> Response | None:
        if index >= len(self.responses):
            self.fail(path, f"Item has {len(self.responses)} responses; there is no index {index}.")
            return None
        response = self.responses[index]
        if kind is not None and response.kind != kind:
            self.fail(path, f"Response {index} is a {response.kind} response, not {kind}.")
            return None
        return response

    def error_type(self, path: str, key: str, unit_kind: str) -> ErrorType | None:
        if self.taxonomy is None:
            self.fail(path, "The project has no published taxonomy.")
            return None
        error_type = self.taxonomy.by_key.get(key)
        if error_type is None:
            known = ", ".join(sorted(self.taxonomy.by_key)) or "none"
            self.fail(path, f"Unknown error type {key!r}; known: {known}.")
            return None
        if error_type.unit_kinds and unit_kind not in error_type.unit_kinds:
            self.fail(path, f"Error type {key!r} does not apply to {unit_kind} labels.")
            return None
        return error_type

    def severity(self, path: str, value: int | None, error_type: ErrorType | None) -> None:
        if value is None or error_type is None:
            return
        levels = len(error_type.severity_levels or [])
        if levels and not 1 <= value <= levels:
            self.fail(path, f"Severity must be between 1 and {levels} for {error_type.key!r}.")
        elif not levels and value != 1:
            self.fail(path, f"Error type {error_type.key!r} has no severity scale; use 1 or null.")

    def criterion(self, path: str, key: str) -> Any:
        if self.rubric is None:
            self.fail(path, "The project has no published rubric.")
            return None
        criterion = self.rubric.by_key.get(key)
        if criterion is None:
            known = ", ".join(sorted(self.rubric.by_key)) or "none"
            self.fail(path, f"Unknown rubric criterion {key!r}; known: {known}.")
        return criterion


def _check_spans(c: _Checker, spans: Sequence[Mapping[str, Any]], rows: UnitRows) -> None:
    for i, span in enumerate(spans):
        path = f"spans[{i}]"
        response = c.response(f"{path}.response", span["response"], Response.Kind.TEXT)
        error_type = c.error_type(f"{path}.error_type", span["error_type"], "span")
        c.severity(f"{path}.severity", span.get("severity"), error_type)
        if response is None:
            continue
        text = response.text
        start, end = span["start"], span["end"]
        if start >= end:
            c.fail(f"{path}.end", f"end ({end}) must be greater than start ({start}).")
            continue
        if end > len(text):
            c.fail(
                f"{path}.end",
                f"end ({end}) is past the end of the text ({len(text)} code points).",
            )
            continue
        for name, offset in (("start", start), ("end", end)):
            if splits_character(text, offset):
                c.fail(
                    f"{path}.{name}",
                    f"{name} ({offset}) splits a character; offsets are Unicode code points "
                    "on character boundaries.",
                )
        quote = span.get("text")
        if quote is not None and text[start:end] != quote:
            c.fail(
                f"{path}.text",
                "text does not match text[start:end]; offsets must be Unicode code points "
                "(not UTF-16 units or bytes).",
            )
        if error_type is not None:
            rows.spans.append(
                SpanLabel(
                    response=response,
                    start=start,
                    end=end,
                    error_type=error_type,
                    severity=span.get("severity"),
                    comment=span.get("comment", ""),
                    confidence=span.get("confidence"),
                )
            )


def _check_steps(c: _Checker, steps: Sequence[Mapping[str, Any]], rows: UnitRows) -> None:
    seen: set[tuple[int, int]] = set()
    for i, step in enumerate(steps):
        path = f"steps[{i}]"
        response = c.response(f"{path}.response", step["response"], Response.Kind.STEPS)
        error_type = None
        if step.get("error_type"):
            error_type = c.error_type(f"{path}.error_type", step["error_type"], "step")
        if response is None:
            continue
        index = step["step_index"]
        if index >= len(response.steps):
            c.fail(
                f"{path}.step_index",
                f"Response {step['response']} has {len(response.steps)} steps; "
                f"there is no step {index}.",
            )
            continue
        if (step["response"], index) in seen:
            c.fail(f"{path}.step_index", f"Step {index} is rated twice.")
            continue
        seen.add((step["response"], index))
        rows.steps.append(
            StepLabel(
                response=response,
                step_index=index,
                rating=step["rating"],
                error_type=error_type,
                comment=step.get("comment", ""),
            )
        )


def _check_regions(c: _Checker, regions: Sequence[Mapping[str, Any]], rows: UnitRows) -> None:
    for i, region in enumerate(regions):
        path = f"regions[{i}]"
        response = c.response(f"{path}.response", region["response"], Response.Kind.IMAGE)
        error_type = c.error_type(f"{path}.error_type", region["error_type"], "region")
        c.severity(f"{path}.severity", region.get("severity"), error_type)
        points = region["points"]
        bad = False
        for j, point in enumerate(points):
            for axis, value in zip("xy", point, strict=True):
                if not 0.0 <= value <= 1.0:
                    c.fail(f"{path}.points[{j}].{axis}", f"{value} is outside [0, 1].")
                    bad = True
        shape = region["shape"]
        if shape == RegionLabel.Shape.BOX and len(points) != 2:
            c.fail(f"{path}.points", "A box has exactly 2 corner points.")
            bad = True
        if shape == RegionLabel.Shape.POLYGON and len(points) < 3:
            c.fail(f"{path}.points", "A polygon has at least 3 points.")
            bad = True
        if bad or response is None or error_type is None:
            continue
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        rows.regions.append(
            RegionLabel(
                response=response,
                shape=shape,
                points=[[float(x), float(y)] for x, y in points],
                x_min=min(xs),
                y_min=min(ys),
                x_max=max(xs),
                y_max=max(ys),
                error_type=error_type,
                severity=region.get("severity"),
                comment=region.get("comment", ""),
            )
        )


def _check_rubric(c: _Checker, scores: Sequence[Mapping[str, Any]], rows: UnitRows) -> None:
    seen: set[tuple[int, str]] = set()
    for i, score in enumerate(scores):
        path = f"rubric_scores[{i}]"
        response = c.response(f"{path}.response", score["response"])
        criterion = c.criterion(f"{path}.criterion", score["criterion"])
        if criterion is None or response is None:
            continue
        if score["score"] not in criterion.level_values:
            c.fail(
                f"{path}.score",
                f"{score['score']} is not a level of {criterion.key!r} "
                f"(levels: {criterion.level_values}).",
            )
            continue
        if (score["response"], criterion.key) in seen:
            c.fail(f"{path}.criterion", f"{criterion.key!r} is scored twice for this response.")
            continue
        seen.add((score["response"], criterion.key))
        rows.rubric_scores.append(
            RubricScore(
                response=response,
                criterion=criterion,
                score=score["score"],
                rationale=score.get("rationale", ""),
            )
        )


def _check_preferences(c: _Checker, prefs: Sequence[Mapping[str, Any]], rows: UnitRows) -> None:
    for i, pref in enumerate(prefs):
        path = f"preferences[{i}]"
        a = c.response(f"{path}.response_a", pref["response_a"])
        b = c.response(f"{path}.response_b", pref["response_b"])
        criterion = None
        if pref.get("criterion"):
            criterion = c.criterion(f"{path}.criterion", pref["criterion"])
            if criterion is None:
                continue
        if a is None or b is None:
            continue
        if a.pk == b.pk:
            c.fail(f"{path}.response_b", "A preference compares two different responses.")
            continue
        rows.preferences.append(
            PreferenceJudgment(
                response_a=a,
                response_b=b,
                value=pref["value"],
                rationale=pref.get("rationale", ""),
                criterion=criterion,
            )
        )


def _check_critiques(c: _Checker, critiques: Sequence[Mapping[str, Any]], rows: UnitRows) -> None:
    for i, critique in enumerate(critiques):
        response = c.response(f"critiques[{i}].response", critique["response"])
        if response is not None:
            rows.critiques.append(Critique(response=response, text=critique["text"]))


def _check_missing(c: _Checker, missing: Sequence[Mapping[str, Any]], rows: UnitRows) -> None:
    context = c.item.context or []
    for i, entry in enumerate(missing):
        path = f"missing_info[{i}]"
        response = c.response(f"{path}.response", entry["response"])
        error_type = c.error_type(f"{path}.error_type", entry["error_type"], "missing_info")
        passage = entry.get("passage_index")
        sentences = entry.get("sentence_indices") or []
        if passage is not None:
            if passage >= len(context):
                c.fail(f"{path}.passage_index", f"Item has {len(context)} passages.")
                continue
            count = len(context[passage].get("sentences", []))
            bad = [s for s in sentences if s >= count]
            if bad:
                c.fail(f"{path}.sentence_indices", f"Passage {passage} has {count} sentences.")
                continue
        elif sentences:
            c.fail(f"{path}.passage_index", "sentence_indices need a passage_index.")
            continue
        if response is not None and error_type is not None:
            rows.missing_info.append(
                MissingInfo(
                    response=response,
                    error_type=error_type,
                    passage_index=passage,
                    sentence_indices=list(sentences),
                    comment=entry.get("comment", ""),
                )
            )


def units_validate(
    *,
    item: Item,
    responses: Sequence[Response],
    units: Mapping[str, Sequence[Mapping[str, Any]]],
    taxonomy: TaxonomyCatalog | None,
    rubric: RubricCatalog | None,
    prefix: str = "",
) -> UnitRows:
    """Check every unit; return unsaved rows or raise ApplicationError listing every problem.

    ``responses`` must be the item's responses ordered by index (units name them by index).
    """
    checker = _Checker(
        item=item, responses=responses, taxonomy=taxonomy, rubric=rubric, prefix=prefix
    )
    rows = UnitRows()
    _check_spans(checker, units.get("spans", ()), rows)
    _check_steps(checker, units.get("steps", ()), rows)
    _check_regions(checker, units.get("regions", ()), rows)
    _check_rubric(checker, units.get("rubric_scores", ()), rows)
    _check_preferences(checker, units.get("preferences", ()), rows)
    _check_critiques(checker, units.get("critiques", ()), rows)
    _check_missing(checker, units.get("missing_info", ()), rows)
    if checker.errors:
        first = checker.errors[0]
        raise ApplicationError(f"{first['field']}: {first['message']}", errors=checker.errors)
    return rows
