from django.conf import settings
from django.db import models

from core.models import BaseModel

from .projects import Project


class ImportJob(BaseModel):
    """An upload being imported. Its progress is this row, which the API serves."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Format(models.TextChoices):
        JSON = "json", "JSON list"
        JSONL = "jsonl", "JSON lines"
        CSV = "csv", "CSV"
        QA_FEEDBACK = "qa-feedback", "QA-FEEDBACK (Fine-Grained RLHF)"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    format = models.CharField(max_length=16, choices=Format.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    file_path = models.CharField(max_length=500, blank=True, default="")
    file_name = models.CharField(max_length=255, blank=True, default="")
    file_size = models.PositiveBigIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    annotations_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list, blank=True, help_text='Why it failed: [{"line", "field", "message"}, ...].'
    )
    error_count = models.PositiveIntegerField(
        default=0, help_text="How many errors there were; errors lists the first 1,000."
    )
    warnings = models.JSONField(
        default=list,
        blank=True,
        help_text="Upstream labels skipped on a successful import (same shape as errors).",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"
