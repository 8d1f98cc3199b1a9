"""``manage.py seed_demo``: a ready-to-use demo project with QA-FEEDBACK data and four users.

Idempotent: users are created once with random passwords, kept in
``VAR_DIR/demo_credentials.json`` (mode 0600) so every run prints the same ones; the project
is found again by name; the taxonomy and rubric are published once; the sample is imported
only into an empty project (the importer is idempotent anyway).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand
from django.db import transaction

from annotator.importers.qa_feedback import qa_feedback_error_types, qa_feedback_rubric_criteria
from annotator.models import Project, ProjectMembership, Rubric, Taxonomy
from annotator.services.imports import import_job_create
from annotator.services.projects import project_create, project_member_set
from annotator.services.taxonomy import (
    rubric_draft_create,
    rubric_publish,
    rubric_set_criteria,
    taxonomy_draft_create,
    taxonomy_publish,
    taxonomy_set_error_types,
)

PROJECT_NAME = "QA-FEEDBACK demo"
SAMPLE = Path(__file__).resolve().parents[2] / "demo" / "qa_feedback_sample.json"
Role = ProjectMembership.Role
USERS = {
    "admin": Role.ADMIN,
    "annotator": Role.ANNOTATOR,
    "reviewer": Role.REVIEWER,
    "researcher": Role.RESEARCHER,
}
GUIDELINES = """\
# Long-form question answering (QA-FEEDBACK)

Each item is a question with up to four Wikipedia passages and four model answers. The
questions are ambiguous (from ASQA): a good answer covers every interpretation that the
passages support, and says nothing the passages do not.

## What to label

**Response 1** — mark error spans, the smallest span that holds the error:

| key | error | when |
| --- | --- | --- |
| 1 | Irrelevant | not about the question |
| 2 | Redundant | repeats something said before |
| 3 | Incoherent | ungrammatical, unfinished or nonsensical |
| 4 | Unverifiable | a fact the passages do not support |
| 5 | Wrong-Grounding | a fact that contradicts the passages |

Then add **missing information** (keys 6-8): an answer, or major or minor supporting facts,
that the passages give but the response leaves out. Point at the passage and sentences.

**All four responses** — compare them pairwise: which one is better overall, or a tie.

## Tips

- Read the passages first; judge facts only against them, not against what you know.
- Label each error once, with the most specific type.
- The crowd's labels from the QA-FEEDBACK paper (Wu et al. 2023) are already loaded as one
  annotation per item, by the user `qa-feedback-annotators`.
"""


def _credentials() -> tuple[dict[str, str], set[str]]:
    """Passwords from the credentials file, generating (and saving) missing ones; return the
    passwords and the names whose password was generated now."""
    path = Path(settings.VAR_DIR) / "demo_credentials.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    missing = [name for name in USERS if not stored.get(name)]
    for name in missing:
        stored[name] = secrets.token_urlsafe(12)
    if missing:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(stored, fh, indent=2)
        os.replace(tmp, path)
    path.chmod(0o600)
    return stored, set(missing)


def _users(passwords: dict[str, str], fresh: set[str]) -> dict[str, Any]:
    """Create the demo users; reset a password only when it was generated in this run."""
    users = {}
    for name in USERS:
        user, created = get_user_model().objects.get_or_create(username=name)
        if created or name in fresh:
            user.set_password(passwords[name])
        if name == "admin":
            user.is_staff = user.is_superuser = True
        user.save()
        users[name] = user
    return users


def _publish_taxonomy(project: Project) -> None:
    if project.taxonomies.filter(status=Taxonomy.Status.PUBLISHED).exists():
        return
    draft = project.taxonomies.filter(status=Taxonomy.Status.DRAFT).first()
    draft = draft or taxonomy_draft_create(project=project)
    taxonomy_set_error_types(taxonomy=draft, error_types=qa_feedback_error_types())
    taxonomy_publish(taxonomy=draft)


def _publish_rubric(project: Project) -> None:
    if project.rubrics.filter(status=Rubric.Status.PUBLISHED).exists():
        return
    draft = project.rubrics.filter(status=Rubric.Status.DRAFT).first()
    draft = draft or rubric_draft_create(project=project)
    rubric_set_criteria(rubric=draft, criteria=qa_feedback_rubric_criteria())
    rubric_publish(rubric=draft)


class Command(BaseCommand):
    help = "Create (or find) the QA-FEEDBACK demo project, its users and data."

    def handle(self, *args: Any, **options: Any) -> None:
        passwords, fresh = _credentials()
        with transaction.atomic():
            users = _users(passwords, fresh)
            project = Project.objects.filter(name=PROJECT_NAME).order_by("id").first()
            if project is None:
                project = project_create(
                    name=PROJECT_NAME,
                    created_by=users["admin"],
                    description="50 questions from QA-FEEDBACK (Wu et al. 2023) with their "
                    "fine-grained human feedback.",
                    guidelines=GUIDELINES,
                    overlap=2,
                )
            for name, role in USERS.items():
                project_member_set(project=project, username=name, role=role)
            _publish_taxonomy(project)
            _publish_rubric(project)
        if not project.items.exists():
            with SAMPLE.open("rb") as fh:
                import_job_create(
                    project=project,
                    created_by=users["admin"],
                    upload=File(fh, name=SAMPLE.name),
                    format="qa-feedback",
                    run_inline=True,
                )
        self.stdout.write(f"Demo project: {project.name} (id {project.pk})")
        self.stdout.write(f"Items: {project.items.count()}")
        self.stdout.write(f"Users (passwords kept in {settings.VAR_DIR}/demo_credentials.json):")
        for name, role in USERS.items():
            self.stdout.write(f"  {name:<11} {passwords[name]:<18} {role}")
