"""Reward models, their training runs, the version registry, scoring jobs and triage.

- ``RewardModel``: what to train (kind, backbone, hyper-parameters) and when to refresh it
  (every N new submitted human annotations and/or every so many minutes).
- ``TrainingRun``: one training of a reward model on one snapshot; its progress is this row
  (heartbeat, step, loss and metric history), which the API serves.
- ``RewardModelVersion``: what a succeeded run registered; at most one active per model
  (a partial unique constraint), each with its held-out figure and the figure of the version
  that was active when it was registered, on the same held-out items.
- ``ScoreJob``: texts or steps scored by a worker (the web process never imports torch).
- ``TriageEntry``: per item and response, how much the active version's predictions disagree
  with the human labels; the triage list sorts by it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from annotator.models import Item, Judge, Project
from core.models import BaseModel
from snapshots.models import DatasetSnapshot


class RewardModel(BaseModel):
    class Kind(models.TextChoices):
        SPAN = "span", "Span (per-segment error categories)"
        STEP = "step", "Step (process reward model)"
        RUBRIC = "rubric", "Rubric (score per criterion)"
        PREFERENCE = "preference", "Preference (Bradley-Terry)"

    class Mode(models.TextChoices):
        FAST = "fast", "Fast refresh (frozen backbone, cached features)"
        FULL = "full", "Full fine-tuning"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reward_models")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.FAST)
    backbone = models.CharField(max_length=500, default="minilm")
    hyperparameters = models.JSONField(
        default=dict, blank=True, help_text="TrainConfig fields (rewards/training/config.py)."
    )
    snapshot_filters = models.JSONField(
        default=dict, blank=True, help_text="Filters of the snapshots refreshes take."
    )
    refresh_every_annotations = models.PositiveIntegerField(
        null=True, blank=True, help_text="Refresh after this many new submitted annotations."
    )
    refresh_interval_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Refresh at most this often when labels changed."
    )
    annotations_at_last_run = models.PositiveIntegerField(default=0)
    last_run_requested_at = models.DateTimeField(null=True, blank=True)
    suggestions_enabled = models.BooleanField(
        default=True, help_text="Show the active span/step version's predictions as suggestions."
    )
    judge = models.ForeignKey(
        Judge,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The reward_model judge whose annotations carry the suggestions.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="reward_model_unique_name"),
            models.CheckConstraint(
                condition=Q(kind__in=["span", "step", "rubric", "preference"]),
                name="reward_model_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(mode__in=["fast", "full"]), name="reward_model_mode"
            ),
            models.CheckConstraint(
                condition=Q(refresh_every_annotations__isnull=True)
                | Q(refresh_every_annotations__gte=1),
                name="reward_model_refresh_every_gte_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class TrainingRun(BaseModel):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Requested by a person"
        ANNOTATIONS = "annotations", "New annotations (refresh policy)"
        SCHEDULE = "schedule", "Schedule (refresh policy)"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="training_runs")
    reward_model = models.ForeignKey(RewardModel, on_delete=models.CASCADE, related_name="runs")
    snapshot = models.ForeignKey(
        DatasetSnapshot, on_delete=models.PROTECT, related_name="training_runs"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    config = models.JSONField(help_text="The full TrainConfig, pinned at request time.")
    code_version = models.CharField(max_length=64, blank=True, default="")
    records_sha256 = models.CharField(max_length=64, blank=True, default="")
    step = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=0)
    epoch = models.FloatField(default=0)
    phase = models.CharField(max_length=16, blank=True, default="")
    history = models.JSONField(default=list, blank=True, help_text="[{step, epoch, loss, ...}]")
    evaluations = models.JSONField(default=list, blank=True, help_text="Held-out, per epoch.")
    metrics = models.JSONField(default=dict, blank=True, help_text="Final held-out metrics.")
    artifact_path = models.CharField(max_length=500, blank=True, default="")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    resumed_from_step = models.PositiveIntegerField(default=0)
    log_tail = models.TextField(blank=True, default="")
    error = models.TextField(blank=True, default="")
    worker = models.CharField(max_length=200, blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "failed"]),
                name="training_run_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(trigger__in=["manual", "annotations", "schedule"]),
                name="training_run_trigger_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "id"]),
            models.Index(fields=["status", "heartbeat_at"]),
        ]

    def __str__(self) -> str:
        return f"training run {self.pk} ({self.status})"


class RewardModelVersion(BaseModel):
    reward_model = models.ForeignKey(RewardModel, on_delete=models.CASCADE, related_name="versions")
    run = models.OneToOneField(TrainingRun, on_delete=models.PROTECT, related_name="version")
    number = models.PositiveIntegerField()
    artifact_path = models.CharField(max_length=500)
    metrics = models.JSONField(default=dict, blank=True)
    primary_metric = models.CharField(max_length=64, blank=True, default="")
    score = models.FloatField(null=True, blank=True, help_text="This version, held-out split.")
    baseline_score = models.FloatField(
        null=True,
        blank=True,
        help_text="The version active at registration, on the same held-out split.",
    )
    baseline_version = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=False)
    activated_at = models.DateTimeField(null=True, blank=True)
    activation_reason = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reward_model", "number"], name="reward_model_version_unique_number"
            ),
            models.UniqueConstraint(
                fields=["reward_model"],
                condition=Q(is_active=True),
                name="reward_model_one_active_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reward_model_id} v{self.number}{' (active)' if self.is_active else ''}"


class ScoreJob(BaseModel):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="score_jobs")
    reward_model = models.ForeignKey(RewardModel, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(RewardModelVersion, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    inputs = models.JSONField()
    results = models.JSONField(default=list, blank=True)
    tokens = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "failed"]),
                name="score_job_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"score job {self.pk} ({self.status})"


class TriageEntry(models.Model):
    """Model-vs-human disagreement on one response, for one version (written by the worker
    that writes the version's suggestions)."""

    version = models.ForeignKey(
        RewardModelVersion, on_delete=models.CASCADE, related_name="triage_entries"
    )
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    response_index = models.PositiveIntegerField()
    disagreement = models.FloatField(help_text="Mean |P(error) - human label| over segments.")
    disagreeing_segments = models.PositiveIntegerField(default=0)
    segments = models.PositiveIntegerField(default=0)
    details = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "item", "response_index"], name="triage_unique_response"
            ),
        ]
        indexes = [models.Index(fields=["version", "-disagreement"])]

    def __str__(self) -> str:
        return f"triage {self.item_id}#{self.response_index}: {self.disagreement:.2f}"
