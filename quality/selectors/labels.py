"""One read of a project's labels into plain tuples, for agreement, consistency and gold checks.

Six ``values_list`` queries (annotations, responses, spans, steps, rubric scores, preferences);
no model instances, so a project of thousands of items loads in well under a second.

What is read:
- human annotations that are submitted or accepted;
- judge annotations that are submitted or accepted, the latest per (judge, item);
- not the consensus judge's annotations (they are derived from the others; the review view
  reads them separately).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Max
from django.db.models.functions import Length

from annotator.models import (
    Annotation,
    PreferenceJudgment,
    Project,
    Response,
    RubricScore,
    SpanLabel,
    StepLabel,
)
from annotator.selectors.taxonomy import rubric_published_latest, taxonomy_published_latest

COUNTED = (Annotation.Status.SUBMITTED, Annotation.Status.ACCEPTED)


@dataclass(frozen=True)
class AnnotationInfo:
    id: int
    item_id: int
    coder: str  # "user:<id>" or "judge:<id>"
    is_human: bool
    status: str
    created_at: datetime
    submitted_at: datetime | None
    time_spent_ms: int
    # Response indices the annotation says it labelled (None: a human labels every response).
    labelled: frozenset[int] | None


@dataclass(frozen=True)
class ResponseInfo:
    id: int
    item_id: int
    index: int
    kind: str
    length: int  # code points of the text; number of steps for a steps response


@dataclass
class LabelSet:
    annotations: dict[int, AnnotationInfo] = field(default_factory=dict)
    responses: dict[int, ResponseInfo] = field(default_factory=dict)
    item_responses: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    # annotation id -> units
    spans: dict[int, list[tuple[int, int, int, str, int | None]]] = field(
        default_factory=lambda: defaultdict(list)
    )  # (response id, start, end, error type, severity)
    steps: dict[int, list[tuple[int, int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )  # (response id, step index, rating)
    rubric: dict[int, list[tuple[int, str, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )  # (response id, criterion, score)
    preferences: dict[int, list[tuple[int, int, int, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )  # (response a id, response b id, value, criterion or "")
    coder_names: dict[str, str] = field(default_factory=dict)
    # Published vocabularies: criterion -> levels; error type -> number of severity levels.
    criterion_levels: dict[str, list[int]] = field(default_factory=dict)
    severity_levels: dict[str, int] = field(default_factory=dict)
    labels_changed_at: datetime | None = None

    def by_item(self) -> dict[int, list[AnnotationInfo]]:
        out: dict[int, list[AnnotationInfo]] = defaultdict(list)
        for info in self.annotations.values():
            out[info.item_id].append(info)
        return out


def _labelled(metadata: Any, is_human: bool) -> frozenset[int] | None:
    if not isinstance(metadata, dict):
        return None
    listed = metadata.get("labelled_responses")
    if listed is None and not is_human and metadata.get("task") == "spans":
        listed = metadata.get("responses")
    if isinstance(listed, list):
        return frozenset(i for i in listed if isinstance(i, int) and not isinstance(i, bool))
    return None


# Drafts are not labels: autosaves bump a draft's ``updated_at`` every few seconds while
# someone annotates, and counting them would make a recompute due (and the dashboard say
# "labels changed since") all day. A draft's submission is a change (status and time), and so
# is a rejection (a counted annotation stops counting), so only drafts are left out. Written
# as the statuses kept, not as a negation, so that it also reads right across a relation
# (``annotations__status__in``), where a negated lookup would exclude whole projects.
LABEL_STATUSES = tuple(s for s in Annotation.Status.values if s != Annotation.Status.DRAFT)


def project_labels_changed_at(*, project: Project) -> datetime | None:
    """When the labels of ``project`` last changed: the latest ``updated_at`` of its
    annotations that are not drafts (None when it has none)."""
    changes = Annotation.objects.filter(project=project, status__in=LABEL_STATUSES)
    found: datetime | None = changes.aggregate(at=Max("updated_at"))["at"]
    return found


def project_labels_load(
    *, project: Project, exclude_judge_ids: set[int] | None = None, item_ids: Any = None
) -> LabelSet:
    """Read the labels of ``project`` (see the module docstring); ``item_ids`` narrows it."""
    labels = LabelSet()
    qs = Annotation.objects.filter(project=project, status__in=COUNTED)
    if item_ids is not None:
        qs = qs.filter(item_id__in=item_ids)
    if exclude_judge_ids:
        qs = qs.exclude(judge_id__in=exclude_judge_ids)
    labels.labels_changed_at = project_labels_changed_at(project=project)
    rows = qs.values_list(
        "id", "item_id", "author_id", "judge_id", "status", "created_at", "submitted_at",
        "time_spent_ms", "metadata", "author__username", "judge__name",
    ).order_by("id")  # fmt: skip
    latest_machine: dict[tuple[int, int], int] = {}
    for (pk, item_id, author_id, judge_id, status, created, submitted, spent, metadata,
         username, judge_name) in rows:  # fmt: skip
        human = author_id is not None
        coder = f"user:{author_id}" if human else f"judge:{judge_id}"
        labels.coder_names[coder] = username if human else f"judge:{judge_name}"
        info = AnnotationInfo(
            pk, item_id, coder, human, status, created, submitted, spent or 0,
            _labelled(metadata, human),
        )  # fmt: skip
        if not human:
            previous = latest_machine.get((judge_id, item_id))
            if previous is not None:
                del labels.annotations[previous]  # ordered by id: the later one wins
            latest_machine[(judge_id, item_id)] = pk
        labels.annotations[pk] = info
    items = {info.item_id for info in labels.annotations.values()}
    _load_responses(labels, items)
    _load_units(labels, qs)
    _load_vocabularies(labels, project)
    return labels


def _load_responses(labels: LabelSet, items: set[int]) -> None:
    rows = (
        Response.objects.filter(item_id__in=items)
        .annotate(text_length=Length("text"))
        .values_list("id", "item_id", "index", "kind", "text_length", "steps")
        .order_by("item_id", "index")
    )
    for pk, item_id, index, kind, text_length, steps in rows:
        size = len(steps or []) if kind == Response.Kind.STEPS else int(text_length or 0)
        labels.responses[pk] = ResponseInfo(pk, item_id, index, kind, size)
        labels.item_responses[item_id].append(pk)


def _load_units(labels: LabelSet, annotations: Any) -> None:
    wanted = labels.annotations
    ids = annotations.values("id")
    for a, r, start, end, key, severity in SpanLabel.objects.filter(
        annotation_id__in=ids
    ).values_list("annotation_id", "response_id", "start", "end", "error_type__key", "severity"):
        if a in wanted:
            labels.spans[a].append((r, start, end, key, severity))
    for a, r, index, rating in StepLabel.objects.filter(annotation_id__in=ids).values_list(
        "annotation_id", "response_id", "step_index", "rating"
    ):
        if a in wanted:
            labels.steps[a].append((r, index, rating))
    for a, r, key, score in RubricScore.objects.filter(annotation_id__in=ids).values_list(
        "annotation_id", "response_id", "criterion__key", "score"
    ):
        if a in wanted:
            labels.rubric[a].append((r, key, score))
    for a, ra, rb, value, key in PreferenceJudgment.objects.filter(
        annotation_id__in=ids
    ).values_list("annotation_id", "response_a_id", "response_b_id", "value", "criterion__key"):
        if a in wanted:
            labels.preferences[a].append((ra, rb, value, key or ""))


def _load_vocabularies(labels: LabelSet, project: Project) -> None:
    rubric = rubric_published_latest(project=project)
    if rubric is not None:
        for criterion in rubric.criteria.all():
            labels.criterion_levels[criterion.key] = sorted(criterion.level_values)
    taxonomy = taxonomy_published_latest(project=project)
    if taxonomy is not None:
        for error_type in taxonomy.error_types.all():
            labels.severity_levels[error_type.key] = len(error_type.severity_levels or [])
