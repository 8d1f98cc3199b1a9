"""Versioned error taxonomies and rubrics. A published version is frozen; labels point at it."""

from django.db import models
from django.db.models import Q

from core.models import BaseModel

from .projects import Project

UNIT_KINDS = ("span", "step", "region", "missing_info")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class Taxonomy(BaseModel):
    Status = VersionStatus

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="taxonomies")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "taxonomies"
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="taxonomy_unique_version"),
            models.UniqueConstraint(
                fields=["project"], condition=Q(status="draft"), name="taxonomy_one_draft"
            ),
            models.CheckConstraint(
                condition=Q(status="draft", published_at__isnull=True)
                | Q(status="published", published_at__isnull=False),
                name="taxonomy_published_at_iff_published",
            ),
        ]

    def __str__(self) -> str:
        return f"taxonomy v{self.version} ({self.status})"


class ErrorType(models.Model):
    taxonomy = models.ForeignKey(Taxonomy, on_delete=models.CASCADE, related_name="error_types")
    key = models.SlugField(max_length=64)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, default="")
    color = models.CharField(max_length=7, default="#d62728")
    hotkey = models.CharField(max_length=1, blank=True, default="")
    severity_levels = models.JSONField(
        default=list, help_text='Ordered labels, e.g. ["minor", "major", "critical"]; 1-based.'
    )
    unit_kinds = models.JSONField(default=list, help_text=f"Subset of {list(UNIT_KINDS)}.")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["taxonomy", "key"], name="errortype_unique_key"),
            models.UniqueConstraint(
                fields=["taxonomy", "hotkey"],
                condition=~Q(hotkey=""),
                name="errortype_unique_hotkey",
            ),
            models.CheckConstraint(
                condition=Q(color__regex=r"^#[0-9a-fA-F]{6}$"), name="errortype_color_hex"
            ),
        ]

    def __str__(self) -> str:
        return self.key


class Rubric(BaseModel):
    Status = VersionStatus

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="rubrics")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="rubric_unique_version"),
            models.UniqueConstraint(
                fields=["project"], condition=Q(status="draft"), name="rubric_one_draft"
            ),
            models.CheckConstraint(
                condition=Q(status="draft", published_at__isnull=True)
                | Q(status="published", published_at__isnull=False),
                name="rubric_published_at_iff_published",
            ),
        ]

    def __str__(self) -> str:
        return f"rubric v{self.version} ({self.status})"


class RubricCriterion(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="criteria")
    key = models.SlugField(max_length=64)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, default="")
    levels = models.JSONField(
        default=list,
        help_text='[{"value": 1, "label": "Poor", "description": "..."}, ...] (Prometheus style).',
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "key"], name="criterion_unique_key"),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def level_values(self) -> list[int]:
        return [int(level["value"]) for level in self.levels]
