"""Imports: an upload becomes items (and, for QA-FEEDBACK, human annotations), all or nothing.

Life of an upload: ``import_job_create`` stores the file under ``MEDIA_ROOT/imports/`` and
creates an ImportJob (QUEUED); small files run at once, larger ones in the worker task
``annotator.import_job_execute``. ``import_job_execute`` claims the row, parses and validates
every line (``annotator.importers``), and only if nothing is wrong writes everything in one
transaction (``items_import``). The row carries progress, counts, errors and warnings.

Idempotent on ``external_id`` (unique per project): an identical item is left alone; a
changed item without annotations is updated (its responses replaced); a changed item that
has annotations is an error, because labels point into its stored text (DESIGN §2).
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from annotator.importers.errors import LineErrors
from annotator.importers.parse import FORMATS, ParsedUpload, format_from_name, parse_upload
from annotator.importers.qa_feedback import MISSING_TYPES, REQUIRED_KEYS, ImportedAnnotation
from annotator.importers.records import ItemRecord
from annotator.models import Annotation, ImportJob, Item, Project, Response
from annotator.selectors.taxonomy import (
    TaxonomyCatalog,
    rubric_catalog,
    rubric_published_latest,
    taxonomy_catalog,
    taxonomy_published_latest,
)
from annotator.services.annotations import UNIT_MODELS
from annotator.services.bulk import insert_rows, json_adapter, reserve_ids
from annotator.services.units import UnitRows, units_validate
from annotator.tasks import import_job_execute as import_job_execute_task
from annotator.tasks import item_statistics_refresh as item_statistics_refresh_task
from core.exceptions import ApplicationError, PayloadTooLarge

Status = ImportJob.Status
BATCH = 1000
CHUNK = 500  # ids per IN (...) query, well under SQLite's variable limit
STALE_AFTER = timedelta(minutes=10)
QA_FEEDBACK_USERNAME = "qa-feedback-annotators"
QA_FEEDBACK_NAMESPACE = uuid.UUID("6f2d1c0e-8a51-4f0e-9a57-3c1f4b2e7d10")
ITEM_FIELDS = ("prompt", "messages", "context", "metadata", "is_gold")
# In the order of ResponseRecord.key().
RESPONSE_FIELDS = (
    "kind",
    "text",
    "steps",
    "image_url",
    "image_width",
    "image_height",
    "model_name",
    "metadata",
)


class ImportRejected(ApplicationError):
    """The upload has errors; nothing was written. ``errors`` lists the first
    LineErrors.cap of them, ``count`` counts them all."""

    def __init__(
        self,
        message: str,
        *,
        errors: Sequence[Mapping[str, Any]],
        count: int = 0,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, errors=errors, extra=extra)
        self.count = max(count, len(self.errors))

    @classmethod
    def from_errors(cls, errors: LineErrors) -> ImportRejected:
        return cls(errors.summary(), errors=errors.items, count=errors.count)


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    annotations: int = 0


@dataclass
class _Plan:
    create: list[ItemRecord] = field(default_factory=list)
    update: list[tuple[ItemRecord, int]] = field(default_factory=list)
    unchanged: list[tuple[ItemRecord, int]] = field(default_factory=list)


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _plan(project: Project, records: Sequence[ItemRecord], errors: LineErrors) -> _Plan:
    """Sort records into create / update / unchanged with a few queries per CHUNK ids.

    Compares stored values (``values_list``, no model instances: re-importing 10,000
    unchanged items must stay fast) with ``ItemRecord.key``. Existing items are locked
    (PostgreSQL) so no annotation can start on an item while its responses are replaced.
    """
    stored: dict[str, tuple[int, tuple[Any, ...]]] = {}
    annotated: set[int] = set()
    # A project's first import (the common case) has nothing to compare: one query says so.
    # An item inserted meanwhile by another import still fails the unique constraint.
    empty = not Item.objects.filter(project=project).exists()
    for chunk in () if empty else _chunks([r.external_id for r in records]):
        rows = (
            Item.objects.select_for_update()
            .filter(project=project, external_id__in=chunk)
            .values_list("pk", "external_id", *ITEM_FIELDS)
        )
        items = {row[0]: row for row in rows}
        responses: dict[int, list[tuple[Any, ...]]] = {pk: [] for pk in items}
        ordered = Response.objects.filter(item_id__in=list(items)).order_by("item_id", "index")
        for row in ordered.values_list("item_id", *RESPONSE_FIELDS):
            responses[row[0]].append(row[1:])
        for pk, external_id, *values in items.values():
            stored[external_id] = (pk, (*values, responses[pk]))
        annotated.update(
            Annotation.objects.filter(item_id__in=list(items)).values_list("item_id", flat=True)
        )
    plan = _Plan()
    for record in records:
        found = stored.get(record.external_id)
        if found is None:
            plan.create.append(record)
        elif record.key() == found[1]:
            plan.unchanged.append((record, found[0]))
        elif found[0] in annotated:
            errors.add(
                record.where,
                "external_id",
                f"Item {record.external_id!r} exists with different content and has "
                "annotations; its stored text cannot change under existing labels. Import it "
                "under a new external_id.",
            )
        else:
            plan.update.append((record, found[0]))
    return plan


def _write_items(project: Project, plan: _Plan) -> dict[str, int]:
    """Insert and update items and their responses; return item ids by external_id."""
    _adapt_json = json_adapter()
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    # PostgreSQL hands out the new ids first (one query), so the rows go in with them and no
    # lookup by external_id follows; SQLite's are read back after the insert.
    reserved = reserve_ids(Item, len(plan.create))
    pks: Sequence[int | None] = reserved or [None] * len(plan.create)
    insert_rows(
        Item,
        ("id", "project", "external_id", *ITEM_FIELDS, "annotation_count", "created_at",
         "updated_at"),
        [
            (pk, project.pk, r.external_id, r.prompt, _adapt_json(r.messages),
             _adapt_json(r.context), _adapt_json(r.metadata), r.is_gold, 0, stamp, stamp)
            for pk, r in zip(pks, plan.create, strict=True)
        ],
    )  # fmt: skip
    ids: dict[str, int] = {}
    if reserved is not None:
        ids.update(zip((r.external_id for r in plan.create), reserved, strict=True))
    else:
        for chunk in _chunks([r.external_id for r in plan.create]):
            rows = Item.objects.filter(project=project, external_id__in=chunk)
            ids.update(rows.values_list("external_id", "pk"))
    if plan.update:
        updated = [
            Item(pk=pk, updated_at=now, **{name: getattr(record, name) for name in ITEM_FIELDS})
            for record, pk in plan.update
        ]
        Item.objects.bulk_update(updated, [*ITEM_FIELDS, "updated_at"], batch_size=BATCH)
        for chunk in _chunks([pk for _, pk in plan.update]):
            Response.objects.filter(item_id__in=chunk).delete()
        ids.update((record.external_id, pk) for record, pk in plan.update)
    insert_rows(
        Response,
        ("item", "index", *RESPONSE_FIELDS),
        [
            (ids[record.external_id], index, r.kind, r.text, _adapt_json(r.steps), r.image_url,
             r.image_width, r.image_height, r.model_name, _adapt_json(r.metadata))
            for record in (*plan.create, *(record for record, _ in plan.update))
            for index, r in enumerate(record.responses)
        ],
    )  # fmt: skip
    ids.update((record.external_id, pk) for record, pk in plan.unchanged)
    return ids


def _check_qa_taxonomy(project: Project) -> TaxonomyCatalog:
    taxonomy = taxonomy_published_latest(project=project)
    catalog = taxonomy_catalog(taxonomy=taxonomy) if taxonomy is not None else None
    missing = [key for key in REQUIRED_KEYS if catalog is None or key not in catalog.by_key]
    if catalog is None or missing:
        _reject_taxonomy(
            "QA-FEEDBACK labels need the project's published taxonomy to contain the error "
            f"types {', '.join(missing)} (see qa_feedback_error_types())."
        )
    assert catalog is not None
    for key in REQUIRED_KEYS:
        kind = "missing_info" if key in MISSING_TYPES.values() else "span"
        kinds = catalog.by_key[key].unit_kinds
        if kinds and kind not in kinds:
            _reject_taxonomy(f"Error type {key!r} of the published taxonomy must apply to {kind} "
                             "labels.")  # fmt: skip
    return catalog


def _reject_taxonomy(message: str) -> None:
    raise ImportRejected(message, errors=[{"line": None, "field": "taxonomy", "message": message}])


def _qa_feedback_author() -> Any:
    user, created = get_user_model().objects.get_or_create(
        username=QA_FEEDBACK_USERNAME, defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _write_annotations(
    project: Project,
    catalog: TaxonomyCatalog,
    imported: Sequence[ImportedAnnotation],
    ids: dict[str, int],
    errors: LineErrors,
) -> int:
    """Create the imported human annotations (one per item, skipped if already there).

    Units go through ``units_validate`` exactly as an API save would. Reports problems into
    ``errors`` and raises ImportRejected if there are any.
    """
    author = _qa_feedback_author()
    done: set[int] = set()
    for chunk in _chunks([ids[a.external_id] for a in imported]):
        existing = Annotation.objects.filter(author=author, item_id__in=chunk)
        done.update(existing.values_list("item_id", flat=True))
    todo = [a for a in imported if ids[a.external_id] not in done]
    items: dict[int, Item] = {}
    responses: dict[int, list[Response]] = {}
    for chunk in _chunks([ids[a.external_id] for a in todo]):
        items.update((item.pk, item) for item in Item.objects.filter(pk__in=chunk))
        for response in Response.objects.filter(item_id__in=chunk).order_by("item_id", "index"):
            responses.setdefault(response.item_id, []).append(response)
    rubric = rubric_published_latest(project=project)
    rubric_cat = rubric_catalog(rubric=rubric) if rubric is not None else None
    now = timezone.now()
    pending: list[tuple[Annotation, UnitRows]] = []
    for entry in todo:
        item = items[ids[entry.external_id]]
        try:
            rows = units_validate(
                item=item, responses=responses.get(item.pk, []), units=entry.units,
                taxonomy=catalog, rubric=rubric_cat,
            )  # fmt: skip
        except ApplicationError as exc:
            for error in exc.errors:
                errors.add(entry.where, f"annotation.{error['field']}", error["message"])
            continue
        annotation = Annotation(
            project=project, item=item, author=author, status=Annotation.Status.SUBMITTED,
            client_id=uuid.uuid5(QA_FEEDBACK_NAMESPACE, f"{project.pk}:{entry.external_id}"),
            taxonomy_id=catalog.taxonomy_id, rubric=rubric, started_at=now, submitted_at=now,
            metadata=entry.metadata,
        )  # fmt: skip
        pending.append((annotation, rows))
    if errors:
        raise ImportRejected.from_errors(errors)
    Annotation.objects.bulk_create([a for a, _ in pending], batch_size=BATCH)
    for name, model in UNIT_MODELS.items():
        units = []
        for annotation, rows in pending:
            for row in getattr(rows, name):
                row.annotation = annotation
                units.append(row)
        model.objects.bulk_create(units, batch_size=BATCH)
    # Submitted human annotations count towards overlap (Item.annotation_count).
    for chunk in _chunks([a.item_id for a, _ in pending]):
        Item.objects.filter(pk__in=chunk).update(annotation_count=F("annotation_count") + 1)
    return len(pending)


ANALYZE_AFTER = 1000  # rows written by one import before the planner's statistics refresh


def item_statistics_refresh() -> None:
    """Refresh PostgreSQL's statistics of the item and response tables after a bulk write:
    with the row counts of before an import, the planner picks scans that cost a page of
    items tens of milliseconds until autovacuum comes by. Runs as a task after the import
    commits (it reads the tables: ~0.4 s for 80,000 responses). SQLite keeps no statistics."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (Item, Response))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def items_import(*, project: Project, parsed: ParsedUpload) -> ImportCounts:
    """Write a validated upload: items, responses, imported annotations; all or nothing.

    Precondition: ``parsed.errors`` is empty. Raises ImportRejected (nothing written) when
    an item with annotations would change, or an imported label fails validation.
    """
    errors = LineErrors()
    catalog = _check_qa_taxonomy(project) if parsed.annotations else None
    try:
        with transaction.atomic():
            plan = _plan(project, parsed.items, errors)
            if errors:
                raise ImportRejected.from_errors(errors)
            ids = _write_items(project, plan)
            annotations = 0
            if catalog is not None:
                annotations = _write_annotations(project, catalog, parsed.annotations, ids, errors)
    except IntegrityError as exc:
        message = f"Another write changed these items at the same time ({exc}); import again."
        raise ImportRejected(message, errors=[_file_error(message)]) from exc
    if len(plan.create) + len(plan.update) >= ANALYZE_AFTER and connection.vendor == "postgresql":
        item_statistics_refresh_task.delay_on_commit()
    return ImportCounts(
        created=len(plan.create),
        updated=len(plan.update),
        unchanged=len(plan.unchanged),
        annotations=annotations,
    )


