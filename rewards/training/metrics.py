"""Held-out metrics per kind. ``primary`` is the one figure versions are compared on.

Span (Fine-Grained RLHF §4.1 and Table 6): per category, segment-level accuracy and the
precision / recall / F1 of the *error* class, a segment being an error of a category when a
span of one of its error types overlaps it; ``primary`` = mean error F1 over categories.
Step: accuracy over rated steps and F1 of the -1 class; ``primary`` = accuracy. Rubric:
mean absolute error in levels per criterion; ``primary`` = -MAE (higher is better).
Preference: pairwise accuracy; ``primary`` = accuracy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .data import IGNORE_INDEX, Example, LabelSpace


def binary_scores(gold: Sequence[bool], predicted: Sequence[bool]) -> dict[str, float]:
    """Accuracy and error-class precision, recall and F1.

    >>> binary_scores([True, False, True], [True, True, False])["f1"]
    0.5
    """
    tp = sum(g and p for g, p in zip(gold, predicted, strict=True))
    fp = sum(p and not g for g, p in zip(gold, predicted, strict=True))
    fn = sum(g and not p for g, p in zip(gold, predicted, strict=True))
    correct = sum(g == p for g, p in zip(gold, predicted, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "accuracy": correct / len(gold) if gold else 0.0,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "segments": float(len(gold)),
        "errors": float(sum(gold)),
    }


def best_threshold(gold: Sequence[bool], probs: Sequence[float], default: float = 0.5) -> float:
    """The threshold ``t`` (an error when ``p > t``) that maximises error F1 on ``gold``.
    Candidates are the midpoints between consecutive distinct probabilities and, to call
    every segment an error, half the lowest one (-1e-6 if it is 0); ties go to the highest
    threshold. ``default`` when ``gold`` has no error. One sort and one sweep.

    >>> round(best_threshold([True, False, True, False], [0.9, 0.8, 0.7, 0.1]), 6)
    0.4
    """
    errors = sum(gold)
    if not errors:
        return default
    pairs = sorted(zip(probs, gold, strict=True), key=lambda x: -x[0])
    best, best_t = -1.0, default
    tp = predicted = 0
    for i, (p, g) in enumerate(pairs):
        tp += g
        predicted += 1
        if i + 1 < len(pairs) and pairs[i + 1][0] == p:
            continue  # the cut must fall between distinct probabilities
        last = i + 1 == len(pairs)
        t = (p / 2 if p > 0 else -1e-6) if last else (p + pairs[i + 1][0]) / 2
        f1 = 2 * tp / (predicted + errors)
        if f1 > best:
            best, best_t = f1, t
    return best_t


def _group_probabilities(
    examples: Sequence[Example], probs: Sequence[Any], g: int
) -> tuple[list[bool], list[float]]:
    gold: list[bool] = []
    values: list[float] = []
    for example, p in zip(examples, probs, strict=True):
        if example.group != g:
            continue
        for t, row in enumerate(example.labels):
            gold.append(row[0] >= 0.5)
            values.append(float(p[t][0]))
    return gold, values


def tune_thresholds(
    examples: Sequence[Example], probs: Sequence[Any], space: LabelSpace, default: float
) -> dict[str, float]:
    """Per span category, ``best_threshold`` on ``examples`` (``default`` without them)."""
    out = {}
    for g, group in enumerate(space.groups):
        gold, values = _group_probabilities(examples, probs, g)
        out[group["name"]] = round(best_threshold(gold, values, default), 6)
    return out


def threshold_of(threshold: float | Mapping[str, float], name: str, default: float) -> float:
    if isinstance(threshold, Mapping):
        return float(threshold.get(name, default))
    return float(threshold)


def span_metrics(
    examples: Sequence[Example],
    probs: Sequence[Any],
    space: LabelSpace,
    threshold: float | Mapping[str, float],
) -> dict[str, Any]:
    """``threshold``: one for every category, or one per category name (0.5 where absent)."""
    out: dict[str, Any] = {}
    f1s = []
    for g, group in enumerate(space.groups):
        gold, values = _group_probabilities(examples, probs, g)
        if not gold:
            continue
        cut = threshold_of(threshold, group["name"], 0.5)
        scores = binary_scores(gold, [p > cut for p in values])
        out[group["name"]] = scores
        f1s.append(scores["f1"])
    out["primary_name"] = "mean error F1"
    out["primary"] = sum(f1s) / len(f1s) if f1s else 0.0
    return out


def step_metrics(examples: Sequence[Example], probs: Sequence[Any]) -> dict[str, Any]:
    gold: list[int] = []
    predicted: list[int] = []
    for example, p in zip(examples, probs, strict=True):
        for t, label in enumerate(example.labels):
            if label != IGNORE_INDEX:
                gold.append(int(label))
                row = p[t]
                predicted.append(max(range(3), key=lambda c: float(row[c])))
    bad = binary_scores([g == 0 for g in gold], [q == 0 for q in predicted])
    accuracy = sum(g == q for g, q in zip(gold, predicted, strict=True)) / max(len(gold), 1)
    return {
        "accuracy": accuracy,
        "bad_step_f1": bad["f1"],
        "steps": len(gold),
        "primary_name": "step accuracy",
        "primary": accuracy,
    }


def rubric_metrics(
    examples: Sequence[Example], predictions: Sequence[Any], space: LabelSpace
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    maes = []
    for c, (key, low, high) in enumerate(space.criteria):
        errors = [
            abs(float(p[c]) - label[c]) * (high - low)
            for example, p in zip(examples, predictions, strict=True)
            for label in [example.labels]
            if label[c] != IGNORE_INDEX
        ]
        if errors:
            out[key] = {"mae": sum(errors) / len(errors), "count": len(errors)}
            maes.append(out[key]["mae"])
    mae = sum(maes) / len(maes) if maes else 0.0
    return {**out, "mae": mae, "primary_name": "-MAE (levels)", "primary": -mae}


def preference_metrics(rewards: Sequence[Any]) -> dict[str, Any]:
    correct = [float(r[0]) > float(r[1]) for r in rewards]
    accuracy = sum(correct) / len(correct) if correct else 0.0
    return {
        "accuracy": accuracy,
        "pairs": len(correct),
        "primary_name": "pairwise accuracy",
        "primary": accuracy,
    }


def compute_metrics(
    kind: str,
    examples: Sequence[Example],
    outputs: Sequence[Any],
    space: LabelSpace,
    threshold: float | Mapping[str, float] = 0.5,
) -> dict[str, Any]:
    if kind == "span":
        return span_metrics(examples, outputs, space, threshold)
    if kind == "step":
        return step_metrics(examples, outputs)
    if kind == "rubric":
        return rubric_metrics(examples, outputs, space)
    return preference_metrics(outputs)
