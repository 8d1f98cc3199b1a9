"""Snapshots: request one (a row and a queued build), and build it (one consistent read).

Files live in ``MEDIA_ROOT/snapshots/<project>/<snapshot>-<random>/``.

Life of a snapshot: ``snapshot_create`` validates the filters, creates the DatasetSnapshot
and its SnapshotJob (QUEUED) and enqueues ``snapshots.snapshot_build`` on commit.
``snapshot_build`` claims the job (QUEUED → RUNNING), reads the selected annotations in one
consistent transaction (``consistency.consistent_read``), applies the aggregation policy
and streams ``records.jsonl`` into a temporary folder, writes ``manifest.json``, moves the
folder into place and marks the job SUCCEEDED. From then on the snapshot never changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from annotator.models import Annotation, ErrorType, Judge, Project
from core.exceptions import ApplicationError
from core.records import SNAPSHOT_FORMAT_VERSION, SnapshotRecord
from snapshots.aggregation import consensus, majority
from snapshots.formats.writers import dumps_line
from snapshots.models import DatasetSnapshot, SnapshotJob
from snapshots.selectors.records import (
    ReadStats,
    snapshot_annotations,
    snapshot_records_read,
    snapshot_vocabularies,
)
from snapshots.services.consistency import ProgressWriter, consistent_read
from snapshots.tasks import snapshot_build as snapshot_build_task

Status = SnapshotJob.Status
Aggregation = DatasetSnapshot.Aggregation
RECORDS_FILE = "records.jsonl"
MANIFEST_FILE = "manifest.json"
DEFAULT_STATUSES = [Annotation.Status.SUBMITTED, Annotation.Status.ACCEPTED]
AUTHOR_CHOICES = ("all", "humans", "judges")
STALE_AFTER = timedelta(minutes=10)
WRITE_BUFFER = 1 << 20


def _when(value: Any, field: str) -> str | None:
    if value in (None, ""):
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
    if parsed is None:
        raise ApplicationError("Must be an ISO 8601 date-time.", field=f"filters.{field}")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed.astimezone(UTC).isoformat()


def snapshot_filters_normalise(*, project: Project, filters: Mapping[str, Any]) -> dict:
    """Check filters against the project and return them in stored form (lists sorted,
    dates ISO 8601 UTC, defaults filled in). Raises ApplicationError naming the field."""
    unknown = set(filters) - {"statuses", "authors", "usernames", "judge_ids", "created_after",
                              "created_before", "error_types"}  # fmt: skip
    if unknown:
        raise ApplicationError(f"Unknown filter {sorted(unknown)[0]!r}.", field="filters")
    statuses = sorted(set(filters.get("statuses") or DEFAULT_STATUSES))
    bad = [s for s in statuses if s not in Annotation.Status.values]
    if bad:
        raise ApplicationError(f"Unknown status {bad[0]!r}; valid: "
                               f"{', '.join(Annotation.Status.values)}.",
                               field="filters.statuses")  # fmt: skip
    authors = filters.get("authors") or "all"
    if authors not in AUTHOR_CHOICES:
        raise ApplicationError(f"Unknown authors {authors!r}; valid: {', '.join(AUTHOR_CHOICES)}.",
                               field="filters.authors")  # fmt: skip
    usernames = sorted(set(filters.get("usernames") or []))
    known_users = set(
        get_user_model().objects.filter(username__in=usernames).values_list("username", flat=True)
    )
    if set(usernames) - known_users:
        missing = sorted(set(usernames) - known_users)[0]
        raise ApplicationError(f"No user {missing!r}.", field="filters.usernames")
    judge_ids = sorted(set(filters.get("judge_ids") or []))
    known_judges = set(
        Judge.objects.filter(project=project, pk__in=judge_ids).values_list("pk", flat=True)
    )
    if set(judge_ids) - known_judges:
        missing_judge = sorted(set(judge_ids) - known_judges)[0]
        raise ApplicationError(f"No judge {missing_judge} in this project.",
                               field="filters.judge_ids")  # fmt: skip
    error_types = sorted(set(filters.get("error_types") or []))
    known_types = set(
        ErrorType.objects.filter(taxonomy__project=project, key__in=error_types).values_list(
            "key", flat=True
        )
    )
    if set(error_types) - known_types:
        missing_type = sorted(set(error_types) - known_types)[0]
        raise ApplicationError(f"Unknown error type {missing_type!r} in this project's "
                               "taxonomies.", field="filters.error_types")  # fmt: skip
    after = _when(filters.get("created_after"), "created_after")
    before = _when(filters.get("created_before"), "created_before")
    if after and before and after >= before:
        raise ApplicationError("created_after must be before created_before.",
                               field="filters.created_after")  # fmt: skip
    return {"statuses": statuses, "authors": authors, "usernames": usernames,
            "judge_ids": judge_ids, "created_after": after, "created_before": before,
            "error_types": error_types}  # fmt: skip


def snapshot_create(
    *,
    project: Project,
    created_by: Any,
    filters: Mapping[str, Any] | None = None,
    aggregation: str = Aggregation.ALL,
    name: str = "",
    enqueue: bool = True,
) -> DatasetSnapshot:
    """Create a snapshot request (its job QUEUED) and enqueue its build on commit (unless
    ``enqueue`` is false: the caller then runs ``snapshot_build`` itself).

    An empty selection is allowed: it builds a valid snapshot with no records.
    """
    if aggregation not in Aggregation.values:
        valid = ", ".join(Aggregation.values)
        raise ApplicationError(
            f"Unknown aggregation {aggregation!r}; valid: {valid}.", field="aggregation"
        )
    normalised = snapshot_filters_normalise(project=project, filters=filters or {})
    if aggregation == Aggregation.REVIEWED:
        # Reviewed only: the status filter narrows to accepted (empty if it excluded them).
        normalised["statuses"] = [s for s in normalised["statuses"] if s == "accepted"]
    with transaction.atomic():
        snapshot = DatasetSnapshot.objects.create(
            project=project, created_by=created_by, name=name, filters=normalised,
            aggregation=aggregation,
        )  # fmt: skip
        SnapshotJob.objects.create(snapshot=snapshot)
        if enqueue:
            snapshot_build_task.delay_on_commit(snapshot.pk)
    return snapshot


def _claim(snapshot_id: int) -> SnapshotJob | None:
    """QUEUED → RUNNING under a row lock; a RUNNING job with a stale heartbeat is taken over
    (the dead run left only a temporary folder, removed by the next run)."""
    now = timezone.now()
    with transaction.atomic():
        job = SnapshotJob.objects.select_for_update().filter(snapshot_id=snapshot_id).first()
        if job is None:
            return None
        stale = job.status == Status.RUNNING and (
            job.heartbeat_at is None or job.heartbeat_at < now - STALE_AFTER
        )
        if job.status != Status.QUEUED and not stale:
            return None
        job.status = Status.RUNNING
        job.started_at = job.heartbeat_at = now
        job.attempts += 1
        job.save(update_fields=["status", "started_at", "heartbeat_at", "attempts", "updated_at"])
    return job


@cache
def code_version() -> str:
    """The git commit of the running code (``FINEGRAIN_CODE_VERSION`` overrides)."""
    if os.environ.get("FINEGRAIN_CODE_VERSION"):
        return os.environ["FINEGRAIN_CODE_VERSION"]
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607
            cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=5, check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def snapshot_directory(snapshot: DatasetSnapshot) -> Path:
    """A new folder name for the snapshot's files. The random suffix keeps two databases that
    share a MEDIA_ROOT (a test run beside ``make run``) from ever writing the same folder."""
    name = f"{snapshot.pk}-{uuid.uuid4().hex[:12]}"
    return Path(settings.MEDIA_ROOT) / "snapshots" / str(snapshot.project_id) / name


def _aggregated(records: Iterator[SnapshotRecord], policy: str, dropped: dict[str, int]):
    for record in records:
        if policy == Aggregation.MAJORITY:
            record, regions = majority(record)
            dropped["regions"] += regions
        elif policy == Aggregation.CONSENSUS:
            record, regions = consensus(record)
            dropped["regions"] += regions
        yield record


def _write_records(snapshot: DatasetSnapshot, job: SnapshotJob, folder: Path) -> dict[str, Any]:
    """The consistent read: stream records into ``folder/records.jsonl``; return the facts
    the manifest needs. Runs the selected annotations' count and every query in one
    transaction."""
    stats = ReadStats()
    dropped = {"regions": 0}
    digest = hashlib.sha256()
    size = records = 0
    filters = {**snapshot.filters, "project_id": snapshot.project_id}
    with consistent_read() as owned:
        progress = ProgressWriter(job.pk, separate=owned)
        try:
            taken_at = timezone.now()
            total = snapshot_annotations(filters).count()
            progress(0, total, force=True)
            read = snapshot_records_read(
                project=snapshot.project, filters=filters, stats=stats, on_progress=progress
            )
            with (folder / RECORDS_FILE).open("wb", buffering=WRITE_BUFFER) as fh:
                for record in _aggregated(read, snapshot.aggregation, dropped):
                    line = dumps_line(record)
                    fh.write(line)
                    digest.update(line)
                    size += len(line)
                    records += 1
            vocabularies = snapshot_vocabularies(
                taxonomy_ids=sorted(stats.taxonomy_ids), rubric_ids=sorted(stats.rubric_ids)
            )
            progress(stats.annotations, total, force=True)
        finally:
            progress.close()
    return {"taken_at": taken_at, "stats": stats, "dropped": dropped, "sha256":
            digest.hexdigest(), "bytes": size, "records": records, **vocabularies}  # fmt: skip


def _manifest(snapshot: DatasetSnapshot, facts: Mapping[str, Any]) -> dict[str, Any]:
    stats: ReadStats = facts["stats"]
    return {
        "snapshot_format_version": SNAPSHOT_FORMAT_VERSION,
        "snapshot_id": snapshot.pk,
        "project_id": snapshot.project_id,
        "name": snapshot.name,
        "created_by": snapshot.created_by.get_username() if snapshot.created_by else None,
        "created_at": snapshot.created_at.isoformat(),
        "taken_at": facts["taken_at"].isoformat(),
        "code_version": code_version(),
        "filters": snapshot.filters,
        "aggregation": snapshot.aggregation,
        "counts": {
            "records": facts["records"],
            "items": stats.items,
            "annotations": stats.annotations,
            **stats.units,
            "dropped_by_aggregation": facts["dropped"],
        },
        "taxonomies": facts["taxonomies"],
        "rubrics": facts["rubrics"],
        "files": [
            {
                "name": RECORDS_FILE,
                "bytes": facts["bytes"],
                "sha256": facts["sha256"],
                "records": facts["records"],
            }
        ],
    }


def _finish(job: SnapshotJob, status: str, **fields: Any) -> SnapshotJob:
    now = timezone.now()
    values = {"status": status, "finished_at": now, "heartbeat_at": now, **fields}
    for name, value in values.items():
        setattr(job, name, value)
    job.save(update_fields=[*values, "updated_at"])
    return job


def snapshot_build(*, snapshot_id: int) -> SnapshotJob:
    """Build a queued snapshot to SUCCEEDED or FAILED and return its job.

    Idempotent: a job that another delivery claimed, or that finished, is returned as it is.
    Side effects: files under ``MEDIA_ROOT/snapshots/<project>/<snapshot>-<random>/``
    (read-only once written), the snapshot's manifest fields, the job's progress. A failure
    marks the job FAILED with the error and re-raises.
    """
    job = _claim(snapshot_id)
    if job is None:
        return SnapshotJob.objects.get(snapshot_id=snapshot_id)
    snapshot = DatasetSnapshot.objects.select_related("created_by", "project").get(pk=snapshot_id)
    final = snapshot_directory(snapshot)
    folder = final.with_name(f".{final.name}.tmp-{uuid.uuid4().hex}")
    folder.mkdir(parents=True)
    try:
        facts = _write_records(snapshot, job, folder)
        manifest = _manifest(snapshot, facts)
        (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        for path in folder.iterdir():
            path.chmod(0o444)
        os.replace(folder, final)
        with transaction.atomic():
            updated = DatasetSnapshot.objects.filter(pk=snapshot.pk, sha256="").update(
                taken_at=facts["taken_at"], directory=str(final.relative_to(settings.MEDIA_ROOT)),
                sha256=facts["sha256"], manifest=manifest, counts=manifest["counts"],
                record_count=facts["records"], updated_at=timezone.now(),
            )  # fmt: skip
            if not updated:
                raise ApplicationError("The snapshot was already built; it is immutable.")
            return _finish(job, Status.SUCCEEDED, processed=facts["stats"].annotations, error="")
    except BaseException as exc:
        shutil.rmtree(folder, ignore_errors=True)
        if final.exists():  # moved, but the row was not updated: the files are not the snapshot
            shutil.rmtree(final, ignore_errors=True)
        _finish(job, Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