def import_job_create(
    *,
    project: Project,
    created_by: Any,
    upload: File,
    file_name: str | None = None,
    format: str | None = None,
    run_inline: bool | None = None,
) -> ImportJob:
    """Store an upload and create its ImportJob; run it now or enqueue it.

    ``format`` defaults to the one implied by the file name's extension. Uploads up to
    ``FINEGRAIN_IMPORT_INLINE_MAX_BYTES`` run inline (unless ``run_inline`` says otherwise):
    the job comes back SUCCEEDED, or ImportRejected is raised carrying the line errors (the
    FAILED job row stays as the record). Larger ones are enqueued on commit and come back
    QUEUED. Raises PayloadTooLarge above ``FINEGRAIN_MAX_UPLOAD``.
    """
    limit = settings.FINEGRAIN_MAX_UPLOAD
    size = upload.size or 0
    if size > limit:
        raise PayloadTooLarge(
            f"The upload is {size} bytes; the limit is {limit} bytes.",
            field="file",
            extra={"limit": limit},
        )
    name = (file_name or upload.name or "upload").rsplit("/", 1)[-1][:255]
    fmt = format or format_from_name(name)
    if fmt not in FORMATS:
        given = f"Unknown format {fmt!r}" if fmt else f"Cannot tell the format of {name!r}"
        raise ApplicationError(f"{given}; use one of {', '.join(FORMATS)}.", field="format")
    suffix = ".csv" if fmt == "csv" else ".jsonl" if fmt == "jsonl" else ".json"
    path = default_storage.save(f"imports/{project.pk}/{uuid.uuid4().hex}{suffix}", upload)
    job = ImportJob.objects.create(
        project=project,
        created_by=created_by,
        format=fmt,
        file_path=path,
        file_name=name,
        file_size=size,
    )
    inline = (
        size <= settings.FINEGRAIN_IMPORT_INLINE_MAX_BYTES if run_inline is None else run_inline
    )
    if not inline:
        import_job_execute_task.delay_on_commit(job.pk)
        return job
    job = import_job_execute(job_id=job.pk)
    if job.status == Status.FAILED:
        raise ImportRejected(
            _failure_detail(job), errors=job.errors, count=job.error_count, extra={"job_id": job.pk}
        )
    return job


