"""Calibration: how well a judge agrees with the humans of its project (core.agreement).

What is compared, on items both the judge and at least one human labelled (a human
annotation is submitted or accepted; the judge's is its latest on the item). Every
(judge, human) pair counts, so an item labelled by two humans counts twice:

- **spans**, per error type and for "any type": character-level precision/recall/F1 (the
  judge is the prediction, the human the reference), on the responses the judge marked
  with the spans task *and* the human labelled — by at least one span or missing-info unit
  on that response, or on every response listed in ``span_responses`` (use it when humans
  label spans on known responses, so that "no span" counts as "no error");
- **steps**: accuracy over steps both rated, first-error location agreement, and per human
  error type how often the judge also rated the human's −1 steps −1;
- **rubric**: per criterion, quadratic weighted kappa over the criterion's levels and
  Spearman's rho, on (response, criterion) both scored;
- **preferences**: sign agreement on pairs of responses both compared (a pair given as
  (B, A) is turned round).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from annotator.models import Annotation, Judge
from annotator.selectors.annotations import annotation_base_queryset
from core.agreement import (
    PRF,
    StepAgreement,
    preference_sign_agreement,
    quadratic_weighted_kappa,
    span_overlap,
    spearman,
    step_agreement,
)
from judges.models import JudgeCalibration

HUMAN_STATUSES = (Annotation.Status.SUBMITTED, Annotation.Status.ACCEPTED)
ANY = "(any)"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _latest_by_item(annotations: Iterable[Annotation]) -> dict[int, Annotation]:
    latest: dict[int, Annotation] = {}
    for annotation in annotations:
        current = latest.get(annotation.item_id)
        if current is None or (annotation.created_at, annotation.pk) > (
            current.created_at,
            current.pk,
        ):
            latest[annotation.item_id] = annotation
    return latest


class _Collector:
    def __init__(self, span_responses: Sequence[int] | None) -> None:
        self.span_responses = set(span_responses) if span_responses is not None else None
        self.spans: dict[str, PRF] = defaultdict(PRF)
        self.span_pairs = 0
        self.steps = StepAgreement()
        self.step_types: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self.confusion = [[0] * 3 for _ in range(3)]
        self.rubric: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.preferences: list[tuple[int, int]] = []
        self.items: set[int] = set()

    def add(self, judge: Annotation, human: Annotation) -> None:
        compared = [
            self._spans(judge, human),
            self._steps(judge, human),
            self._rubric(judge, human),
            self._preferences(judge, human),
        ]
        if any(compared):
            self.items.add(judge.item_id)

    def _spans(self, judge: Annotation, human: Annotation) -> bool:
        if judge.metadata.get("task") != "spans":
            return False
        judged = set(judge.metadata.get("responses") or [])
        if self.span_responses is not None:
            labelled = self.span_responses
        else:
            labelled = {s.response.index for s in human.spans.all()}
            labelled |= {m.response.index for m in human.missing_info.all()}
        responses = judged & labelled
        if not responses:
            return False

        def spans(annotation: Annotation) -> list[tuple[int, int, int, str]]:
            return [
                (s.response.index, s.start, s.end, s.error_type.key)
                for s in annotation.spans.all()
                if s.response.index in responses
            ]

        predicted, reference = spans(judge), spans(human)
        types = {s[3] for s in predicted} | {s[3] for s in reference}
        for error_type in types:
            self.spans[error_type].add(span_overlap(predicted, reference, error_type))
        self.spans[ANY].add(span_overlap(predicted, reference, None))
        self.span_pairs += len(responses)
        return True

    def _steps(self, judge: Annotation, human: Annotation) -> bool:
        def by_response(annotation: Annotation) -> dict[int, dict[int, Any]]:
            out: dict[int, dict[int, Any]] = defaultdict(dict)
            for step in annotation.steps.all():
                out[step.response.index][step.step_index] = step
            return out

        mine, theirs = by_response(judge), by_response(human)
        shared = mine.keys() & theirs.keys()
        for index in shared:
            predicted = {i: s.rating for i, s in mine[index].items()}
            reference = {i: s.rating for i, s in theirs[index].items()}
            result = step_agreement(predicted, reference)
            self.steps.steps += result.steps
            self.steps.steps_equal += result.steps_equal
            self.steps.responses += 1
            self.steps.first_error_equal += result.first_error_equal
            for i in predicted.keys() & reference.keys():
                self.confusion[reference[i] + 1][predicted[i] + 1] += 1
            for i, step in theirs[index].items():
                if step.rating == -1 and i in predicted:
                    key = step.error_type.key if step.error_type else "(untyped)"
                    self.step_types[key][0] += 1
                    self.step_types[key][1] += int(predicted[i] == -1)
        return bool(shared)

    def _rubric(self, judge: Annotation, human: Annotation) -> bool:
        theirs = {(s.response.index, s.criterion.key): s.score for s in human.rubric_scores.all()}
        found = False
        for score in judge.rubric_scores.all():
            key = (score.response.index, score.criterion.key)
            if key in theirs:
                self.rubric[score.criterion.key].append((score.score, theirs[key]))
                found = True
        return found

    def _preferences(self, judge: Annotation, human: Annotation) -> bool:
        theirs: dict[tuple[int, int], int] = {}
        for p in human.preferences.all():
            theirs[(p.response_a.index, p.response_b.index)] = p.value
            theirs.setdefault((p.response_b.index, p.response_a.index), -p.value)
        found = False
        for p in judge.preferences.all():
            key = (p.response_a.index, p.response_b.index)
            if key in theirs:
                self.preferences.append((p.value, theirs[key]))
                found = True
        return found


def _span_rows(spans: dict[str, PRF]) -> list[dict[str, Any]]:
    rows = []
    for key in sorted(spans, key=lambda k: (k == ANY, k)):
        prf = spans[key]
        rows.append({
            "error_type": key, "precision": _round(prf.precision), "recall": _round(prf.recall),
            "f1": _round(prf.f1), "judge_chars": prf.tp + prf.fp, "human_chars": prf.tp + prf.fn,
            "overlap_chars": prf.tp,
        })  # fmt: skip
    return rows


def calibration_report(
    *, judge: Judge, span_responses: Sequence[int] | None = None
) -> dict[str, Any]:
    """Compute the agreement report of ``judge`` (the JSON the API and the UI chart)."""
    machine = _latest_by_item(annotation_base_queryset().filter(judge=judge))
    humans: QuerySet[Annotation] = annotation_base_queryset().filter(
        project_id=judge.project_id,
        author__isnull=False,
        status__in=HUMAN_STATUSES,
        item_id__in=list(machine),
    )
    collector = _Collector(span_responses)
    for human in humans:
        collector.add(machine[human.item_id], human)
    criteria = judge.project.rubrics.filter(status="published").order_by("-version").first()
    levels = {c.key: c.level_values for c in criteria.criteria.all()} if criteria else {}
    rubric_rows = []
    for key, pairs in sorted(collector.rubric.items()):
        values = levels.get(key) or sorted({v for pair in pairs for v in pair})
        rubric_rows.append({
            "criterion": key, "n": len(pairs),
            "kappa_quadratic": _round(quadratic_weighted_kappa(pairs, values)),
            "spearman": _round(spearman(pairs)),
            "mean_abs_difference": _round(sum(abs(a - b) for a, b in pairs) / len(pairs)),
        })  # fmt: skip
    steps = collector.steps
    return {
        "judge": {
            "id": judge.pk,
            "name": judge.name,
            "kind": judge.kind,
            "model": judge.model_name,
        },
        "computed_at": timezone.now().isoformat(),
        "items_judged": len(machine),
        "items_compared": len(collector.items),
        "spans": {
            "responses_compared": collector.span_pairs,
            "by_error_type": _span_rows(collector.spans),
        },
        "steps": {
            "responses_compared": steps.responses,
            "steps_compared": steps.steps,
            "accuracy": _round(steps.accuracy),
            "first_error_agreement": _round(steps.first_error_agreement),
            "confusion": {"labels": [-1, 0, 1], "rows_human_cols_judge": collector.confusion},
            "by_error_type": [
                {
                    "error_type": key,
                    "human_negative_steps": n,
                    "judge_also_negative": hit,
                    "recall": _round(hit / n if n else None),
                }
                for key, (n, hit) in sorted(collector.step_types.items())
            ],
        },
        "rubric": {"by_criterion": rubric_rows},
        "preferences": {
            "n": len(collector.preferences),
            "sign_agreement": _round(preference_sign_agreement(collector.preferences)),
        },
    }


def judge_calibration_compute(
    *, judge: Judge, created_by: Any = None, span_responses: Sequence[int] | None = None
) -> JudgeCalibration:
    """Compute and store a calibration report for ``judge``; earlier reports are kept."""
    report = calibration_report(judge=judge, span_responses=span_responses)
    return JudgeCalibration.objects.create(
        judge=judge, items_compared=report["items_compared"], report=report, created_by=created_by
    )
