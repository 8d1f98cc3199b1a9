"""Judge one item: build its prompts, call the backend, check the output, make units.

Runs in worker threads, so it touches no database: it works on snapshots (judges.prompting)
and returns an ``ItemOutcome``. Item text is untrusted and so is model output: a unit is
made only from output that is schema-valid, inside the item's bounds (response and step
indices, span offsets), within the taxonomy and within the rubric's levels. Anything else
fails the whole item with the reason, and nothing of it is stored.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from judges.parsing import MAX_RATIONALE, OutputError, extract_object, extract_verdict
from judges.placement import Placement, place_quote
from judges.prompting import (
    CriterionInfo,
    ErrorTypeInfo,
    ItemInfo,
    Prompt,
    PromptTemplateText,
    base_values,
    levels_text,
    output_format,
    pairwise_graded_schema,
    pairwise_schema,
    render,
    rubric_schema,
    spans_schema,
    steps_schema,
    steps_text,
    taxonomy_text,
)

MAX_ERRORS = 200
MAX_QUOTE = 5000
MAX_OUTPUT_STORED = 20_000
PAIRWISE_VALUES = {"A": -2, "B": 2}  # direction only: the middle grade, as QA-FEEDBACK imports


class ItemFailure(Exception):
    """This item gets no annotation. ``fatal`` failures (bad credentials, a blocked host) would
    fail every item the same way, so they end the run."""

    def __init__(self, reason: str, *, fatal: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fatal = fatal


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    attempts: int = 1


class Backend(Protocol):
    def complete(self, prompt: Prompt) -> Completion: ...


@dataclass(frozen=True)
class RunSpec:
    task: str
    template: PromptTemplateText
    error_types: Mapping[str, ErrorTypeInfo]
    criteria: Mapping[str, CriterionInfo]
    guidelines: str = ""
    json_mode: bool = True
    responses: tuple[int, ...] | None = None
    criteria_keys: tuple[str, ...] | None = None
    response_a: int = 0
    response_b: int = 1
    criterion: str | None = None

    def types_for(self, unit_kind: str) -> list[ErrorTypeInfo]:
        return [et for et in self.error_types.values() if et.applies_to(unit_kind)]


@dataclass
class ItemOutcome:
    item_id: int
    units: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {"spans": [], "steps": [], "rubric_scores": [], "preferences": []}
    )
    judged_responses: list[int] = field(default_factory=list)
    unplaced: list[dict[str, Any]] = field(default_factory=list)
    placements: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0
    failure: str | None = None
    fatal: bool = False


# --- prompts -----------------------------------------------------------------------------------


def _selected(item: ItemInfo, spec: RunSpec, kind: str) -> list[int]:
    if spec.responses is None:
        return [r.index for r in item.responses if r.kind == kind]
    for index in spec.responses:
        response = item.response(index)
        if response is None:
            raise ItemFailure(f"The item has no response {index}.")
        if response.kind != kind:
            raise ItemFailure(f"Response {index} is a {response.kind} response, not {kind}.")
    return list(spec.responses)


def build_prompts(item: ItemInfo, spec: RunSpec) -> list[Prompt]:
    """The requests this item needs for ``spec.task`` (one per response, criterion or pair)."""
    values = base_values(item, spec.guidelines)
    task = spec.task
    prompts: list[Prompt] = []
    if task in ("spans", "steps"):
        unit = "span" if task == "spans" else "step"
        types = spec.types_for(unit)
        keys = [et.key for et in types]
        values |= {
            "taxonomy": taxonomy_text(types),
            "output_format": output_format(task, json_mode=True),
        }
        kind = "text" if task == "spans" else "steps"
        for index in _selected(item, spec, kind):
            response = item.responses[index]
            values |= {"response": response.text, "steps": steps_text(response)}
            system, user = render(spec.template, values)
            schema = spans_schema(keys) if task == "spans" else steps_schema(keys)
            prompts.append(
                Prompt(f"response {index}", system, user, task, schema, {"response": index})
            )
    elif task == "rubric":
        criterion_keys = spec.criteria_keys or tuple(spec.criteria)
        for index in _selected(item, spec, "text"):
            for key in criterion_keys:
                criterion = spec.criteria[key]
                low, high = min(criterion.values), max(criterion.values)
                values |= {
                    "response": item.responses[index].text,
                    "criterion_name": criterion.name,
                    "criterion_description": criterion.description or criterion.name,
                    "levels": levels_text(criterion),
                    "min_score": str(low),
                    "max_score": str(high),
                    "output_format": output_format(
                        task, json_mode=spec.json_mode, low=low, high=high
                    ),
                }
                system, user = render(spec.template, values)
                prompts.append(
                    Prompt(f"response {index} × {key}", system, user, "rubric",
                           rubric_schema(criterion.values), {"response": index, "criterion": key})
                )  # fmt: skip
    else:
        a, b = item.response(spec.response_a), item.response(spec.response_b)
        if a is None or b is None:
            raise ItemFailure(f"The item has no responses {spec.response_a} and {spec.response_b}.")
        pair_criterion = spec.criteria.get(spec.criterion or "")
        values |= {
            "response_a": a.text,
            "response_b": b.text,
            "criterion": (
                f"[{pair_criterion.name}: {pair_criterion.description or pair_criterion.name}]"
                if pair_criterion
                else "[Overall quality: which response answers the instruction better — "
                "more correct, relevant, complete and clear?]"
            ),
            "output_format": output_format(task, json_mode=spec.json_mode),
        }
        system, user = render(spec.template, values)
        schema = pairwise_schema() if task == "pairwise" else pairwise_graded_schema()
        prompts.append(Prompt("pair", system, user, task, schema, {}))
    if not prompts:
        raise ItemFailure(f"The item has nothing to judge for the {task} task.")
    return prompts


# --- output -> units ---------------------------------------------------------------------------


def _string(entry: Mapping[str, Any], name: str, where: str, *, required: bool = True) -> str:
    value = entry.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise OutputError(f"{where}.{name} must be a string.")
    return value


def _error_type(spec: RunSpec, key: Any, unit: str, where: str) -> ErrorTypeInfo:
    error_type = spec.error_types.get(key) if isinstance(key, str) else None
    if error_type is None or not error_type.applies_to(unit):
        known = ", ".join(et.key for et in spec.types_for(unit)) or "none"
        raise OutputError(
            f"{where}.error_type {key!r} is not an error type for {unit}s (known: {known})."
        )
    return error_type


def _check_span_bounds(where: str, start: Any, end: Any, index: int, text: str) -> tuple[int, int]:
    """``(start, end)`` when they are a non-empty span of ``text``; raises OutputError if not."""
    if start is None or end is None or not 0 <= start < end <= len(text):
        raise OutputError(
            f"{where}: span [{start}, {end}) is outside response {index} ({len(text)} code points)."
        )
    return start, end


def _check_step(where: str, step_index: Any, count: int, rating: Any) -> int:
    """``step_index`` when it and ``rating`` are valid; raises OutputError if not."""
    if step_index is None or not 0 <= step_index < count:
        raise OutputError(f"{where}.step_index {step_index} is outside the {count} steps.")
    if isinstance(rating, bool) or rating not in (-1, 0, 1):
        raise OutputError(f"{where}.rating must be -1, 0 or 1.")
    return step_index


def check_units(
    item: ItemInfo, spec: RunSpec, units: Mapping[str, Sequence[Mapping[str, Any]]]
) -> None:
    """Check spans and steps made without the output parsers below (``reward_model``
    judges) as strictly: on a response of the right kind, inside its bounds, of an error type
    of the taxonomy for the unit kind. Raises OutputError naming the first unit that is not."""
    for i, span in enumerate(units.get("spans", ())):
        where = f"spans[{i}]"
        response = item.response(span["response"])
        if response is None or response.kind != "text":
            raise OutputError(f"{where}: the item has no text response {span['response']}.")
        _check_span_bounds(where, span["start"], span["end"], response.index, response.text)
        _error_type(spec, span["error_type"], "span", where)
    for i, step in enumerate(units.get("steps", ())):
        where = f"steps[{i}]"
        response = item.response(step["response"])
        if response is None or response.kind != "steps":
            raise OutputError(f"{where}: the item has no steps response {step['response']}.")
        _check_step(where, step["step_index"], len(response.steps), step["rating"])
        if step.get("error_type"):
            _error_type(spec, step["error_type"], "step", where)


def _int(entry: Mapping[str, Any], name: str, where: str) -> int | None:
    value = entry.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise OutputError(f"{where}.{name} must be an integer.")
    return value


def _spans(item: ItemInfo, spec: RunSpec, prompt: Prompt, text: str, out: ItemOutcome) -> int:
    """Add placed spans; return how many quotes the output had."""
    data = extract_object(text)
    errors = data.get("errors")
    if not isinstance(errors, list) or len(errors) > MAX_ERRORS:
        raise OutputError(f'"errors" must be a list of at most {MAX_ERRORS} objects.')
    index = prompt.target["response"]
    response_text = item.responses[index].text
    cursor = 0
    for i, entry in enumerate(errors):
        where = f"errors[{i}]"
        if not isinstance(entry, dict):
            raise OutputError(f"{where} must be an object.")
        quote = _string(entry, "quote", where)[:MAX_QUOTE]
        error_type = _error_type(spec, entry.get("error_type"), "span", where)
        explanation = _string(entry, "explanation", where, required=False)[:MAX_RATIONALE]
        severity = _int(entry, "severity", where)
        levels = error_type.severity_levels
        if severity is not None and not (1 <= severity <= levels if levels else severity == 1):
            raise OutputError(
                f"{where}.severity {severity} is outside the scale of {error_type.key!r}."
            )
        confidence = entry.get("confidence")
        if confidence is not None and (
            isinstance(confidence, bool) or not isinstance(confidence, int | float)
            or not 0 <= confidence <= 1
        ):  # fmt: skip
            raise OutputError(f"{where}.confidence must be a number in [0, 1].")
        start, end = _int(entry, "start", where), _int(entry, "end", where)
        placed: Placement | None = None
        if start is not None or end is not None:
            start, end = _check_span_bounds(where, start, end, index, response_text)
            if response_text[start:end] == quote:
                placed = Placement(start, end, "offsets")
        result = placed or place_quote(response_text, quote, cursor)
        if not isinstance(result, Placement):
            out.unplaced.append({"response": index, "quote": quote[:500], "reason": result.reason})
            continue
        cursor = result.end
        out.placements.append({"response": index, "method": result.method, "ratio": result.ratio})
        out.units["spans"].append({
            "response": index, "start": result.start, "end": result.end,
            "error_type": error_type.key, "severity": severity, "comment": explanation,
            "confidence": confidence,
        })  # fmt: skip
    return len(errors)


def _steps(item: ItemInfo, spec: RunSpec, prompt: Prompt, text: str, out: ItemOutcome) -> None:
    data = extract_object(text)
    steps = data.get("steps")
    index = prompt.target["response"]
    count = len(item.responses[index].steps)
    if not isinstance(steps, list) or len(steps) > max(count, 1) * 2:
        raise OutputError('"steps" must be a list with one entry per step.')
    seen: set[int] = set()
    for i, entry in enumerate(steps):
        where = f"steps[{i}]"
        if not isinstance(entry, dict):
            raise OutputError(f"{where} must be an object.")
        step_index = _int(entry, "step_index", where)
        rating = entry.get("rating")
        step_index = _check_step(where, step_index, count, rating)
        if step_index in seen:
            raise OutputError(f"{where}: step {step_index} is rated twice.")
        seen.add(step_index)
        key = entry.get("error_type")
        error_type = _error_type(spec, key, "step", where).key if key not in (None, "") else None
        comment = _string(entry, "explanation", where, required=False)[:MAX_RATIONALE]
        out.units["steps"].append({
            "response": index, "step_index": step_index, "rating": rating,
            "error_type": error_type, "comment": comment,
        })  # fmt: skip


def _verdict(spec: RunSpec, prompt: Prompt, text: str, out: ItemOutcome) -> None:
    feedback, token = extract_verdict(text)
    if spec.task == "rubric":
        criterion = spec.criteria[prompt.target["criterion"]]
        try:
            score = int(token)
        except ValueError:
            raise OutputError(f"[RESULT] {token!r} is not an integer score.") from None
        if score not in criterion.values:
            raise OutputError(
                f"Score {score} is outside the levels of {criterion.key!r} {criterion.values}."
            )
        out.units["rubric_scores"].append({
            "response": prompt.target["response"], "criterion": criterion.key, "score": score,
            "rationale": feedback,
        })  # fmt: skip
        return
    if spec.task == "pairwise":
        value = PAIRWISE_VALUES.get(token.upper())
        if value is None:
            raise OutputError(f'[RESULT] {token!r} is not "A" or "B".')
    else:
        try:
            value = int(token)
        except ValueError:
            raise OutputError(f"[RESULT] {token!r} is not an integer from -3 to 3.") from None
        if not -3 <= value <= 3:
            raise OutputError(f"Preference {value} is outside -3…+3.")
    out.units["preferences"].append({
        "response_a": spec.response_a, "response_b": spec.response_b, "value": value,
        "rationale": feedback, "criterion": spec.criterion or None,
    })  # fmt: skip


def judge_item(item: ItemInfo, spec: RunSpec, backend: Backend) -> ItemOutcome:
    """Judge one item; never raises for anything the item or the model did."""
    out = ItemOutcome(item.id)
    started = time.monotonic()
    quotes = 0
    try:
        for prompt in build_prompts(item, spec):
            if "response" in prompt.target:
                out.judged_responses.append(prompt.target["response"])
            completion = backend.complete(prompt)
            out.requests += completion.attempts
            out.prompt_tokens += completion.prompt_tokens
            out.completion_tokens += completion.completion_tokens
            out.outputs.append(completion.text[:MAX_OUTPUT_STORED])
            try:
                if spec.task == "spans":
                    quotes += _spans(item, spec, prompt, completion.text, out)
                elif spec.task == "steps":
                    _steps(item, spec, prompt, completion.text, out)
                else:
                    _verdict(spec, prompt, completion.text, out)
            except OutputError as exc:
                raise ItemFailure(f"{prompt.label}: {exc}") from None
        if quotes and len(out.unplaced) == quotes:
            raise ItemFailure(
                f"None of the {quotes} quotes occurs in the text; an annotation without them "
                "would claim the response has no errors."
            )
    except ItemFailure as exc:
        out.failure, out.fatal = exc.reason, exc.fatal
    out.latency_ms = int((time.monotonic() - started) * 1000)
    return out