def _failure_detail(job: ImportJob) -> str:
    errors = LineErrors(items=list(job.errors), count=max(job.error_count, len(job.errors)))
    return errors.summary()


def _claim(job_id: int) -> ImportJob | None:
    """QUEUED → RUNNING under a row lock; a RUNNING job whose heartbeat is stale is taken over
    (its writes were one transaction, so a dead run left nothing behind)."""
    now = timezone.now()
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return None
        stale = job.status == Status.RUNNING and (
            job.heartbeat_at is None or job.heartbeat_at < now - STALE_AFTER
        )
        if job.status != Status.QUEUED and not stale:
            return None
        job.status = Status.RUNNING
        job.started_at = job.heartbeat_at = now
        job.save(update_fields=["status", "started_at", "heartbeat_at", "updated_at"])
    return job


def _finish(job: ImportJob, status: str, **fields: Any) -> ImportJob:
    now = timezone.now()
    values = {"status": status, "finished_at": now, "heartbeat_at": now, **fields}
    for name, value in values.items():
        setattr(job, name, value)
    job.save(update_fields=[*values, "updated_at"])
    if job.file_path:
        default_storage.delete(job.file_path)
    return job


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while an upload becomes records and rows.

    Parsing allocates hundreds of thousands of long-lived dicts and lists; each automatic
    collection walks all of them, which doubled the time of a 10,000-item import. Reference
    counting still frees everything else; the collector runs again afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_job_execute(*, job_id: int) -> ImportJob:
    """Run a queued import to SUCCEEDED or FAILED and return the job.

    Idempotent: a job that is not QUEUED (another delivery claimed it, or it finished) is
    returned unchanged. Updates ``processed`` and ``heartbeat_at`` while validating; writes
    items in one transaction only if every line is valid. The upload file is deleted when
    the job ends.
    """
    job = _claim(job_id)
    if job is None:
        return ImportJob.objects.get(pk=job_id)

    def progress(count: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(processed=count, heartbeat_at=timezone.now())

    try:
        with default_storage.open(job.file_path, "rb") as fh:
            data = fh.read()
        with _gc_paused():
            parsed = parse_upload(data, job.format, on_progress=progress)
            if parsed.errors:
                raise ImportRejected.from_errors(parsed.errors)
            counts = items_import(project=job.project, parsed=parsed)
    except ImportRejected as exc:
        return _finish(job, Status.FAILED, total=parsed.total, processed=parsed.total,
                       errors=exc.errors, error_count=exc.count)  # fmt: skip
    except Exception:
        _finish(job, Status.FAILED, errors=[_file_error("Internal error; see the worker log.")])
        raise
    return _finish(
        job,
        Status.SUCCEEDED,
        total=parsed.total,
        processed=parsed.total,
        created_count=counts.created,
        updated_count=counts.updated,
        unchanged_count=counts.unchanged,
        annotations_count=counts.annotations,
        warnings=parsed.warnings.items,
        errors=[],
    )


def _file_error(message: str) -> dict[str, Any]:
    return {"line": None, "field": "", "message": message}
