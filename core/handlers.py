"""The single DRF exception handler.

Every error body is JSON with a ``detail`` string; validation errors also carry ``errors``,
a flat list of ``{"field": "spans[0].end", "message": ...}`` so a client can point at the
exact field (or ``line`` for uploads).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import ApplicationError


def flatten_errors(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn DRF's nested error detail into ``[{"field": "a.b[0].c", "message": ...}]``."""
    out: list[dict[str, str]] = []
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            if key == "non_field_errors":
                name = prefix
            elif isinstance(key, int):  # ListSerializer/ListField errors keyed by position
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten_errors(value, name))
    elif isinstance(detail, list | tuple):
        if all(isinstance(v, str) for v in detail):
            out.extend({"field": prefix, "message": str(v)} for v in detail)
        else:
            for index, value in enumerate(detail):
                if value:
                    out.extend(flatten_errors(value, f"{prefix}[{index}]"))
    else:
        out.append({"field": prefix, "message": str(detail)})
    return out


def error_body(
    message: str, errors: Sequence[Mapping[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": message}
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def _summary(errors: list[dict[str, str]]) -> str:
    first = errors[0]
    where = first.get("field") or first.get("line")
    return f"{where}: {first['message']}" if where not in (None, "") else first["message"]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        body = error_body(exc.message, exc.errors, **exc.extra)
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            errors = flatten_errors(exc.message_dict)
        else:
            errors = [{"field": "", "message": m} for m in exc.messages]
        return Response(error_body(_summary(errors), errors), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        if not errors:
            errors = [{"field": "", "message": "Invalid input."}]
        return Response(error_body(_summary(errors), errors), status=400)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, Mapping) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    return response
