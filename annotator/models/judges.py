from django.db import models

from core.models import BaseModel

from .projects import Project


class Judge(BaseModel):
    """An AI annotator. Its annotations are machine-made and shown to humans as suggestions.

    The judge issue adds endpoint configuration and runs; the foundation needs only identity.
    """

    class Kind(models.TextChoices):
        OPENAI = "openai", "OpenAI-compatible endpoint"
        TRANSFORMERS = "transformers", "Local transformers checkpoint"
        REWARD_MODEL = "reward_model", "Finegrain reward model"
        RULES = "rules", "Rules"
        EXTERNAL = "external", "External (bulk API)"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="judges")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.EXTERNAL)
    model_name = models.CharField(max_length=200, blank=True, default="")
    prompt_version = models.CharField(max_length=64, blank=True, default="")
    config = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="judge_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name
