"""next-item: leases, overlap, resume, skip, expiry — and no over-assignment under threads."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from annotator.models import Assignment
from annotator.services.annotations import annotation_create
from annotator.services.assignments import (
    assignment_expire_stale,
    assignment_release,
    item_next_for_annotator,
)
from tests.concurrency import run_together
from tests.factories import make_item, make_project, make_user


@pytest.mark.django_db
def test_resumes_the_held_item_then_moves_on_after_submit(admin_user):
    project = make_project(admin=admin_user)
    first, second = make_item(project, "a"), make_item(project, "b")
    got, _lease = item_next_for_annotator(project=project, user=admin_user)
    assert got == first
    again, _ = item_next_for_annotator(project=project, user=admin_user)
    assert again == first  # resume, not a second lease

    annotation_create(item=first, author=admin_user, client_id=uuid.uuid4(), status="submitted")
    nxt, _ = item_next_for_annotator(project=project, user=admin_user)
    assert nxt == second
    assert Assignment.objects.get(item=first).status == Assignment.Status.COMPLETED


@pytest.mark.django_db
def test_overlap_limits_holders_and_expiry_frees_the_slot(admin_user):
    project = make_project(admin=admin_user, overlap=1)
    item = make_item(project, "only")
    bob = make_user("bob")
    assert item_next_for_annotator(project=project, user=admin_user)[0] == item
    assert item_next_for_annotator(project=project, user=bob) == (None, None)
    Assignment.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert assignment_expire_stale() == 1
    assert item_next_for_annotator(project=project, user=bob)[0] == item


@pytest.mark.django_db
def test_skip_releases_and_does_not_come_back(admin_user):
    project = make_project(admin=admin_user, overlap=1)
    a, b = make_item(project, "a"), make_item(project, "b")
    assert item_next_for_annotator(project=project, user=admin_user)[0] == a
    assert assignment_release(project=project, user=admin_user, item=a) == 1
    assert item_next_for_annotator(project=project, user=admin_user)[0] == b
    bob = make_user("bob")
    assert item_next_for_annotator(project=project, user=bob)[0] == a  # a is free again


@pytest.mark.django_db
def test_next_endpoint_returns_item_and_204_when_done(project, item, annotator_user, client_for):
    client = client_for(annotator_user)
    response = client.post(f"/api/v1/projects/{project.pk}/items/next/")
    assert response.status_code == 200
    assert response.json()["item"]["id"] == item.pk
    assert response.json()["item"]["responses"][0]["index"] == 0

    client.post(
        f"/api/v1/projects/{project.pk}/items/{item.pk}/annotations/",
        {"client_id": str(uuid.uuid4()), "status": "submitted"},
        format="json",
    )
    assert client.post(f"/api/v1/projects/{project.pk}/items/next/").status_code == 204


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("overlap", [1, 2])
def test_concurrent_annotators_never_exceed_overlap(overlap: int) -> None:
    """16 threads, each its own DB connection, race for 5 items."""
    admin = make_user("boss")
    project = make_project(admin=admin, overlap=overlap)
    items = [make_item(project, f"i{i}") for i in range(5)]
    users = [make_user(f"u{i}") for i in range(16)]

    def lease(user: Any) -> int | None:
        item, _ = item_next_for_annotator(project=project, user=user)
        return item.pk if item else None

    per_item: dict[int, int] = {}
    for item_id in run_together(lease, [(u,) for u in users]):
        if item_id is not None:
            per_item[item_id] = per_item.get(item_id, 0) + 1
    assert all(count <= overlap for count in per_item.values()), per_item
    # Every slot is used: 5 items x overlap, or everyone got one if there are fewer users.
    assert sum(per_item.values()) == min(len(users), len(items) * overlap)
    active = Assignment.objects.filter(status=Assignment.Status.ACTIVE)
    assert active.count() == sum(per_item.values())
    assert {i.pk for i in items} >= set(per_item)
