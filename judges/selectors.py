"""Reads of judges, runs, results, templates and calibrations, always scoped by project."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from annotator.models import Annotation, Item, Judge, Project
from annotator.selectors.items import item_list
from judges.models import JudgeCalibration, JudgeResult, JudgeRun, PromptTemplate
from rewards.models import RewardModel

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class JudgeListAnnotations(TypedDict):
    last_run_id: int | None
    suggestions_of: int | None


if TYPE_CHECKING:
    AnnotatedJudge = WithAnnotations[Judge, JudgeListAnnotations]
else:  # resolvable at run time (drf-spectacular reads serializer method hints)
    AnnotatedJudge = Judge


def judge_list(*, project: Project) -> QuerySet[AnnotatedJudge]:
    """Judges with ``last_run_id`` (their newest run) and ``suggestions_of`` (the reward model
    whose suggestions the judge carries, if any) annotated."""
    newest_run = JudgeRun.objects.filter(judge=OuterRef("pk")).order_by("-id").values("pk")[:1]
    carried = RewardModel.objects.filter(judge=OuterRef("pk")).values("pk")[:1]
    return (
        Judge.objects.filter(project=project)
        .select_related("configuration")
        .annotate(last_run_id=Subquery(newest_run), suggestions_of=Subquery(carried))
        .order_by("id")
    )


def runs_by_id(ids: list[int | None]) -> dict[int, JudgeRun]:
    wanted = [pk for pk in ids if pk is not None]
    return {
        run.pk: run
        for run in JudgeRun.objects.filter(pk__in=wanted).select_related("judge", "created_by")
    }


def judge_get(*, project: Project, judge_id: int) -> AnnotatedJudge:
    return judge_list(project=project).get(pk=judge_id)


def run_list(*, project: Project, judge: Judge | None = None) -> QuerySet[JudgeRun]:
    qs = JudgeRun.objects.filter(project=project).select_related("judge", "created_by")
    return qs.filter(judge=judge) if judge is not None else qs


def result_list(*, run: JudgeRun, status: str | None = None) -> QuerySet[JudgeResult]:
    qs = JudgeResult.objects.filter(run=run).select_related("item")
    return qs.filter(status=status) if status else qs


def template_list(*, project: Project) -> QuerySet[PromptTemplate]:
    return PromptTemplate.objects.filter(project=project).order_by("name", "version")


def calibration_latest(*, judge: Judge) -> JudgeCalibration | None:
    return JudgeCalibration.objects.filter(judge=judge).order_by("-created_at", "-id").first()


def run_items(run: JudgeRun) -> QuerySet[Item]:
    """The items ``run`` judges (its filters, up to ``item_id_max`` once started), with
    responses prefetched. Items already judged by this run are excluded, so a resumed run
    carries on where it stopped."""
    filters: dict[str, Any] = run.filters or {}
    qs = item_list(
        project=run.project,
        filters={
            "external_id": filters.get("external_ids"),
            "is_gold": filters.get("is_gold"),
            "min_annotations": filters.get("min_annotations"),
            "max_annotations": filters.get("max_annotations"),
            "annotated_by": filters.get("annotated_by"),
            "search": filters.get("search"),
        },
    )
    if filters.get("item_ids"):
        qs = qs.filter(pk__in=filters["item_ids"])
    if filters.get("unjudged_only"):
        qs = qs.exclude(Exists(Annotation.objects.filter(item=OuterRef("pk"), judge=run.judge_id)))
    if run.item_id_max is not None:
        qs = qs.filter(pk__lte=run.item_id_max)
    if run.pk:
        qs = qs.exclude(Exists(JudgeResult.objects.filter(run=run, item=OuterRef("pk"))))
    return qs.order_by("pk")
