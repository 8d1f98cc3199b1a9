"""Taxonomy and rubric versions: a draft is edited freely, publishing freezes it.

Taxonomy and Rubric share the draft → published life cycle; the helpers below take the model
class so both go through the same code. Error types and criteria are replaced wholesale on a
draft (the editor sends the full list) and never change once published.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from annotator.models import ErrorType, Project, Rubric, RubricCriterion, Taxonomy
from annotator.models.taxonomy import UNIT_KINDS
from core.exceptions import ApplicationError

Versioned = TypeVar("Versioned", Taxonomy, Rubric)
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _draft_create(model: type[Versioned], project: Project) -> Versioned:
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        if model.objects.filter(project=project, status="draft").exists():
            raise ApplicationError(
                f"The project already has a draft {model.__name__.lower()}.", field="status"
            )
        latest = model.objects.filter(project=project).aggregate(v=Max("version"))["v"] or 0
        draft = model.objects.create(project=project, version=latest + 1)
        previous = model.objects.filter(project=project, version=latest).first()
        if previous is not None:
            _copy_children(previous, draft)
        return draft


def _copy_children(source: Taxonomy | Rubric, target: Taxonomy | Rubric) -> None:
    if isinstance(source, Taxonomy):
        rows: list[Any] = list(source.error_types.all())
        for row in rows:
            row.pk = None
            row.taxonomy = target
        ErrorType.objects.bulk_create(rows)
    else:
        rows = list(source.criteria.all())
        for row in rows:
            row.pk = None
            row.rubric = target
        RubricCriterion.objects.bulk_create(rows)


def _require_draft(version: Taxonomy | Rubric) -> None:
    if version.status != "draft":
        raise ApplicationError(
            f"Version {version.version} is published and frozen; create a new draft.",
            field="status",
        )


def _publish(version: Versioned) -> Versioned:
    _require_draft(version)
    children = (
        version.error_types.exists() if isinstance(version, Taxonomy) else version.criteria.exists()
    )
    if not children:
        raise ApplicationError("Cannot publish an empty version.", field="status")
    version.status = "published"
    version.published_at = timezone.now()
    with transaction.atomic():
        version.save(update_fields=["status", "published_at", "updated_at"])
        pointer = "published_taxonomy" if isinstance(version, Taxonomy) else "published_rubric"
        Project.objects.filter(pk=version.project_id).update(**{pointer: version})
    return version


def taxonomy_draft_create(*, project: Project) -> Taxonomy:
    """Open a new draft taxonomy, copied from the latest version if there is one."""
    return _draft_create(Taxonomy, project)


def taxonomy_publish(*, taxonomy: Taxonomy) -> Taxonomy:
    """Freeze a draft; new annotations pin the latest published version."""
    return _publish(taxonomy)


def rubric_draft_create(*, project: Project) -> Rubric:
    """Open a new draft rubric, copied from the latest version if there is one."""
    return _draft_create(Rubric, project)


def rubric_publish(*, rubric: Rubric) -> Rubric:
    """Freeze a draft rubric."""
    return _publish(rubric)


def _check_unique(rows: Sequence[Mapping[str, Any]], key: str, label: str) -> None:
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        value = row.get(key)
        if not value:
            continue
        if value in seen:
            raise ApplicationError(
                f"{label} {value!r} is used by entries {seen[value]} and {i}.",
                field=f"{label.replace(' ', '_')}s[{i}].{key}",
            )
        seen[value] = i


@transaction.atomic
def taxonomy_set_error_types(
    *, taxonomy: Taxonomy, error_types: Sequence[Mapping[str, Any]]
) -> Taxonomy:
    """Replace the error types of a draft taxonomy with ``error_types`` (in order)."""
    _require_draft(taxonomy)
    _check_unique(error_types, "key", "error type")
    _check_unique(error_types, "hotkey", "error type")
    rows = []
    for i, spec in enumerate(error_types):
        kinds = list(spec.get("unit_kinds") or ["span"])
        bad = [k for k in kinds if k not in UNIT_KINDS]
        if bad:
            raise ApplicationError(
                f"Unknown unit kinds {bad}; use {list(UNIT_KINDS)}.",
                field=f"error_types[{i}].unit_kinds",
            )
        color = spec.get("color", "#d62728")
        if not HEX_COLOR.match(color):
            raise ApplicationError("color must be #rrggbb.", field=f"error_types[{i}].color")
        rows.append(
            ErrorType(
                taxonomy=taxonomy,
                key=spec["key"],
                name=spec["name"],
                description=spec.get("description", ""),
                color=color,
                hotkey=spec.get("hotkey", ""),
                severity_levels=list(spec.get("severity_levels") or []),
                unit_kinds=kinds,
                order=i,
            )
        )
    taxonomy.error_types.all().delete()
    try:
        ErrorType.objects.bulk_create(rows)
    except IntegrityError as exc:
        raise ApplicationError(f"Error types conflict: {exc}", field="error_types") from None
    return taxonomy


@transaction.atomic
def rubric_set_criteria(*, rubric: Rubric, criteria: Sequence[Mapping[str, Any]]) -> Rubric:
    """Replace the criteria of a draft rubric; each needs 2+ levels with distinct values."""
    _require_draft(rubric)
    _check_unique(criteria, "key", "criterion")
    rows = []
    for i, spec in enumerate(criteria):
        levels = list(spec["levels"])
        values = [int(level["value"]) for level in levels]
        if len(values) < 2 or len(set(values)) != len(values):
            raise ApplicationError(
                "A criterion needs at least 2 levels with distinct values.",
                field=f"criteria[{i}].levels",
            )
        rows.append(
            RubricCriterion(
                rubric=rubric,
                key=spec["key"],
                name=spec["name"],
                description=spec.get("description", ""),
                levels=sorted(
                    (
                        {
                            "value": int(level["value"]),
                            "label": level.get("label", ""),
                            "description": level.get("description", ""),
                        }
                        for level in levels
                    ),
                    key=lambda level: level["value"],
                ),
                order=i,
            )
        )
    rubric.criteria.all().delete()
    RubricCriterion.objects.bulk_create(rows)
    return rubric
