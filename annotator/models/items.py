from django.db import models
from django.db.models import Q

from core.models import BaseModel

from .projects import Project


class Item(BaseModel):
    """One prompt (or conversation) with its context passages and the responses under review."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="items")
    external_id = models.CharField(max_length=255)
    prompt = models.TextField(blank=True, default="")
    messages = models.JSONField(
        default=list, blank=True, help_text='Chat form: [{"role": "user", "content": "..."}].'
    )
    context = models.JSONField(
        default=list,
        blank=True,
        help_text='Passages: [{"title": "...", "sentences": ["...", ...]}]; ids are indices.',
    )
    metadata = models.JSONField(default=dict, blank=True)
    is_gold = models.BooleanField(default=False)
    # Submitted or accepted human annotations; kept by annotation services for next-item.
    annotation_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "external_id"], name="item_unique_external_id"
            ),
            models.CheckConstraint(condition=~Q(external_id=""), name="item_external_id_nonempty"),
        ]
        indexes = [
            models.Index(fields=["project", "annotation_count", "id"]),
            # Pages of a project's items (cursor pagination orders by id).
            models.Index(fields=["project", "id"], name="item_project_id_page"),
        ]

    def __str__(self) -> str:
        return self.external_id


class Response(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        STEPS = "steps", "Steps"
        IMAGE = "image", "Image"

    # No separate index: the (item, index) unique constraint already leads with item.
    item = models.ForeignKey(
        Item, on_delete=models.CASCADE, related_name="responses", db_index=False
    )
    index = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TEXT)
    model_name = models.CharField(max_length=200, blank=True, default="")
    text = models.TextField(blank=True, default="")
    steps = models.JSONField(default=list, blank=True, help_text="Ordered step texts.")
    image_url = models.CharField(max_length=2000, blank=True, default="")
    image_width = models.PositiveIntegerField(null=True, blank=True)
    image_height = models.PositiveIntegerField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["index"]
        constraints = [
            models.UniqueConstraint(fields=["item", "index"], name="response_unique_index"),
            models.CheckConstraint(
                condition=Q(kind__in=["text", "steps", "image"]), name="response_kind"
            ),
            models.CheckConstraint(
                condition=~Q(kind="image") | ~Q(image_url=""), name="response_image_has_url"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}#{self.index}"
