"""Judges and their configuration: create and update, validated against the allowlist, the
checkpoint folders, the project's taxonomy and its reward models."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from annotator.models import Judge, Project
from annotator.selectors.taxonomy import taxonomy_catalog, taxonomy_published_latest
from core.exceptions import ApplicationError
from core.outbound import BlockedDestination, OutboundPolicy
from judges.kinds import allowed_hosts, checkpoint_allowed, config_validate
from judges.models import JudgeConfiguration, JudgeTask, ProjectJudgePolicy
from rewards.models import RewardModel, RewardModelVersion
from rewards.selectors import reward_model_get_active, reward_model_list

Kind = Judge.Kind
# The judge task each reward model kind can do (rubric and preference models mark nothing).
TASK_BY_REWARD_MODEL_KIND = {
    RewardModel.Kind.SPAN: JudgeTask.SPANS,
    RewardModel.Kind.STEP: JudgeTask.STEPS,
}


def project_allowed_hosts(*, project: Project) -> frozenset[str]:
    """FINEGRAIN_JUDGE_ALLOWED_HOSTS plus the project's judge policy (admin-only)."""
    policy = ProjectJudgePolicy.objects.filter(project=project).first()
    return allowed_hosts(policy.allowed_hosts if policy else [])


def _reward_model_error(message: str) -> ApplicationError:
    return ApplicationError(f"config.reward_model: {message}", field="config.reward_model")


def judge_reward_model(*, project: Project, config: Mapping[str, Any]) -> RewardModel:
    """The span or step reward model a ``reward_model`` judge's ``config`` names.

    Raises ApplicationError naming ``config.reward_model`` when no reward model of
    ``project`` has that id (another project's id reads as missing) or it is a rubric or
    preference model.
    """
    model = reward_model_list(project=project).filter(pk=config["reward_model"]).first()
    if model is None:
        raise _reward_model_error(f"No reward model {config['reward_model']} in this project.")
    if model.kind not in TASK_BY_REWARD_MODEL_KIND:
        raise _reward_model_error(
            f"{model.name!r} is a {model.kind} reward model; judges use span or step models."
        )
    return model


def judge_reward_model_version(
    *, project: Project, config: Mapping[str, Any], task: str, version_id: int | None = None
) -> RewardModelVersion:
    """The version a ``reward_model`` judge scores ``task`` with: ``version_id`` (a run's
    pinned version) or else the reward model's active version.

    Raises ApplicationError naming the field: ``config.reward_model`` (see
    ``judge_reward_model``; no active version; the pinned version is gone) or ``task`` (a span
    model cannot rate steps, nor a step model mark spans).
    """
    model = judge_reward_model(project=project, config=config)
    if TASK_BY_REWARD_MODEL_KIND[RewardModel.Kind(model.kind)] != task:
        raise ApplicationError(
            f"Reward model {model.name!r} is a {model.kind} model: it can run the "
            f"{TASK_BY_REWARD_MODEL_KIND[RewardModel.Kind(model.kind)]} task only.",
            field="task",
        )
    if version_id is not None:
        version = model.versions.filter(pk=version_id).first()
        if version is None:
            raise _reward_model_error(
                f"Version {version_id} of {model.name!r}, which this run started with, is gone."
            )
    else:
        version = reward_model_get_active(reward_model=model)
        if version is None:
            raise _reward_model_error(
                f"Reward model {model.name!r} has no active version yet: train it (or activate "
                "a version) first."
            )
    version.reward_model = model
    return version


