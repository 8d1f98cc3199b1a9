"""AI judges: how each judge is configured, prompt templates, runs with per-item results, and
calibration against humans. ``annotator.models.Judge`` stays the judge's identity (what an
annotation points at); everything here hangs off it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from annotator.models import Annotation, Item, Judge, Project
from core.models import BaseModel


class JudgeTask(models.TextChoices):
    SPANS = "spans", "Mark error spans (quotes)"
    STEPS = "steps", "Rate steps (PRM800K)"
    RUBRIC = "rubric", "Rubric scores (Prometheus absolute)"
    PAIRWISE = "pairwise", "Pairwise A/B (Prometheus relative)"
    PAIRWISE_GRADED = "pairwise_graded", "Pairwise −3…+3"


class JudgeConfiguration(BaseModel):
    """Kind-specific settings of a judge, validated by ``judges.kinds.config_validate``.

    Secrets are never stored: an ``openai`` judge names the environment variable that holds
    its API key (``api_key_env``), read by the worker when a run starts.
    """

    judge = models.OneToOneField(
        Judge, primary_key=True, on_delete=models.CASCADE, related_name="configuration"
    )
    settings = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"configuration of judge {self.judge_id}"


class ProjectJudgePolicy(BaseModel):
    """Per-project additions to the judge host allowlist. Editable in the Django admin only
    (site staff): a project admin cannot open the network to new hosts through the API."""

    project = models.OneToOneField(
        Project, primary_key=True, on_delete=models.CASCADE, related_name="judge_policy"
    )
    allowed_hosts = models.JSONField(
        default=list,
        blank=True,
        help_text='Host names or IPs judges of this project may call, e.g. ["vllm.internal"]. '
        "Listed hosts may resolve to private addresses; link-local ones only as an exact IP.",
    )

    class Meta:
        verbose_name_plural = "project judge policies"

    def __str__(self) -> str:
        return f"judge policy of project {self.project_id}"


class PromptTemplate(BaseModel):
    """A project's own prompt template; shipped ones are files in ``judges/prompts/``.
    Rows are never edited: saving a changed template creates the next version."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="prompt_templates")
    task = models.CharField(max_length=20, choices=JudgeTask.choices)
    name = models.SlugField(max_length=64)
    version = models.PositiveIntegerField()
    system = models.TextField(blank=True, default="")
    user = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name", "version"], name="prompttemplate_unique_version"
            ),
        ]

    def __str__(self) -> str:
        return self.version_string

    @property
    def version_string(self) -> str:
        return f"project/{self.name}-v{self.version}"


class JudgeRun(BaseModel):
    """One judge over a filtered set of items; its progress is this row, which the API serves."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="judge_runs")
    judge = models.ForeignKey(Judge, on_delete=models.CASCADE, related_name="runs")
    task = models.CharField(max_length=20, choices=JudgeTask.choices)
    template = models.ForeignKey(
        PromptTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="runs"
    )
    prompt_version = models.CharField(max_length=100, blank=True, default="")
    filters = models.JSONField(default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    cancel_requested = models.BooleanField(default=False)
    item_id_max = models.BigIntegerField(
        null=True, blank=True, help_text="Fixed at start: the run judges items up to this id."
    )
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    succeeded_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    unplaced_quotes = models.PositiveIntegerField(default=0)
    requests = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveBigIntegerField(default=0)
    completion_tokens = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "failed", "cancelled"]),
                name="judgerun_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["project", "judge", "id"])]

    def __str__(self) -> str:
        return f"judge run {self.pk} ({self.status})"


class JudgeResult(models.Model):
    """What a run made of one item: the annotation it stored, or why it stored nothing."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(JudgeRun, on_delete=models.CASCADE, related_name="results")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices)
    reason = models.TextField(blank=True, default="")
    annotation = models.ForeignKey(
        Annotation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    prompt_version = models.CharField(max_length=100, blank=True, default="")
    outputs = models.JSONField(
        default=list, blank=True, help_text="Raw model outputs (untrusted text, truncated)."
    )
    unplaced = models.JSONField(default=list, blank=True)
    requests = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "item"], name="judgeresult_unique_item"),
            models.CheckConstraint(
                condition=Q(status__in=["succeeded", "failed"]), name="judgeresult_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.run_id} item {self.item_id}: {self.status}"


class JudgeCalibration(models.Model):
    """A computed agreement report of one judge against humans (``report`` is what the API
    returns and the UI charts)."""

    judge = models.ForeignKey(Judge, on_delete=models.CASCADE, related_name="calibrations")
    items_compared = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"calibration {self.pk} of judge {self.judge_id}"
