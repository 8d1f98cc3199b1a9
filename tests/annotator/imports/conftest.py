"""Fixtures for import tests: uploads and demo files land in a temporary folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from annotator.importers.qa_feedback import qa_feedback_error_types, qa_feedback_rubric_criteria
from annotator.services.projects import project_create
from annotator.services.taxonomy import (
    rubric_draft_create,
    rubric_publish,
    rubric_set_criteria,
    taxonomy_draft_create,
    taxonomy_publish,
    taxonomy_set_error_types,
)


@pytest.fixture(autouse=True)
def _media_and_var(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def qa_project(admin_user: Any) -> Any:
    """A project with the QA-FEEDBACK taxonomy and rubric published."""
    project = project_create(name="QA", created_by=admin_user, overlap=2)
    taxonomy = taxonomy_draft_create(project=project)
    taxonomy_set_error_types(taxonomy=taxonomy, error_types=qa_feedback_error_types())
    taxonomy_publish(taxonomy=taxonomy)
    rubric = rubric_draft_create(project=project)
    rubric_set_criteria(rubric=rubric, criteria=qa_feedback_rubric_criteria())
    rubric_publish(rubric=rubric)
    return project
