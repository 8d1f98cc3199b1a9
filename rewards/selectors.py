"""Reads of reward models, runs, versions, score jobs and triage; always scoped by project."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from annotator.models import Project
from rewards.models import RewardModel, RewardModelVersion, ScoreJob, TrainingRun, TriageEntry


def reward_model_list(*, project: Project) -> QuerySet[RewardModel]:
    return RewardModel.objects.filter(project=project).order_by("id")


def reward_model_get(*, project: Project, reward_model_id: int) -> RewardModel:
    """The reward model ``reward_model_id`` of ``project``; Http404 for any other id."""
    model = reward_model_list(project=project).filter(pk=reward_model_id).first()
    if model is None:
        raise Http404
    return model


def reward_model_get_active(*, reward_model: RewardModel) -> RewardModelVersion | None:
    return reward_model.versions.filter(is_active=True).first()


def training_run_list(
    *, project: Project, reward_model_id: int | None = None
) -> QuerySet[TrainingRun]:
    runs = TrainingRun.objects.filter(project=project).select_related("reward_model")
    if reward_model_id is not None:
        runs = runs.filter(reward_model_id=reward_model_id)
    return runs.order_by("id")


def training_run_get(*, project: Project, run_id: int) -> TrainingRun:
    run = training_run_list(project=project).filter(pk=run_id).first()
    if run is None:
        raise Http404
    return run


def version_list(*, reward_model: RewardModel) -> QuerySet[RewardModelVersion]:
    return reward_model.versions.select_related("run", "baseline_version").order_by("number")


def version_get(*, reward_model: RewardModel, version_id: int) -> RewardModelVersion:
    version = version_list(reward_model=reward_model).filter(pk=version_id).first()
    if version is None:
        raise Http404
    return version


def score_job_get(*, project: Project, job_id: int) -> ScoreJob:
    job = ScoreJob.objects.filter(project=project, pk=job_id).select_related("version").first()
    if job is None:
        raise Http404
    return job


def triage_list(*, reward_model: RewardModel) -> QuerySet[TriageEntry]:
    """The active version's triage rows, most disagreement first."""
    active = reward_model_get_active(reward_model=reward_model)
    if active is None:
        return TriageEntry.objects.none()
    return (
        TriageEntry.objects.filter(version=active)
        .select_related("item", "version")
        .order_by("-disagreement", "id")
    )
