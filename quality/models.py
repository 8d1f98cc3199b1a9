"""Quality control rows: per-project settings, gold labels, agreement over time, per-item
agreement (the review order), consistency flags and reviewer leases.

Nothing here changes an annotation; consensus annotations are ordinary ``Annotation`` rows made
by the project's consensus judge (``QualitySettings.consensus_judge``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from annotator.models import Annotation, Item, Judge, Project
from core.models import BaseModel


class QualitySettings(BaseModel):
    """Quality settings of one project; a project without a row behaves as before (gold items
    are ordinary items served last)."""

    project = models.OneToOneField(
        Project, primary_key=True, on_delete=models.CASCADE, related_name="quality_settings"
    )
    gold_rate = models.FloatField(
        default=0.0, help_text="Share of next-item picks that are gold items (0 … 1)."
    )
    low_agreement_threshold = models.FloatField(
        default=0.6, help_text="Items whose agreement score is below this are flagged for review."
    )
    high_total_threshold = models.FloatField(
        default=0.8,
        help_text="Consistency: a normalised rubric total at or above this despite a critical "
        "span is flagged.",
    )
    recompute_after_s = models.PositiveIntegerField(
        default=60, help_text="Debounce: agreement is recomputed at most this often."
    )
    consensus_judge = models.ForeignKey(
        Judge, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "quality settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(gold_rate__gte=0, gold_rate__lte=1), name="quality_gold_rate_unit"
            ),
            models.CheckConstraint(
                condition=Q(high_total_threshold__gte=0, high_total_threshold__lte=1),
                name="quality_high_total_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"quality settings of project {self.project_id}"


class GoldLabel(BaseModel):
    """The known labels of a gold item: one reference annotation on it."""

    item = models.OneToOneField(
        Item, primary_key=True, on_delete=models.CASCADE, related_name="gold_label"
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="gold_labels")
    annotation = models.ForeignKey(Annotation, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"gold label of item {self.item_id}"


class AgreementSnapshot(BaseModel):
    """One recomputation of a project's agreement report; kept, so agreement has a history."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="agreement_snapshots"
    )
    annotations = models.PositiveIntegerField(default=0, help_text="Annotations compared.")
    items = models.PositiveIntegerField(default=0, help_text="Items with two or more coders.")
    labels_changed_at = models.DateTimeField(
        null=True, blank=True, help_text="Latest annotation change the report includes."
    )
    duration_ms = models.PositiveIntegerField(default=0)
    # Headline numbers for the time-series plot; the full report is in ``report``.
    span_f1 = models.FloatField(null=True, blank=True)
    span_alpha = models.FloatField(null=True, blank=True, help_text="Unitizing α, all types.")
    step_alpha = models.FloatField(null=True, blank=True)
    rubric_alpha = models.FloatField(null=True, blank=True)
    preference_kappa = models.FloatField(null=True, blank=True)
    # The history's per-type and per-annotator plots, copied from ``report`` when stored
    # (``quality.metrics.snapshot_series``) so that the history never reads the reports.
    by_error_type = models.JSONField(
        default=list, blank=True, help_text="Span measures per error type (not '(all)')."
    )
    by_annotator = models.JSONField(
        default=list, blank=True, help_text="Each annotator's mean agreement with the others."
    )
    report = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["project", "-created_at"])]

    def __str__(self) -> str:
        return f"agreement of project {self.project_id} at {self.created_at}"


class ItemAgreement(models.Model):
    """Agreement among the human annotations of one item (0 … 1); reviewers see the lowest
    first. Rewritten by every recomputation."""

    item = models.OneToOneField(
        Item, primary_key=True, on_delete=models.CASCADE, related_name="agreement"
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(null=True, blank=True)
    annotators = models.PositiveSmallIntegerField(default=0)
    details = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["project", "score"])]

    def __str__(self) -> str:
        return f"agreement of item {self.item_id}: {self.score}"


class ConsistencyFlag(BaseModel):
    """An annotation whose units contradict each other (docs/quality.md, consistency checks)."""

    class Kind(models.TextChoices):
        RUBRIC_VS_SPANS = "rubric_vs_spans", "High rubric total despite a critical span"
        RUBRIC_VS_PREFERENCE = "rubric_vs_preference", "Preference against the rubric totals"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DISMISSED = "dismissed", "Dismissed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="consistency_flags")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    key = models.CharField(max_length=64, help_text="What is flagged, e.g. 'response:1'.")
    message = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["annotation", "kind", "key"], name="consistency_flag_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["rubric_vs_spans", "rubric_vs_preference"]),
                name="consistency_flag_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "dismissed"]), name="consistency_flag_status"
            ),
        ]
        indexes = [models.Index(fields=["project", "status", "id"])]

    def __str__(self) -> str:
        return f"{self.kind} on annotation {self.annotation_id}"


class ReviewLease(BaseModel):
    """A reviewer holds an item of the review queue until ``expires_at`` (one per item)."""

    item = models.OneToOneField(
        Item, primary_key=True, on_delete=models.CASCADE, related_name="review_lease"
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"item {self.item_id} reviewed by {self.reviewer_id}"
