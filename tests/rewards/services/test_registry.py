"""The version registry: activation on a better held-out score, rollback, one active."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from core.exceptions import ApplicationError
from rewards.models import RewardModelVersion, TrainingRun
from rewards.services.registry import (
    reward_model_version_activate,
    reward_model_version_register,
    reward_model_version_rollback,
)
from rewards.services.runs import reward_model_create, training_run_request
from tests.rewards.conftest import TINY_HYPERPARAMETERS

pytestmark = pytest.mark.django_db


def finished_run(model: Any) -> TrainingRun:
    run = training_run_request(reward_model=model, enqueue=False)
    TrainingRun.objects.filter(pk=run.pk).update(status=TrainingRun.Status.SUCCEEDED)
    return run


def register(model: Any, score: float, baseline: Any = None, baseline_score: Any = None) -> Any:
    return reward_model_version_register(
        run=finished_run(model), artifact_path="x", metrics={"primary": score,
                                                             "primary_name": "mean error F1"},
        score=score, baseline_version=baseline, baseline_score=baseline_score,
    )  # fmt: skip


@pytest.fixture
def model(project: Any, admin_user: Any, allow_backbones: Path) -> Any:
    return reward_model_create(project=project, created_by=admin_user, name="rm", kind="span",
                               backbone=str(allow_backbones),
                               hyperparameters=TINY_HYPERPARAMETERS)  # fmt: skip


def test_a_version_is_activated_only_when_it_beats_the_active_one(model: Any) -> None:
    v1 = register(model, 0.5)
    assert v1.is_active
    assert v1.activation_reason == "first version"
    v2 = register(model, 0.4, baseline=v1, baseline_score=0.45)
    v2.refresh_from_db()
    assert not v2.is_active
    assert (v2.score, v2.baseline_score, v2.baseline_version_id) == (0.4, 0.45, v1.pk)
    v3 = register(model, 0.6, baseline=v1, baseline_score=0.45)
    assert v3.is_active
    assert "beat v1" in v3.activation_reason
    assert list(model.versions.filter(is_active=True)) == [v3]
    assert [v.number for v in model.versions.order_by("number")] == [1, 2, 3]


def test_registering_a_run_twice_returns_its_one_version(model: Any) -> None:
    run = finished_run(model)
    kwargs = {"artifact_path": "x", "metrics": {}, "score": 0.1, "baseline_version": None,
              "baseline_score": None}  # fmt: skip
    first = reward_model_version_register(run=run, **kwargs)
    again = reward_model_version_register(run=run, **kwargs)
    assert first.pk == again.pk
    assert model.versions.count() == 1


def test_activate_and_roll_back(model: Any) -> None:
    v1 = register(model, 0.5)
    v2 = register(model, 0.6, baseline=v1, baseline_score=0.5)
    assert v2.is_active
    back = reward_model_version_rollback(reward_model=model)
    assert back.pk == v1.pk
    assert back.is_active
    assert back.activation_reason == "rolled back from v2"
    again = reward_model_version_activate(version=RewardModelVersion.objects.get(pk=v2.pk))
    assert again.is_active
    assert list(model.versions.filter(is_active=True)) == [again]


def test_rollback_needs_an_earlier_active_version(model: Any) -> None:
    register(model, 0.5)
    with pytest.raises(ApplicationError, match="no earlier active version"):
        reward_model_version_rollback(reward_model=model)


def test_the_database_allows_one_active_version_per_model(model: Any) -> None:
    register(model, 0.5)
    v2 = register(model, 0.4, baseline=model.versions.get(number=1), baseline_score=0.5)
    with pytest.raises(IntegrityError), transaction.atomic():
        RewardModelVersion.objects.filter(pk=v2.pk).update(is_active=True)
