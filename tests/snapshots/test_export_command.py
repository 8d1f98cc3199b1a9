"""``manage.py export``: a snapshot (existing, or built on the spot) in a format, to a file."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from snapshots.models import DatasetSnapshot

pytestmark = pytest.mark.django_db


def test_export_builds_a_snapshot_and_writes_the_format(project, labelled, tmp_path):
    out = tmp_path / "steps.jsonl"
    call_command("export", "--project", str(project.pk), "--format", "stepwise",
                 "--param", "neutral=drop", "-o", str(out))  # fmt: skip
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines == [{"prompt": "When was it released?", "completions": ["a = 1", "a + b = 4"],
                      "labels": [True, False], "item_external_id": "q1", "response_index": 2,
                      "annotation_id": lines[0]["annotation_id"]}]  # fmt: skip
    snapshot = DatasetSnapshot.objects.get()
    again = tmp_path / "again.parquet"
    call_command("export", "--snapshot", str(snapshot.pk), "--format", "spans",
                 "--file-type", "parquet", "-o", str(again))  # fmt: skip
    assert again.read_bytes()[:4] == b"PAR1"


def test_export_reports_bad_params(project, labelled, tmp_path):
    with pytest.raises(CommandError, match="neutral is required"):
        call_command("export", "--project", str(project.pk), "--format", "stepwise",
                     "-o", str(tmp_path / "x"))  # fmt: skip
    with pytest.raises(CommandError, match="No snapshot"):
        call_command("export", "--snapshot", "999", "--format", "raw")
