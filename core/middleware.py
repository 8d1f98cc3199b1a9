"""Middleware: JSON 413s for oversized bodies, and the Content-Security-Policy header."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

Handler = Callable[[HttpRequest], HttpResponse]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob: https:; connect-src 'self'; font-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


class BodySizeLimitMiddleware:
    """Answer 413 naming the limit before Django reads an oversized body."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "Content-Length is not a number."}, status=400)
        content_type = request.META.get("CONTENT_TYPE", "")
        limit = (
            settings.FINEGRAIN_MAX_UPLOAD
            if content_type.startswith("multipart/")
            else settings.FINEGRAIN_MAX_JSON_BODY
        )
        if length > limit:
            kind = "upload" if content_type.startswith("multipart/") else "request body"
            return JsonResponse(
                {
                    "detail": f"The {kind} is {length} bytes; the limit is {limit} bytes.",
                    "limit": limit,
                },
                status=413,
            )
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response
