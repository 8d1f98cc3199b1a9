"""Prompt templates: shipped files and a project's own, versioned rows."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from annotator.models import Project
from core.exceptions import ApplicationError
from judges.models import PromptTemplate
from judges.prompting import (
    PromptTemplateText,
    default_template,
    shipped_templates,
    template_task,
)

MAX_TEMPLATE = 50_000


def prompt_template_create(
    *, project: Project, name: str, task: str, system: str, user: str, created_by: Any = None
) -> PromptTemplate:
    """Save a project template as the next version of ``name`` (versions are never edited)."""
    if len(system) + len(user) > MAX_TEMPLATE:
        raise ApplicationError(f"A template is at most {MAX_TEMPLATE} characters.", field="user")
    for _ in range(3):
        latest = PromptTemplate.objects.filter(project=project, name=name).aggregate(
            v=Max("version")
        )["v"]
        existing_task = (
            PromptTemplate.objects.filter(project=project, name=name)
            .values_list("task", flat=True)
            .first()
        )
        if existing_task is not None and existing_task != task:
            raise ApplicationError(
                f"Template {name!r} is a {existing_task} template; use another name.", field="task"
            )
        try:
            with transaction.atomic():
                return PromptTemplate.objects.create(
                    project=project, name=name, task=task, version=(latest or 0) + 1,
                    system=system, user=user, created_by=created_by,
                )  # fmt: skip
        except IntegrityError:
            continue  # another save took this version number; take the next one
    raise ApplicationError("The template changed concurrently; save it again.", field="name")


def template_resolve(
    *, project: Project, task: str, version: str | None
) -> tuple[PromptTemplate | None, PromptTemplateText]:
    """The template a run uses: a shipped version (``spans-v1``), a project one
    (``project/<name>-v<n>``), or the latest shipped one for ``task`` when None."""
    if not version:
        return None, default_template(task)
    if version in shipped_templates():
        if template_task(version) != task:
            raise ApplicationError(
                f"Template {version!r} is for the {template_task(version)} task, not {task}.",
                field="prompt_template",
            )
        return None, shipped_templates()[version]
    name, _, number = version.removeprefix("project/").rpartition("-v")
    row = None
    if version.startswith("project/") and number.isdigit():
        row = PromptTemplate.objects.filter(project=project, name=name, version=int(number)).first()
    if row is None:
        known = ", ".join(sorted(shipped_templates()))
        raise ApplicationError(
            f"No template {version!r}; shipped ones are {known}, project ones project/<name>-v<n>.",
            field="prompt_template",
        )
    if row.task != task:
        raise ApplicationError(
            f"Template {version!r} is for the {row.task} task, not {task}.", field="prompt_template"
        )
    return row, PromptTemplateText(row.version_string, row.system, row.user)
