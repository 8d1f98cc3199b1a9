"""The version registry: register a run's model, activate a version, roll back. Torch-free.

At most one version of a reward model is active (``reward_model_one_active_version``).
A newly registered version becomes active only when there is no active version or when
its held-out score beats the active version's score *on the same held-out items* (the
worker evaluates both; both figures are kept on the new version). A person may activate any
version, or roll back to the one active before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.exceptions import ApplicationError
from rewards.models import RewardModel, RewardModelVersion, TrainingRun
from rewards.tasks import reward_model_suggest as reward_model_suggest_task


def _activate(version: RewardModelVersion, reason: str) -> RewardModelVersion:
    """Must be called inside a transaction holding the reward model's row lock."""
    now = timezone.now()
    RewardModelVersion.objects.filter(
        reward_model_id=version.reward_model_id, is_active=True
    ).exclude(pk=version.pk).update(is_active=False, updated_at=now)
    version.is_active = True
    version.activated_at = now
    version.activation_reason = reason[:200]
    version.save(update_fields=["is_active", "activated_at", "activation_reason", "updated_at"])
    model = version.reward_model
    if model.suggestions_enabled and model.kind in (RewardModel.Kind.SPAN, RewardModel.Kind.STEP):
        reward_model_suggest_task.delay_on_commit(version.pk)
    return version


def reward_model_version_register(
    *,
    run: TrainingRun,
    artifact_path: str,
    metrics: Mapping[str, Any],
    score: float | None,
    baseline_version: RewardModelVersion | None,
    baseline_score: float | None,
) -> RewardModelVersion:
    """Register the model a succeeded run wrote; activate it if it beats the baseline.

    Idempotent per run (one version per run, a one-to-one column): a second call returns
    the version the first registered.
    """
    with transaction.atomic():
        model = RewardModel.objects.select_for_update().get(pk=run.reward_model_id)
        existing = RewardModelVersion.objects.filter(run=run).first()
        if existing is not None:
            return existing
        number = (model.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = RewardModelVersion.objects.create(
            reward_model=model,
            run=run,
            number=number,
            artifact_path=artifact_path,
            metrics=dict(metrics),
            primary_metric=str(metrics.get("primary_name", "")),
            score=score,
            baseline_version=baseline_version,
            baseline_score=baseline_score,
        )
        version.reward_model = model
        active = model.versions.filter(is_active=True).first()
        if active is None:
            return _activate(version, "first version")
        if active != baseline_version:
            # Someone activated another version while this run trained: compare with that one
            # only if it was evaluated; otherwise keep the person's choice.
            return version
        if score is not None and (baseline_score is None or score > baseline_score):
            return _activate(
                version,
                f"beat v{active.number} on the held-out split "
                f"({score:.4f} > {baseline_score or 0:.4f})",
            )
        return version


def reward_model_version_activate(
    *, version: RewardModelVersion, reason: str = "activated by a person"
) -> RewardModelVersion:
    with transaction.atomic():
        RewardModel.objects.select_for_update().get(pk=version.reward_model_id)
        version.refresh_from_db()
        return _activate(version, reason)


def reward_model_version_rollback(*, reward_model: RewardModel) -> RewardModelVersion:
    """Activate the version that was active before the current one."""
    with transaction.atomic():
        RewardModel.objects.select_for_update().get(pk=reward_model.pk)
        current = reward_model.versions.filter(is_active=True).first()
        previous = (
            reward_model.versions.filter(is_active=False, activated_at__isnull=False)
            .order_by("-activated_at")
            .first()
        )
        if current is None or previous is None:
            raise ApplicationError("There is no earlier active version to roll back to.")
        return _activate(previous, f"rolled back from v{current.number}")
