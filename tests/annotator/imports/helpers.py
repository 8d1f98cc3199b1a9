"""Builders for upload files."""

from __future__ import annotations

import json
from typing import Any

from django.core.files.base import ContentFile

from annotator.models import ImportJob
from annotator.services.imports import import_job_create


def record(external_id: str, *texts: str, **extra: Any) -> dict[str, Any]:
    texts = texts or ("First answer.", "Second answer.")
    return {"external_id": external_id, "prompt": f"Question {external_id}?",
            "responses": [{"text": t} for t in texts], **extra}  # fmt: skip


def jsonl(*records: Any) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def run_import(
    project: Any, user: Any, content: bytes, name: str = "items.jsonl", **kwargs: Any
) -> ImportJob:
    """Import ``content`` inline through the service, as the API does for small files."""
    kwargs.setdefault("run_inline", True)
    return import_job_create(
        project=project, created_by=user, upload=ContentFile(content, name=name), **kwargs
    )
