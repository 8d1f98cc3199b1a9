"""Dataset snapshots: one consistent, immutable read of a project's labels, and its build job.

A ``DatasetSnapshot`` is written once, by the build service, when its ``SnapshotJob``
succeeds: its files (``records.jsonl``, ``manifest.json``) live under
``MEDIA_ROOT/snapshots/<project>/<snapshot>-<random>/`` and are never rewritten. Exports project
those records into formats at download time (``snapshots/formats``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from annotator.models import Project
from core.models import BaseModel


class DatasetSnapshot(BaseModel):
    class Aggregation(models.TextChoices):
        ALL = "all", "Every annotation"
        MAJORITY = "majority", "Majority of the annotations of each item"
        REVIEWED = "reviewed", "Reviewed only (accepted annotations)"
        CONSENSUS = "consensus", "Reviewer consensus, else majority merge of spans"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="snapshots")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=200, blank=True, default="")
    filters = models.JSONField(default=dict, blank=True, help_text="Normalised filters.")
    aggregation = models.CharField(
        max_length=16, choices=Aggregation.choices, default=Aggregation.ALL
    )
    # Filled once, when the build succeeds.
    taken_at = models.DateTimeField(null=True, blank=True, help_text="When the read began.")
    directory = models.CharField(max_length=300, blank=True, default="")
    sha256 = models.CharField(max_length=64, blank=True, default="", help_text="records.jsonl")
    manifest = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    record_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(aggregation__in=["all", "majority", "reviewed", "consensus"]),
                name="snapshot_aggregation_valid",
            ),
        ]
        indexes = [models.Index(fields=["project", "id"])]

    def __str__(self) -> str:
        return f"snapshot {self.pk} of project {self.project_id}"


class SnapshotJob(BaseModel):
    """The build of one snapshot; its progress is this row, which the API serves."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    snapshot = models.OneToOneField(DatasetSnapshot, on_delete=models.CASCADE, related_name="job")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0, help_text="Annotations to read.")
    processed = models.PositiveIntegerField(default=0, help_text="Annotations read so far.")
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "failed"]),
                name="snapshot_job_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"snapshot job {self.pk} ({self.status})"
