"""seed_demo: idempotent, same credentials on every run, one project with the 50 sample items."""

from __future__ import annotations

import json
import stat
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from annotator.models import Annotation, ImportJob, Item, Project, ProjectMembership

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_twice_gives_one_project_and_the_same_credentials():
    first = seed()
    path = Path(settings.VAR_DIR) / "demo_credentials.json"
    stored = json.loads(path.read_text())
    second = seed()

    assert first == second
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == stored
    assert set(stored) == {"admin", "annotator", "reviewer", "researcher"}
    for name, password in stored.items():
        assert f"  {name:<11} {password}" in first
        assert get_user_model().objects.get(username=name).check_password(password)

    (project,) = Project.objects.filter(name="QA-FEEDBACK demo")
    assert f"(id {project.pk})" in first
    assert "Items: 50" in first
    assert (project.overlap, Item.objects.filter(project=project).count()) == (2, 50)
    assert "# Long-form question answering" in project.guidelines
    roles = dict(
        ProjectMembership.objects.filter(project=project).values_list("user__username", "role")
    )
    assert roles == {"admin": "admin", "annotator": "annotator", "reviewer": "reviewer",
                     "researcher": "researcher"}  # fmt: skip
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_staff
    assert admin.is_superuser
    assert project.taxonomies.get().status == "published"
    assert project.rubrics.get().criteria.count() == 4
    assert Annotation.objects.filter(project=project).count() == 50
    assert ImportJob.objects.filter(project=project, status="succeeded").count() == 1
