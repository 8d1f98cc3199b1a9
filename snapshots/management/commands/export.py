"""``manage.py export``: write a snapshot in a format to a file (or stdout).

    manage.py export --snapshot 7 --format preference --param pairs=errors -o pairs.jsonl
    manage.py export --project 1 --aggregation majority --filters '{"authors": "humans"}' \\
        --format stepwise --param neutral=drop --file-type parquet -o steps.parquet

With ``--project`` a new snapshot is built first, in this process (no worker needed).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotator.models import Project
from core.exceptions import ApplicationError
from snapshots.formats import FILE_TYPES, FORMATS
from snapshots.models import DatasetSnapshot, SnapshotJob
from snapshots.services.exports import export_request_parse, export_stream, snapshot_require_ready
from snapshots.services.snapshots import snapshot_build, snapshot_create


class Command(BaseCommand):
    help = "Export a dataset snapshot in a format (building a new snapshot with --project)."

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--snapshot", type=int, help="An existing snapshot id.")
        source.add_argument("--project", type=int, help="Build a new snapshot of this project.")
        parser.add_argument(
            "--aggregation", default="all", help="all, majority, reviewed or consensus."
        )
        parser.add_argument("--filters", default="{}", help="Snapshot filters as JSON.")
        parser.add_argument("--format", required=True, help=", ".join(FORMATS))
        parser.add_argument("--file-type", default="jsonl", help=", ".join(FILE_TYPES))
        parser.add_argument(
            "--param", action="append", default=[], metavar="NAME=VALUE",
            help="A format parameter (repeatable), e.g. neutral=drop.",
        )  # fmt: skip
        parser.add_argument("-o", "--output", help="Output file (default: stdout).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            snapshot = self._snapshot(options)
            snapshot_require_ready(snapshot)
            query = {"format": options["format"], "file_type": options["file_type"]}
            for pair in options["param"]:
                name, sep, value = pair.partition("=")
                if not sep:
                    raise CommandError(f"--param takes NAME=VALUE, not {pair!r}.")
                query[name] = value
            export = export_request_parse(snapshot=snapshot, query=query)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        out = open(options["output"], "wb") if options["output"] else sys.stdout.buffer  # noqa: SIM115
        size = 0
        try:
            for chunk in export_stream(snapshot, export):
                out.write(chunk)
                size += len(chunk)
        finally:
            if options["output"]:
                out.close()
        self.stderr.write(f"snapshot {snapshot.pk} ({snapshot.sha256[:12]}): {size} bytes of "
                          f"{export.format.name} {export.file_type}")  # fmt: skip

    def _snapshot(self, options: dict[str, Any]) -> DatasetSnapshot:
        if options["snapshot"] is not None:
            snapshot = (
                DatasetSnapshot.objects.select_related("job").filter(pk=options["snapshot"]).first()
            )
            if snapshot is None:
                raise CommandError(f"No snapshot {options['snapshot']}.")
            return snapshot
        project = Project.objects.filter(pk=options["project"]).first()
        if project is None:
            raise CommandError(f"No project {options['project']}.")
        try:
            filters = json.loads(options["filters"])
        except json.JSONDecodeError as exc:
            raise CommandError(f"--filters is not JSON: {exc}") from exc
        snapshot = snapshot_create(
            project=project, created_by=None, filters=filters,
            aggregation=options["aggregation"], enqueue=False,
        )  # fmt: skip
        job = snapshot_build(snapshot_id=snapshot.pk)
        if job.status != SnapshotJob.Status.SUCCEEDED:
            raise CommandError(f"Snapshot {snapshot.pk} failed: {job.error}")
        self.stderr.write(f"built snapshot {snapshot.pk}: {job.processed} annotations")
        return DatasetSnapshot.objects.select_related("job").get(pk=snapshot.pk)
