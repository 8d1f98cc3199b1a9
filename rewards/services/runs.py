"""Reward models and training runs: create, request, claim, heartbeat, finish, requeue.

Torch-free: the API and beat import this module (STYLE rule 34). The worker side of a run
is ``rewards.services.execution``.

Life of a run: ``training_run_request`` pins the config, creates a snapshot request (built
by the training task itself, so the run reads exactly that snapshot's records) and the
QUEUED run, and enqueues ``rewards.training_run_execute`` on commit. The task claims the row
(QUEUED → RUNNING, or takes over a RUNNING row whose heartbeat is older than
``STALE_AFTER``), trains with a heartbeat per logged step, and finishes SUCCEEDED or FAILED.
Beat requeues RUNNING rows whose heartbeat went silent (a killed worker) back to QUEUED,
up to ``max_attempts`` claims, then marks them FAILED; the next claim resumes from the
run's checkpoint.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotator.models import Annotation, Project
from annotator.selectors.taxonomy import rubric_published_latest, taxonomy_published_latest
from core.exceptions import ApplicationError
from rewards.models import RewardModel, TrainingRun
from rewards.tasks import training_run_execute as training_run_execute_task
from rewards.training.config import (
    ALLOWED_BASE_MODELS,
    FGRLHF_CATEGORIES,
    ConfigError,
    TrainConfig,
)
from snapshots.models import DatasetSnapshot
from snapshots.services.snapshots import code_version, snapshot_create, snapshot_filters_normalise

Status = TrainingRun.Status
STALE_AFTER = timedelta(seconds=int(os.environ.get("FINEGRAIN_TRAINING_STALE_S", "120")))
HEARTBEAT_EVERY = timedelta(seconds=1)
MAX_ATTEMPTS = 3
LOG_TAIL_CHARS = 4000
# Settings the server controls: a client never picks where files go or what the kind is.
SERVER_FIELDS = ("kind", "mode", "model_name_or_path", "feature_cache_dir")
DEFAULT_FILTERS = {"authors": "humans"}


def backbone_dirs() -> list[Path]:
    """Folders local backbones may be loaded from (``FINEGRAIN_REWARD_BACKBONE_DIRS``,
    comma-separated; default ``var/models``)."""
    raw = os.environ.get("FINEGRAIN_REWARD_BACKBONE_DIRS") or str(settings.VAR_DIR / "models")
    return [Path(p.strip()).resolve() for p in raw.split(",") if p.strip()]


def backbone_validate(backbone: str) -> str:
    """A package alias (``minilm``) or an existing folder inside ``backbone_dirs()``."""
    if backbone in ALLOWED_BASE_MODELS:
        return backbone
    path = Path(backbone)
    if not path.is_absolute():
        raise ApplicationError(
            f"Use {', '.join(sorted(ALLOWED_BASE_MODELS))} or an absolute folder path.",
            field="backbone",
        )
    resolved = path.resolve()
    if not any(resolved.is_relative_to(d) for d in backbone_dirs()):
        raise ApplicationError(
            "The folder is not inside FINEGRAIN_REWARD_BACKBONE_DIRS.", field="backbone"
        )
    if not (resolved / "config.json").is_file():
        raise ApplicationError("No Hugging Face checkpoint (config.json) there.", field="backbone")
    return str(resolved)


def _default_categories(project: Project) -> list[dict[str, Any]]:
    """The paper's relevance/factuality groups restricted to the project's span error types;
    without any of those, one ``errors`` group of every span error type, on sentences."""
    taxonomy = taxonomy_published_latest(project=project)
    span_types = []
    if taxonomy is not None:
        span_types = [
            e.key for e in taxonomy.error_types.all() if not e.unit_kinds or "span" in e.unit_kinds
        ]
    groups = []
    for category in FGRLHF_CATEGORIES:
        types = [t for t in category.error_types if t in span_types]
        if types:
            groups.append(
                {
                    "name": category.name,
                    "error_types": types,
                    "segmentation": category.segmentation,
                    "use_context": category.use_context,
                }
            )
    if not groups and span_types:
        groups = [
            {
                "name": "errors",
                "error_types": span_types,
                "segmentation": "sentence",
                "use_context": False,
            }
        ]
    return groups


def _default_criteria(project: Project) -> list[list[Any]]:
    rubric = rubric_published_latest(project=project)
    if rubric is None:
        return []
    ranges = []
    for criterion in rubric.criteria.all():
        values = criterion.level_values
        if len(values) >= 2:
            ranges.append([criterion.key, min(values), max(values)])
    return ranges


def reward_model_config(
    *, project: Project, kind: str, mode: str, backbone: str, hyperparameters: Mapping[str, Any]
) -> TrainConfig:
    """The TrainConfig a reward model trains with; raises ApplicationError naming the field."""
    for name in SERVER_FIELDS:
        if name in hyperparameters:
            raise ApplicationError("Set by the server.", field=f"hyperparameters.{name}")
    data: dict[str, Any] = {
        **hyperparameters,
        "kind": kind,
        "mode": mode,
        "model_name_or_path": backbone,
    }
    if kind == "span" and "categories" not in data:
        data["categories"] = _default_categories(project)
        if not data["categories"]:
            raise ApplicationError(
                "The project's taxonomy has no span error types to train on.", field="kind"
            )
    if kind == "rubric" and "criterion_ranges" not in data:
        data["criterion_ranges"] = _default_criteria(project)
    try:
        return TrainConfig.from_dict(data)
    except ConfigError as exc:
        where = exc.field if exc.field in ("kind", "mode") else f"hyperparameters.{exc.field}"
        raise ApplicationError(exc.message, field=where) from None


def reward_model_create(
    *,
    project: Project,
    created_by: Any,
    name: str,
    kind: str,
    mode: str = RewardModel.Mode.FAST,
    backbone: str = "minilm",
    hyperparameters: Mapping[str, Any] | None = None,
    snapshot_filters: Mapping[str, Any] | None = None,
    refresh_every_annotations: int | None = None,
    refresh_interval_minutes: int | None = None,
    suggestions_enabled: bool = True,
) -> RewardModel:
    """Register a reward model; validates its config, backbone and snapshot filters."""
    backbone = backbone_validate(backbone)
    hyperparameters = dict(hyperparameters or {})
    reward_model_config(
        project=project, kind=kind, mode=mode, backbone=backbone, hyperparameters=hyperparameters
    )
    filters = snapshot_filters_normalise(
        project=project, filters=snapshot_filters or DEFAULT_FILTERS
    )
    model = RewardModel(
        project=project,
        name=name,
        kind=kind,
        mode=mode,
        backbone=backbone,
        hyperparameters=hyperparameters,
        snapshot_filters=filters,
        refresh_every_annotations=refresh_every_annotations,
        refresh_interval_minutes=refresh_interval_minutes,
        suggestions_enabled=suggestions_enabled,
        created_by=created_by,
        annotations_at_last_run=0,
    )
    model.full_clean(validate_unique=False, validate_constraints=False)
    try:
        model.save()
    except IntegrityError:
        raise ApplicationError(f"A reward model named {name!r} exists.", field="name") from None
    return model


def reward_model_update(*, reward_model: RewardModel, data: Mapping[str, Any]) -> RewardModel:
    """Change the refresh policy, hyper-parameters, backbone, mode or suggestions switch.
    Runs already requested keep the config they pinned."""
    allowed = {
        "hyperparameters",
        "refresh_every_annotations",
        "refresh_interval_minutes",
        "suggestions_enabled",
        "backbone",
        "mode",
        "snapshot_filters",
        "name",
    }
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ApplicationError("Cannot be changed.", field=unknown[0])
    values = dict(data)
    if "backbone" in values:
        values["backbone"] = backbone_validate(values["backbone"])
    if "snapshot_filters" in values:
        values["snapshot_filters"] = snapshot_filters_normalise(
            project=reward_model.project, filters=values["snapshot_filters"] or DEFAULT_FILTERS
        )
    merged = {f: values.get(f, getattr(reward_model, f)) for f in ("mode", "backbone")}
    reward_model_config(
        project=reward_model.project,
        kind=reward_model.kind,
        mode=merged["mode"],
        backbone=merged["backbone"],
        hyperparameters=values.get("hyperparameters", reward_model.hyperparameters),
    )
    for name, value in values.items():
        setattr(reward_model, name, value)
    reward_model.full_clean(validate_unique=False, validate_constraints=False)
    try:
        reward_model.save()
    except IntegrityError:
        raise ApplicationError("A reward model with this name exists.", field="name") from None
    return reward_model


def submitted_annotation_count(project: Project) -> int:
    """Submitted or accepted human annotations: what a refresh policy counts."""
    return Annotation.objects.filter(
        project=project,
        author__isnull=False,
        status__in=[Annotation.Status.SUBMITTED, Annotation.Status.ACCEPTED],
    ).count()


def training_run_request(
    *,
    reward_model: RewardModel,
    created_by: Any = None,
    snapshot: DatasetSnapshot | None = None,
    trigger: str = TrainingRun.Trigger.MANUAL,
    config_overrides: Mapping[str, Any] | None = None,
    enqueue: bool = True,
) -> TrainingRun:
    """Queue a training run of ``reward_model`` and enqueue its task on commit.

    Without ``snapshot`` a new snapshot of the model's filters is requested; the training
    task builds it, so the run reads the records of the moment it starts. Raises
    ApplicationError if a run of this model is queued or running.
    """
    project = reward_model.project
    if snapshot is not None and snapshot.project_id != project.pk:
        raise ApplicationError("No such snapshot in this project.", field="snapshot")
    hyperparameters = {**reward_model.hyperparameters, **(config_overrides or {})}
    config = reward_model_config(
        project=project,
        kind=reward_model.kind,
        mode=reward_model.mode,
        backbone=reward_model.backbone,
        hyperparameters=hyperparameters,
    )
    with transaction.atomic():
        locked = RewardModel.objects.select_for_update().get(pk=reward_model.pk)
        if TrainingRun.objects.filter(
            reward_model=locked, status__in=[Status.QUEUED, Status.RUNNING]
        ).exists():
            raise ApplicationError("A run of this reward model is queued or running.")
        if snapshot is None:
            snapshot = snapshot_create(
                project=project,
                created_by=created_by,
                filters=locked.snapshot_filters,
                name=f"training: {locked.name}",
                enqueue=False,
            )
        run = TrainingRun.objects.create(
            project=project,
            reward_model=locked,
            snapshot=snapshot,
            trigger=trigger,
            config=config.to_dict(),
            code_version=code_version(),
            created_by=created_by,
            max_attempts=MAX_ATTEMPTS,
        )
        locked.annotations_at_last_run = submitted_annotation_count(project)
        locked.last_run_requested_at = timezone.now()
        locked.save(
            update_fields=["annotations_at_last_run", "last_run_requested_at", "updated_at"]
        )
        if enqueue:
            training_run_execute_task.delay_on_commit(run.pk)
    return run


def _stale(run: TrainingRun, now: datetime) -> bool:
    return run.status == Status.RUNNING and (
        run.heartbeat_at is None or run.heartbeat_at < now - STALE_AFTER
    )


def _append_log(current: str, line: str) -> str:
    stamp = timezone.now().strftime("%H:%M:%S")
    return (current + f"{stamp} {line}\n")[-LOG_TAIL_CHARS:]


def training_run_claim(*, run_id: int, worker: str) -> TrainingRun | None:
    """Claim a run for ``worker`` under a row lock: QUEUED → RUNNING, or take over a RUNNING
    row whose heartbeat is stale. Returns None if the run is not claimable (finished, or
    running with a fresh heartbeat) or gave up: a claim beyond ``max_attempts`` marks it
    FAILED."""
    now = timezone.now()
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or not (run.status == Status.QUEUED or _stale(run, now)):
            return None
        if run.attempts >= run.max_attempts:
            run.status = Status.FAILED
            run.error = f"Gave up after {run.attempts} attempts (the worker stopped answering)."
            run.finished_at = now
            run.log_tail = _append_log(run.log_tail, run.error)
            run.save(update_fields=["status", "error", "finished_at", "log_tail", "updated_at"])
            return None
        takeover = run.status == Status.RUNNING
        run.status = Status.RUNNING
        run.attempts += 1
        run.worker = worker
        run.heartbeat_at = now
        run.started_at = run.started_at or now
        note = "took over a silent run" if takeover else "claimed"
        run.log_tail = _append_log(run.log_tail, f"attempt {run.attempts}: {note} by {worker}")
        run.save(
            update_fields=[
                "status",
                "attempts",
                "worker",
                "heartbeat_at",
                "started_at",
                "log_tail",
                "updated_at",
            ]
        )
    return run


def training_run_heartbeat(
    *, run: TrainingRun, fields: Mapping[str, Any], log: str = "", force: bool = False
) -> bool:
    """Record progress and the heartbeat, at most once per ``HEARTBEAT_EVERY`` unless
    ``force``. Returns False when the row is no longer this worker's (another worker took it
    over): the caller must stop."""
    now = timezone.now()
    last = getattr(run, "_last_beat", None)
    if not force and not log and last is not None and now - last < HEARTBEAT_EVERY:
        return True
    values = dict(fields)
    if log:
        run.log_tail = _append_log(run.log_tail, log)
        values["log_tail"] = run.log_tail
    updated = TrainingRun.objects.filter(
        pk=run.pk, status=Status.RUNNING, worker=run.worker, attempts=run.attempts
    ).update(heartbeat_at=now, updated_at=now, **values)
    run._last_beat = now  # type: ignore[attr-defined]
    return bool(updated)


def training_run_finish(
    *, run: TrainingRun, status: str, error: str = "", fields: Mapping[str, Any] | None = None
) -> TrainingRun:
    """Mark the run SUCCEEDED or FAILED (only if still this worker's)."""
    now = timezone.now()
    values = dict(fields or {})
    line = f"{status}" + (f": {error.splitlines()[-1] if error else ''}" if error else "")
    run.log_tail = _append_log(run.log_tail, line)
    TrainingRun.objects.filter(pk=run.pk, worker=run.worker, attempts=run.attempts).update(
        status=status,
        error=error[-4000:],
        finished_at=now,
        heartbeat_at=now,
        updated_at=now,
        log_tail=run.log_tail,
        **values,
    )
    run.refresh_from_db()
    return run


def training_runs_requeue_stalled(*, stale_after: timedelta | None = None) -> list[int]:
    """Beat: RUNNING runs whose heartbeat is older than ``stale_after`` go back to QUEUED and
    are enqueued again (a killed worker's message is never redelivered), or to FAILED once
    they used ``max_attempts``. Returns the ids requeued."""
    threshold = timezone.now() - (STALE_AFTER if stale_after is None else stale_after)
    requeued = []
    candidates = TrainingRun.objects.filter(status=Status.RUNNING, heartbeat_at__lt=threshold)
    for run_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            run = TrainingRun.objects.select_for_update().get(pk=run_id)
            if run.status != Status.RUNNING or (run.heartbeat_at and run.heartbeat_at >= threshold):
                continue
            now = timezone.now()
            if run.attempts >= run.max_attempts:
                run.status = Status.FAILED
                run.error = f"Gave up after {run.attempts} attempts (the worker went silent)."
                run.finished_at = now
                run.log_tail = _append_log(run.log_tail, run.error)
                run.save(update_fields=["status", "error", "finished_at", "log_tail", "updated_at"])
                continue
            run.status = Status.QUEUED
            run.log_tail = _append_log(run.log_tail, "heartbeat went silent: requeued")
            run.save(update_fields=["status", "log_tail", "updated_at"])
            training_run_execute_task.delay_on_commit(run.pk)
            requeued.append(run.pk)
    return requeued


def reward_model_refresh_due(model: RewardModel, *, count: int, now: datetime) -> str | None:
    """The trigger of a due refresh, or None. Due when ``refresh_every_annotations`` new
    submitted annotations arrived, or when the schedule's interval passed and any label
    changed since the last run."""
    new = count - model.annotations_at_last_run
    if model.refresh_every_annotations and new >= model.refresh_every_annotations:
        return TrainingRun.Trigger.ANNOTATIONS
    if model.refresh_interval_minutes and new != 0:
        last = model.last_run_requested_at
        if last is None or now - last >= timedelta(minutes=model.refresh_interval_minutes):
            return TrainingRun.Trigger.SCHEDULE
    return None


def reward_models_refresh(*, now: datetime | None = None) -> list[TrainingRun]:
    """Beat: request a run for every reward model whose refresh policy is due and that has
    no run queued or running. Returns the runs requested."""
    now = now or timezone.now()
    runs = []
    models = RewardModel.objects.filter(
        refresh_every_annotations__isnull=False
    ) | RewardModel.objects.filter(refresh_interval_minutes__isnull=False)
    counts: dict[int, int] = {}
    for model in models.select_related("project").order_by("id"):
        if model.project_id not in counts:
            counts[model.project_id] = submitted_annotation_count(model.project)
        trigger = reward_model_refresh_due(model, count=counts[model.project_id], now=now)
        if trigger is None:
            continue
        try:
            runs.append(training_run_request(reward_model=model, trigger=trigger))
        except ApplicationError:
            continue  # a run is queued or running; the policy is checked again next beat
    return runs
