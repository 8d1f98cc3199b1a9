"""Errors raised by services; core.handlers renders them as JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rest_framework import status


class ApplicationError(Exception):
    """A business rule failed. ``field`` names the offending input when there is one.

    As for validation errors, ``detail`` may start with the field ("config.x: must be…") while
    the entry in ``errors`` carries the message alone, next to its ``field``.
    """

    status_code: int = status.HTTP_400_BAD_REQUEST

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        errors: Sequence[Mapping[str, Any]] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        alone = message.removeprefix(f"{field}: ") if field else message
        self.errors = list(errors or ([{"field": field, "message": alone}] if field else []))
        self.extra = dict(extra or {})


class Conflict(ApplicationError):
    """A write lost an optimistic-concurrency race; ``extra["current"]`` holds the state."""

    status_code = status.HTTP_409_CONFLICT


class PayloadTooLarge(ApplicationError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
