"""API tokens: created once (the secret is returned only then), stored as sha256, revocable."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from annotator.models import ApiToken, Project, ProjectMembership
from core.exceptions import ApplicationError

TOKEN_PREFIX = "fg_"  # noqa: S105 (a prefix, not a secret)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *,
    user: Any,
    name: str,
    scopes: Sequence[str],
    projects: Sequence[Project] = (),
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; return the row and the secret (never stored in clear).

    ``projects`` must be projects the user belongs to; empty means all of them.
    """
    valid = set(ApiToken.Scope.values)
    unknown = [s for s in scopes if s not in valid]
    if unknown or not scopes:
        raise ApplicationError(
            f"scopes must be a non-empty subset of {sorted(valid)}.", field="scopes"
        )
    member_of = set(
        ProjectMembership.objects.filter(user=user).values_list("project_id", flat=True)
    )
    outside = [p.pk for p in projects if p.pk not in member_of]
    if outside:
        raise ApplicationError(f"Not a member of projects {outside}.", field="projects")
    if expires_at is not None and expires_at <= timezone.now():
        raise ApplicationError("expires_at is in the past.", field="expires_at")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        prefix=secret[:10],
        key_hash=token_hash(secret),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    if projects:
        token.projects.set(projects)
    return token, secret


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token; later requests with it get 401."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
    return token
