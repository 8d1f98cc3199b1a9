from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import BaseModel


class Project(BaseModel):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    guidelines = models.TextField(
        blank=True, default="", help_text="Markdown, sanitised in the UI."
    )
    overlap = models.PositiveIntegerField(
        default=1, help_text="How many human annotations each item should get."
    )
    lease_seconds = models.PositiveIntegerField(
        default=3600, help_text="How long an item handed out by next-item stays reserved."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The latest published versions, kept by the publish services: new annotations pin these,
    # and the request's membership query joins them, so the save path needs no extra query.
    published_taxonomy = models.ForeignKey(
        "annotator.Taxonomy", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_rubric = models.ForeignKey(
        "annotator.Rubric", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(overlap__gte=1), name="project_overlap_gte_1"),
            models.CheckConstraint(condition=Q(lease_seconds__gte=30), name="project_lease_gte_30"),
        ]

    def __str__(self) -> str:
        return self.name


class ProjectMembership(BaseModel):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        REVIEWER = "reviewer", "Reviewer"
        ANNOTATOR = "annotator", "Annotator"
        RESEARCHER = "researcher", "Researcher"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique_user"),
            models.CheckConstraint(
                condition=Q(role__in=["admin", "reviewer", "annotator", "researcher"]),
                name="membership_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.project_id}:{self.role}"
