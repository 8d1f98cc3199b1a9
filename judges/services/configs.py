"""Judges and their configuration: create and update, validated against the allowlist, the
checkpoint folders and the project's taxonomy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from annotator.models import Judge, Project
from annotator.selectors.taxonomy import taxonomy_catalog, taxonomy_published_latest
from core.exceptions import ApplicationError
from core.outbound import BlockedDestination, OutboundPolicy
from judges.kinds import allowed_hosts, checkpoint_allowed, config_validate
from judges.models import JudgeConfiguration, ProjectJudgePolicy

Kind = Judge.Kind


def project_allowed_hosts(*, project: Project) -> frozenset[str]:
    """FINEGRAIN_JUDGE_ALLOWED_HOSTS plus the project's judge policy (admin-only)."""
    policy = ProjectJudgePolicy.objects.filter(project=project).first()
    return allowed_hosts(policy.allowed_hosts if policy else [])


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


def _model_name(kind: str, config: Mapping[str, Any], given: str) -> str:
    if not config:
        return given
    if kind == Kind.OPENAI:
        return str(config["model"])
    if kind == Kind.TRANSFORMERS:
        return given or str(config["checkpoint_path"]).rstrip("/").rsplit("/", 1)[-1]
    if kind == Kind.RULES:
        return given or "rules"
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
    """
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
