"""Import PRM800K lines (``snapshots.importers.prm800k``): items, steps responses, and one
human annotation of step labels per line, all or nothing.

Items go through the annotator's ``items_import`` (idempotent on ``external_id``); the
annotations are written here, because the annotator's import writes QA-FEEDBACK
annotations only. A line's annotation is authored by an inactive user per labeler UUID
(``prm800k-<uuid>``), status submitted; re-importing the same line is a no-op (its
``client_id`` is derived from the line).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotator.importers.errors import LineErrors, Where
from annotator.importers.parse import ParsedUpload
from annotator.importers.readers import decode_utf8, jsonl_records
from annotator.models import Annotation, Item, Project, StepLabel
from annotator.services.imports import ImportRejected, items_import
from snapshots.importers.prm800k import Prm800kAnnotation, prm800k_record

NAMESPACE = uuid.UUID("0b6c6b8e-3d7e-4f8e-bb0c-6a2f4f9a8e11")
BATCH = 1000


@dataclass
class Prm800kImportResult:
    items_created: int
    items_unchanged: int
    annotations_created: int


def _authors(labelers: Iterable[str]) -> dict[str, Any]:
    users = {}
    model = get_user_model()
    for labeler in sorted(set(labelers)):
        user, created = model.objects.get_or_create(
            username=f"prm800k-{labeler}"[:150], defaults={"is_active": False}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        users[labeler] = user
    return users


def _client_id(project: Project, entry: Prm800kAnnotation) -> uuid.UUID:
    meta = entry.metadata["prm800k"]
    key = f"{project.pk}:{entry.external_id}:{entry.labeler}:{meta.get('timestamp')}"
    return uuid.uuid5(NAMESPACE, key)


def prm800k_import(*, project: Project, data: bytes) -> Prm800kImportResult:
    """Import PRM800K JSON lines into ``project``; raise ImportRejected listing every bad line
    (nothing written). A second annotation by the same labeler on the same item (the same
    trajectory labelled twice) is an error: Finegrain keeps one annotation per person."""
    errors = LineErrors()
    parsed = ParsedUpload()
    annotations: list[Prm800kAnnotation] = []
    text = decode_utf8(data, errors)
    seen: dict[tuple[str, str], Where] = {}
    item_ids: set[str] = set()
    for where, value in jsonl_records(text or "", errors):
        parsed.total += 1
        item, annotation = prm800k_record(value, where, errors)
        if item is None or annotation is None:
            continue
        if item.external_id not in item_ids:  # labelers of one trajectory share its item
            item_ids.add(item.external_id)
            parsed.items.append(item)
        key = (annotation.external_id, annotation.labeler)
        if key in seen:
            errors.add(where, "labeler", f"This labeler already labelled this trajectory at "
                                         f"line {seen[key].line}.")  # fmt: skip
            continue
        seen[key] = where
        annotations.append(annotation)
    if errors:
        raise ImportRejected(errors.summary(), errors=errors.items)
    with transaction.atomic():
        counts = items_import(project=project, parsed=parsed)
        created = _write_annotations(project, annotations)
    return Prm800kImportResult(
        items_created=counts.created,
        items_unchanged=counts.unchanged,
        annotations_created=created,
    )


def _write_annotations(project: Project, entries: list[Prm800kAnnotation]) -> int:
    items = {
        item.external_id: item
        for item in Item.objects.filter(
            project=project, external_id__in=[e.external_id for e in entries]
        ).prefetch_related("responses")
    }
    authors = _authors(e.labeler for e in entries)
    client_ids = {_client_id(project, e) for e in entries}
    existing = set(
        Annotation.objects.filter(project=project, client_id__in=client_ids).values_list(
            "client_id", flat=True
        )
    )
    now = timezone.now()
    pending: list[tuple[Annotation, Prm800kAnnotation]] = []
    for entry in entries:
        client_id = _client_id(project, entry)
        if client_id in existing:
            continue
        pending.append((
            Annotation(
                project=project, item=items[entry.external_id], author=authors[entry.labeler],
                client_id=client_id, status=Annotation.Status.SUBMITTED, started_at=now,
                submitted_at=now, time_spent_ms=int(entry.metadata["prm800k"].get("total_time")
                                                   or 0),
                metadata=entry.metadata,
            ),
            entry,
        ))  # fmt: skip
    created = Annotation.objects.bulk_create([a for a, _ in pending], batch_size=BATCH)
    steps: list[StepLabel] = []
    for annotation, (_, entry) in zip(created, pending, strict=True):
        response = items[entry.external_id].responses.all()[0]
        steps.extend(
            StepLabel(annotation=annotation, response=response, step_index=i, rating=rating)
            for i, rating in enumerate(entry.ratings)
            if rating is not None
        )
    StepLabel.objects.bulk_create(steps, batch_size=BATCH)
    for annotation in created:
        Item.objects.filter(pk=annotation.item_id).update(
            annotation_count=F("annotation_count") + 1
        )
    return len(created)
