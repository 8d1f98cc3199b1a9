"""Per-project quality settings and the project's consensus judge."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from annotator.models import Judge, Project
from core.exceptions import ApplicationError
from quality.models import QualitySettings

EDITABLE = ("gold_rate", "low_agreement_threshold", "high_total_threshold", "recompute_after_s")
CONSENSUS_JUDGE = "consensus"


def quality_settings_get(*, project: Project) -> QualitySettings:
    """The project's settings; an unsaved row with the defaults when it has none."""
    found = QualitySettings.objects.filter(project=project).first()
    return found or QualitySettings(project=project)


def quality_settings_update(*, project: Project, values: Mapping[str, Any]) -> QualitySettings:
    """Create or change the project's settings (only the fields in ``values``)."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ApplicationError(f"Unknown setting {sorted(unknown)[0]!r}.", field=sorted(unknown)[0])
    for name in ("gold_rate", "low_agreement_threshold", "high_total_threshold"):
        if name in values and not 0 <= float(values[name]) <= 1:
            raise ApplicationError("Must be between 0 and 1.", field=name)
    with transaction.atomic():
        settings, _ = QualitySettings.objects.select_for_update().get_or_create(project=project)
        for name, value in values.items():
            setattr(settings, name, value)
        settings.save()
    return settings


def consensus_judge_get_or_create(*, project: Project) -> Judge:
    """The judge that authors the project's consensus annotations (made once, under a lock on
    the settings row so that two reviewers cannot create two)."""
    with transaction.atomic():
        settings, _ = QualitySettings.objects.select_for_update().get_or_create(project=project)
        if settings.consensus_judge_id is not None:
            return settings.consensus_judge  # type: ignore[return-value]
        taken = set(
            Judge.objects.filter(project=project, name__startswith=CONSENSUS_JUDGE).values_list(
                "name", flat=True
            )
        )
        name = CONSENSUS_JUDGE
        suffix = 2
        while name in taken:
            name = f"{CONSENSUS_JUDGE}-{suffix}"
            suffix += 1
        try:
            with transaction.atomic():
                judge = Judge.objects.create(
                    project=project,
                    name=name,
                    kind=Judge.Kind.EXTERNAL,
                    prompt_version="quality-consensus-v1",
                    config={"quality": "consensus"},
                )
        except IntegrityError:
            raise ApplicationError("Could not name the consensus judge; retry.") from None
        settings.consensus_judge = judge
        settings.save(update_fields=["consensus_judge", "updated_at"])
    return judge
