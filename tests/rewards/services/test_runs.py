"""Reward models and runs: validation, request, claim, heartbeat, requeue, refresh policy."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from core.exceptions import ApplicationError
from rewards.models import TrainingRun
from rewards.services import runs
from rewards.services.runs import (
    reward_model_create,
    reward_models_refresh,
    training_run_claim,
    training_run_heartbeat,
    training_run_request,
    training_runs_requeue_stalled,
)
from tests.rewards.conftest import TINY_HYPERPARAMETERS, label_items

pytestmark = pytest.mark.django_db
Status = TrainingRun.Status


def create(project: Any, admin: Any, backbone: Path, **extra: Any) -> Any:
    return reward_model_create(project=project, created_by=admin, name=extra.pop("name", "rm"),
                               kind=extra.pop("kind", "span"), backbone=str(backbone),
                               hyperparameters=extra.pop("hyperparameters", TINY_HYPERPARAMETERS),
                               **extra)  # fmt: skip


def test_span_models_default_to_the_papers_groups_within_the_taxonomy(
    project: Any, admin_user: Any, allow_backbones: Path
) -> None:
    model = create(project, admin_user, allow_backbones)
    config = runs.reward_model_config(project=project, kind="span", mode=model.mode,
                                      backbone=model.backbone, hyperparameters={})  # fmt: skip
    assert [(c.name, c.error_types, c.segmentation) for c in config.categories] == [
        ("relevance", ("irrelevant",), "subsentence"),
        ("factuality", ("wrong-grounding",), "sentence"),
    ]
    assert model.snapshot_filters["authors"] == "humans"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"hyperparameters": {"learning_rat": 0.1}}, "hyperparameters.learning_rat"),
        ({"hyperparameters": {"num_train_epochs": 0}}, "hyperparameters.num_train_epochs"),
        ({"hyperparameters": {"feature_cache_dir": "/etc"}}, "hyperparameters.feature_cache_dir"),
        ({"backbone": "bert-base-uncased"}, "backbone"),
        ({"backbone": "/etc"}, "backbone"),
        ({"snapshot_filters": {"statuses": ["nope"]}}, "filters.statuses"),
    ],
)
def test_create_rejects_bad_settings_naming_the_field(
    project: Any, admin_user: Any, allow_backbones: Path, changes: dict, field: str
) -> None:
    values = {"hyperparameters": TINY_HYPERPARAMETERS, "backbone": str(allow_backbones), **changes}
    with pytest.raises(ApplicationError) as info:
        reward_model_create(project=project, created_by=admin_user, name="rm", kind="span",
                            **values)  # fmt: skip
    assert info.value.field == field


def test_request_pins_config_and_snapshot_and_enqueues_on_commit(
    project: Any, admin_user: Any, allow_backbones: Path, django_capture_on_commit_callbacks: Any
) -> None:
    model = create(project, admin_user, allow_backbones)
    with django_capture_on_commit_callbacks() as callbacks:
        run = training_run_request(reward_model=model, created_by=admin_user)
    assert len(callbacks) == 1
    assert run.status == Status.QUEUED
    assert run.config["num_train_epochs"] == 3
    assert run.config["model_name_or_path"] == str(allow_backbones)
    assert run.snapshot.project_id == project.pk
    assert run.snapshot.sha256 == ""  # built by the training task itself
    with pytest.raises(ApplicationError, match="queued or running"):
        training_run_request(reward_model=model)


def test_claim_takes_queued_runs_and_silent_ones_up_to_max_attempts(
    project: Any, admin_user: Any, allow_backbones: Path
) -> None:
    run = training_run_request(reward_model=create(project, admin_user, allow_backbones),
                               enqueue=False)  # fmt: skip
    first = training_run_claim(run_id=run.pk, worker="w1")
    assert first is not None
    assert (first.status, first.attempts, first.worker) == (Status.RUNNING, 1, "w1")
    assert training_run_claim(run_id=run.pk, worker="w2") is None  # fresh heartbeat
    assert training_run_heartbeat(run=first, fields={"step": 3}, force=True)
    stale = timezone.now() - runs.STALE_AFTER - timedelta(seconds=1)
    TrainingRun.objects.filter(pk=run.pk).update(heartbeat_at=stale)
    second = training_run_claim(run_id=run.pk, worker="w2")
    assert second is not None
    assert (second.attempts, second.worker, second.step) == (2, "w2", 3)
    assert not training_run_heartbeat(run=first, fields={"step": 4}, force=True)  # fenced off
    TrainingRun.objects.filter(pk=run.pk).update(heartbeat_at=stale, attempts=3)
    assert training_run_claim(run_id=run.pk, worker="w3") is None
    run.refresh_from_db()
    assert run.status == Status.FAILED
    assert "Gave up after 3 attempts" in run.error


def test_requeue_sends_silent_runs_back_to_the_queue_then_gives_up(
    project: Any, admin_user: Any, allow_backbones: Path, django_capture_on_commit_callbacks: Any
) -> None:
    run = training_run_request(reward_model=create(project, admin_user, allow_backbones),
                               enqueue=False)  # fmt: skip
    training_run_claim(run_id=run.pk, worker="w1")
    assert training_runs_requeue_stalled() == []  # its heartbeat is fresh
    with django_capture_on_commit_callbacks() as callbacks:
        assert training_runs_requeue_stalled(stale_after=timedelta(0)) == [run.pk]
    assert len(callbacks) == 1
    run.refresh_from_db()
    assert run.status == Status.QUEUED
    TrainingRun.objects.filter(pk=run.pk).update(status=Status.RUNNING, attempts=3)
    assert training_runs_requeue_stalled(stale_after=timedelta(0)) == []
    run.refresh_from_db()
    assert run.status == Status.FAILED


def test_refresh_policy_counts_new_submitted_annotations_and_the_schedule(
    project: Any, admin_user: Any, annotator_user: Any, allow_backbones: Path, media_root: Path
) -> None:
    model = create(project, admin_user, allow_backbones, refresh_every_annotations=3)
    scheduled = create(project, admin_user, allow_backbones, name="nightly",
                       refresh_interval_minutes=60)  # fmt: skip
    assert reward_models_refresh() == []
    label_items(project, annotator_user, count=2)
    requested = reward_models_refresh()
    assert [(r.reward_model_id, r.trigger) for r in requested] == [(scheduled.pk, "schedule")]
    label_items(project, annotator_user, count=1, prefix="more")
    [run] = reward_models_refresh()
    assert (run.reward_model_id, run.trigger) == (model.pk, "annotations")
    model.refresh_from_db()
    assert model.annotations_at_last_run == 3
    assert reward_models_refresh() == []  # runs are queued; nothing new either
