"""``rules`` judges: regular expressions and word lists mapped to error types.

Spans task: every match in a text response becomes a span of the rule's error type (empty
matches are skipped; a span found twice for one type is kept once). Steps task: a step with
a match is rated −1 with the rule's error type; steps without a match are left unrated (a
rule can say a step is wrong, never that it is right). Words match case-insensitively by
default, as whole words (``\\b`` boundaries).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from judges.judging import ItemFailure, ItemOutcome, RunSpec
from judges.prompting import ItemInfo

MAX_MATCHES = 1000


@dataclass(frozen=True)
class CompiledRule:
    error_type: str
    regex: re.Pattern[str]
    comment: str


def compile_rules(rules: Sequence[Mapping[str, Any]]) -> list[CompiledRule]:
    compiled = []
    for rule in rules:
        flags = re.IGNORECASE if rule.get("ignore_case", True) else 0
        if rule.get("words"):
            words = sorted((re.escape(w) for w in rule["words"]), key=len, reverse=True)
            pattern = r"\b(?:" + "|".join(words) + r")\b"
        else:
            pattern = rule["pattern"]
        compiled.append(
            CompiledRule(rule["error_type"], re.compile(pattern, flags), rule.get("comment", ""))
        )
    return compiled


def check_rules(rules: Sequence[CompiledRule], spec: RunSpec, unit: str) -> None:
    """Fail the run (fatal) if a rule names an error type the taxonomy lacks for ``unit``."""
    for rule in rules:
        error_type = spec.error_types.get(rule.error_type)
        if error_type is None or not error_type.applies_to(unit):
            raise ItemFailure(
                f"Rule error type {rule.error_type!r} is not a {unit} error type of the "
                "project's published taxonomy.",
                fatal=True,
            )


def _matches(rule: CompiledRule, text: str) -> list[tuple[int, int]]:
    spans = []
    for match in rule.regex.finditer(text):
        if match.end() > match.start():
            spans.append((match.start(), match.end()))
        if len(spans) >= MAX_MATCHES:
            break
    return spans


def judge_item_rules(item: ItemInfo, spec: RunSpec, rules: Sequence[CompiledRule]) -> ItemOutcome:
    out = ItemOutcome(item.id)
    started = time.monotonic()
    kind = "text" if spec.task == "spans" else "steps"
    indices = spec.responses
    if indices is None:
        indices = tuple(r.index for r in item.responses if r.kind == kind)
    for index in indices:
        response = item.response(index)
        if response is None or response.kind != kind:
            out.failure = f"The item has no {kind} response {index}."
            return out
        out.judged_responses.append(index)
        if spec.task == "spans":
            seen: set[tuple[int, int, str]] = set()
            for rule in rules:
                for start, end in _matches(rule, response.text):
                    if (start, end, rule.error_type) in seen:
                        continue
                    seen.add((start, end, rule.error_type))
                    out.units["spans"].append({
                        "response": index, "start": start, "end": end,
                        "error_type": rule.error_type, "comment": rule.comment,
                    })  # fmt: skip
        else:
            for step_index, step in enumerate(response.steps):
                hit = next((rule for rule in rules if _matches(rule, step)), None)
                if hit is not None:
                    out.units["steps"].append({
                        "response": index, "step_index": step_index, "rating": -1,
                        "error_type": hit.error_type, "comment": hit.comment,
                    })  # fmt: skip
    out.latency_ms = int((time.monotonic() - started) * 1000)
    return out
