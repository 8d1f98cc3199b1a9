"""Taxonomy and rubric versions: draft → publish, frozen afterwards, labels pin versions."""

from __future__ import annotations

import uuid

import pytest

from annotator.models import Annotation
from tests.factories import ERROR_TYPES

pytestmark = pytest.mark.django_db


def test_new_draft_copies_latest_and_publish_freezes(project, admin_user, client_for):
    client = client_for(admin_user)
    base = f"/api/v1/projects/{project.pk}/taxonomies/"
    draft = client.post(base).json()
    assert draft["version"] == 2
    assert draft["status"] == "draft"
    assert [et["key"] for et in draft["error_types"]] == [et["key"] for et in ERROR_TYPES]
    assert client.post(base).status_code == 400  # one draft at a time
    types = draft["error_types"] + [{"key": "redundant", "name": "Redundant", "hotkey": "9"}]
    updated = client.put(f"{base}{draft['id']}/", {"error_types": types}, format="json")
    assert updated.status_code == 200
    assert updated.json()["error_types"][-1]["unit_kinds"] == ["span"]
    published = client.post(f"{base}{draft['id']}/publish/")
    assert published.json()["status"] == "published"
    frozen = client.put(f"{base}{draft['id']}/", {"error_types": types[:1]}, format="json")
    assert frozen.status_code == 400
    assert "frozen" in frozen.json()["detail"]


def test_duplicate_hotkey_is_named(project, admin_user, client_for):
    client = client_for(admin_user)
    base = f"/api/v1/projects/{project.pk}/taxonomies/"
    draft = client.post(base).json()
    types = [{"key": "a", "name": "A", "hotkey": "1"}, {"key": "b", "name": "B", "hotkey": "1"}]
    response = client.put(f"{base}{draft['id']}/", {"error_types": types}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "error_types[1].hotkey"


def test_labels_pin_the_version_they_were_made_under(
    project, item, admin_user, annotator_user, client_for
):
    admin = client_for(admin_user)
    base = f"/api/v1/projects/{project.pk}/taxonomies/"
    anna = client_for(annotator_user)
    first = anna.post(
        f"/api/v1/projects/{project.pk}/items/{item.pk}/annotations/",
        {
            "client_id": str(uuid.uuid4()),
            "spans": [{"response": 0, "start": 0, "end": 5, "error_type": "irrelevant"}],
        },
        format="json",
    ).json()
    draft = admin.post(base).json()
    admin.put(
        f"{base}{draft['id']}/",
        {"error_types": [{"key": "new-kind", "name": "New"}]},
        format="json",
    )
    admin.post(f"{base}{draft['id']}/publish/")
    # The existing annotation keeps validating against v1 ...
    kept = anna.put(
        f"/api/v1/projects/{project.pk}/annotations/{first['id']}/",
        {
            "version": 1,
            "spans": [{"response": 0, "start": 0, "end": 5, "error_type": "irrelevant"}],
        },
        format="json",
    )
    assert kept.status_code == 200
    assert kept.json()["taxonomy_version"] == 1
    # ... while new annotations pin v2, where "irrelevant" no longer exists.
    assert Annotation.objects.get().taxonomy.version == 1


def test_non_admin_cannot_edit_taxonomy(project, annotator_user, client_for):
    response = client_for(annotator_user).post(f"/api/v1/projects/{project.pk}/taxonomies/")
    assert response.status_code == 403


def test_rubric_levels_need_two_distinct_values(project, admin_user, client_for):
    client = client_for(admin_user)
    base = f"/api/v1/projects/{project.pk}/rubrics/"
    draft = client.post(base).json()
    criteria = [{"key": "c", "name": "C", "levels": [{"value": 1}, {"value": 1}]}]
    response = client.put(f"{base}{draft['id']}/", {"criteria": criteria}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "criteria[0].levels"


def test_members_keep_one_admin(project, admin_user, client_for):
    client = client_for(admin_user)
    members = client.get(f"/api/v1/projects/{project.pk}/members/").json()
    admin_row = next(m for m in members if m["username"] == "alice")
    demote = client.post(
        f"/api/v1/projects/{project.pk}/members/",
        {"username": "alice", "role": "annotator"},
        format="json",
    )
    assert demote.status_code == 400
    removed = client.delete(f"/api/v1/projects/{project.pk}/members/{admin_row['id']}/")
    assert removed.status_code == 400
    added = client.post(
        f"/api/v1/projects/{project.pk}/members/",
        {"username": "oscar", "role": "annotator"},
        format="json",
    )
    assert added.status_code == 400  # oscar does not exist in this test
