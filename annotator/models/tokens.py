from django.conf import settings
from django.db import models

from core.models import BaseModel

from .projects import Project


class ApiToken(BaseModel):
    """A personal API token. Only its sha256 is stored; the secret is shown once at creation.

    ``projects`` empty means every project the user is a member of.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Write"
        EXPORT = "export", "Export"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=120)
    prefix = models.CharField(max_length=16, help_text="First characters, to recognise a token.")
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    projects = models.ManyToManyField(Project, blank=True, related_name="+")
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