def _check_environment(project: Project, kind: str, config: Mapping[str, Any]) -> None:
    if kind == Kind.OPENAI:
        policy = OutboundPolicy.build(project_allowed_hosts(project=project))
        try:
            policy.check_url(config["base_url"])
        except BlockedDestination as exc:
            raise ApplicationError(
                f"config.base_url: {exc} Ask a site admin to add it to "
                "FINEGRAIN_JUDGE_ALLOWED_HOSTS or to the project's judge policy.",
                field="config.base_url",
            ) from None
    elif kind == Kind.TRANSFORMERS and not checkpoint_allowed(config["checkpoint_path"]):
        raise ApplicationError(
            "config.checkpoint_path: not inside a folder of FINEGRAIN_JUDGE_MODEL_DIRS.",
            field="config.checkpoint_path",
        )
    elif kind == Kind.RULES:
        taxonomy = taxonomy_published_latest(project=project)
        known = taxonomy_catalog(taxonomy=taxonomy).by_key if taxonomy else {}
        for i, rule in enumerate(config["rules"]):
            if rule["error_type"] not in known:
                raise ApplicationError(
                    f"config.rules[{i}].error_type: {rule['error_type']!r} is not in the "
                    "project's published taxonomy.",
                    field=f"config.rules[{i}].error_type",
                )
    elif kind == Kind.REWARD_MODEL:
        judge_reward_model(project=project, config=config)


def _model_name(kind: str, config: Mapping[str, Any], given: str) -> str:
    if not config:
        return given
    if kind == Kind.OPENAI:
        return str(config["model"])
    if kind == Kind.TRANSFORMERS:
        return given or str(config["checkpoint_path"]).rstrip("/").rsplit("/", 1)[-1]
    if kind == Kind.RULES:
        return given or "rules"
    if kind == Kind.REWARD_MODEL and not given:
        # Checked by _check_environment first: the reward model exists in the project.
        name = RewardModel.objects.filter(pk=config["reward_model"]).values_list("name", flat=True)
        return next(iter(name), "")
    return given


def judge_create(
    *,
    project: Project,
    name: str,
    kind: str = Kind.EXTERNAL,
    model_name: str = "",
    config: Mapping[str, Any] | None = None,
) -> Judge:
    """Create a judge and, when ``config`` is given, its configuration (one transaction).

    A configuration is needed to start runs; ``external`` judges (bulk API) have none. The
    model name of an ``openai`` judge is its configured model.
    """
    settings = config_validate(kind, config) if config is not None else None
    if settings:
        _check_environment(project, kind, settings)
    judge = Judge(
        project=project,
        name=name,
        kind=kind,
        model_name=_model_name(kind, settings or {}, model_name),
    )
    judge.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            judge.save()
            if settings:
                JudgeConfiguration.objects.create(judge=judge, settings=settings)
    except IntegrityError:
        raise ApplicationError(f"A judge named {name!r} exists.", field="name") from None
    return judge


def judge_update(
    *,
    judge: Judge,
    name: str | None = None,
    model_name: str | None = None,
    config: Mapping[str, Any] | None = None,
) -> Judge:
    """Change a judge's name, model name or configuration (replaced whole, re-validated).

    Existing annotations keep the judge, model and prompt version recorded in their metadata.
    The judge that carries a reward model's suggestions cannot be configured: each refresh of
    the suggestions deletes its other annotations (a run's would be lost).
    """
    if config is not None and RewardModel.objects.filter(judge=judge).exists():
        raise ApplicationError(
            "config: this judge carries a reward model's suggestions; create another "
            "reward_model judge to run the reward model.",
            field="config",
        )
    fields = []
    if name is not None:
        judge.name = name
        fields.append("name")
    settings = None
    if config is not None:
        settings = config_validate(judge.kind, config)
        _check_environment(judge.project, judge.kind, settings)
        judge.model_name = _model_name(judge.kind, settings, model_name or "")
        fields.append("model_name")
    elif model_name is not None and judge.kind != Kind.OPENAI:
        judge.model_name = model_name
        fields.append("model_name")
    try:
        with transaction.atomic():
            if fields:
                judge.save(update_fields=[*fields, "updated_at"])
            if settings is not None:
                JudgeConfiguration.objects.update_or_create(
                    judge=judge, defaults={"settings": settings}
                )
    except IntegrityError:
        raise ApplicationError(f"A judge named {name!r} exists.", field="name") from None
    return judge
