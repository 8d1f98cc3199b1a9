"""A snapshot taken while writers keep changing labels is one consistent read.

Writer threads repeat one transaction: take an accepted annotation A and a submitted one B,
add one span to each and bump their versions, and swap their statuses. Every committed
state therefore has exactly K accepted annotations, and every annotation has
``version - 1`` spans. A snapshot of the accepted annotations must show both invariants; a
torn read (queries seeing different commits) would break them, or make the reader raise
TornRead. The reader's queries are spread out in time to give writers room in between.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import F

from annotator.models import Annotation, ErrorType, Judge, Response, SpanLabel
from snapshots.selectors import records as records_module
from snapshots.selectors.snapshots import snapshot_records
from snapshots.services.snapshots import snapshot_build, snapshot_create
from tests.factories import make_item, make_project, make_user

ITEMS = 12
WRITERS = 3
SNAPSHOTS = 4


def writer(stop: threading.Event, ids: list[int], error_type_id: int, done: list[int]) -> None:
    rng = random.Random()
    try:
        while not stop.is_set():
            with transaction.atomic():
                # Lock every row in id order: writers serialise instead of deadlocking.
                rows = Annotation.objects.select_for_update().filter(pk__in=ids).order_by("pk")
                state = list(rows.values_list("pk", "item_id", "status"))
                a, a_item, _ = rng.choice([r for r in state if r[2] == "accepted"])
                b, b_item, _ = rng.choice([r for r in state if r[2] == "submitted"])
                for pk, item_id in ((a, a_item), (b, b_item)):
                    response = Response.objects.get(item_id=item_id, index=0)
                    SpanLabel.objects.create(annotation_id=pk, response=response, start=0, end=5,
                                             error_type_id=error_type_id)  # fmt: skip
                    Annotation.objects.filter(pk=pk).update(version=F("version") + 1)
                Annotation.objects.filter(pk=a).update(status="submitted")
                Annotation.objects.filter(pk=b).update(status="accepted")
            done[0] += 1
            time.sleep(0.002)  # SQLite: let the snapshot's own bookkeeping take the write lock
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_snapshot_during_concurrent_writes_is_consistent(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    admin = make_user("alice")
    project = make_project(admin=admin)
    judge = Judge.objects.create(project=project, name="j")
    error_type_id = ErrorType.objects.get(taxonomy__project=project, key="irrelevant").pk
    ids = []
    for i in range(ITEMS):
        item = make_item(project, f"q{i}")
        for status in ("accepted", "submitted"):
            annotation = Annotation.objects.create(
                project=project, item=item, judge=judge, client_id=uuid.uuid4(), status=status
            )
            ids.append(annotation.pk)
    accepted_count = ITEMS

    original_init = records_module._Stream.__init__

    def slow_init(self: Any, rows: Any) -> None:
        original_init(self, rows)
        time.sleep(0.03)  # let writers commit between the snapshot's queries

    monkeypatch.setattr(records_module._Stream, "__init__", slow_init)
    stop = threading.Event()
    done = [0]
    threads = [threading.Thread(target=writer, args=(stop, ids, error_type_id, done))
               for _ in range(WRITERS)]  # fmt: skip
    for thread in threads:
        thread.start()
    try:
        results = []
        for _ in range(SNAPSHOTS):
            before = done[0]
            snapshot = snapshot_create(project=project, created_by=admin, enqueue=False,
                                       filters={"statuses": ["accepted"]})  # fmt: skip
            job = snapshot_build(snapshot_id=snapshot.pk)
            assert job.status == "succeeded", job.error
            snapshot.refresh_from_db()
            results.append((snapshot, done[0] - before))
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert sum(writes for _, writes in results) > SNAPSHOTS, "writers made no progress"
    for snapshot, _ in results:
        annotations = [a for r in snapshot_records(snapshot) for a in r["annotations"]]
        assert len(annotations) == accepted_count
        assert {a["status"] for a in annotations} == {"accepted"}
        for annotation in annotations:
            assert len(annotation["spans"]) == annotation["version"] - 1, annotation["id"]
        assert snapshot.counts["spans"] == sum(a["version"] - 1 for a in annotations)
