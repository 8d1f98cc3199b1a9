"""Token authentication and scope checks.

``Authorization: Token fg_…`` (or ``Bearer``). A token's scopes gate methods: safe methods
need ``read``, unsafe ones ``write``; views that serve exports declare ``token_scope =
"export"``. Session-authenticated browser requests are not scope-limited (CSRF applies).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from annotator.models import ApiToken
from annotator.services.tokens import token_hash


@lru_cache(maxsize=4096)
def token_project_ids(token_id: int, created_at: datetime) -> frozenset[int]:
    """The projects a token is limited to (empty: all the user's). Fixed when the token is
    made (``api_token_create``; read-only in the admin), so each process reads them once:
    one query less on every token-authenticated request. Revocation is checked each time.
    ``created_at`` is part of the key, so a reused id (SQLite after a rollback) misses."""
    return frozenset(
        ApiToken.projects.through.objects.filter(apitoken_id=token_id).values_list(
            "project_id", flat=True
        )
    )


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keywords = (b"token", b"bearer")

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header must be 'Token <key>'.")
        try:
            secret = header[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(secret)).first()
        now = timezone.now()
        if token is None or token.revoked_at is not None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed("Token expired.")
        token.project_ids = token_project_ids(token.pk, token.created_at)  # type: ignore[attr-defined]
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return "Token"


def token_allows_project(request: Request, project_id: int) -> bool:
    token = request.auth
    if not isinstance(token, ApiToken):
        return True
    allowed: frozenset[int] = token.project_ids  # type: ignore[attr-defined]
    return not allowed or project_id in allowed


class TokenScopePermission(permissions.BasePermission):
    message = "This token lacks the scope this request needs."

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        needed = getattr(view, "token_scope", None) or (
            "read" if request.method in permissions.SAFE_METHODS else "write"
        )
        if needed in token.scopes:
            return True
        self.message = f"This token lacks the {needed!r} scope."
        return False
