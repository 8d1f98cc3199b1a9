"""Judge identities. Endpoint configuration and runs come with the judges issue."""

from __future__ import annotations

from django.db import IntegrityError

from annotator.models import Judge, Project
from core.exceptions import ApplicationError


def judge_create(
    *, project: Project, name: str, kind: str, model_name: str = "", prompt_version: str = ""
) -> Judge:
    """Register a judge under ``project``; names are unique per project."""
    judge = Judge(
        project=project, name=name, kind=kind, model_name=model_name, prompt_version=prompt_version
    )
    judge.full_clean(validate_unique=False)
    try:
        judge.save()
    except IntegrityError:
        raise ApplicationError(f"A judge named {name!r} exists.", field="name") from None
    return judge
