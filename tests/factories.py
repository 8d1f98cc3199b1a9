"""Builders for test data, going through the services so tests see real invariants."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from annotator.models import Item, Project, Response
from annotator.services.projects import project_create, project_member_set
from annotator.services.taxonomy import (
    rubric_draft_create,
    rubric_publish,
    rubric_set_criteria,
    taxonomy_draft_create,
    taxonomy_publish,
    taxonomy_set_error_types,
)

ERROR_TYPES = [
    {
        "key": "irrelevant",
        "name": "Irrelevant",
        "hotkey": "1",
        "color": "#1f77b4",
        "severity_levels": ["minor", "major"],
        "unit_kinds": ["span", "step"],
    },
    {
        "key": "wrong-grounding",
        "name": "Wrong-Grounding",
        "hotkey": "2",
        "color": "#ff7f0e",
        "unit_kinds": ["span", "region"],
    },
    {
        "key": "missing-answer",
        "name": "Missing-Answer",
        "hotkey": "3",
        "color": "#2ca02c",
        "unit_kinds": ["missing_info"],
    },
]
CRITERIA = [
    {
        "key": "factuality",
        "name": "Factuality",
        "levels": [
            {"value": v, "label": f"L{v}", "description": f"level {v}"} for v in range(1, 6)
        ],
    },
    {
        "key": "fluency",
        "name": "Fluency",
        "levels": [{"value": 0, "label": "bad"}, {"value": 1, "label": "ok"}],
    },
]


def make_user(username: str, **extra: Any) -> Any:
    return get_user_model().objects.create_user(
        username=username, password="pw-" + username, **extra
    )


def make_project(*, admin: Any, overlap: int = 1, **members: str) -> Project:
    """A project with a published taxonomy and rubric; ``members`` maps username -> role."""
    project = project_create(name="Test project", created_by=admin, overlap=overlap)
    taxonomy = taxonomy_draft_create(project=project)
    taxonomy_set_error_types(taxonomy=taxonomy, error_types=ERROR_TYPES)
    taxonomy_publish(taxonomy=taxonomy)
    rubric = rubric_draft_create(project=project)
    rubric_set_criteria(rubric=rubric, criteria=CRITERIA)
    rubric_publish(rubric=rubric)
    for username, role in members.items():
        project_member_set(project=project, username=username, role=role)
    return project


def make_item(project: Project, external_id: str = "q1", texts: tuple[str, ...] = ()) -> Item:
    """An item with text responses (two by default), a steps response and an image response."""
    item = Item.objects.create(
        project=project,
        external_id=external_id,
        prompt="When was it released?",
        context=[{"title": "P", "sentences": ["One.", "Two."]}],
    )
    texts = texts or ("Bloom was released in 2018. It sold well.", "It came out in August 2018.")
    rows = [Response(item=item, index=i, text=t, model_name="m") for i, t in enumerate(texts)]
    rows.append(
        Response(item=item, index=len(rows), kind="steps", steps=["a = 1", "b = 2", "a + b = 4"])
    )
    rows.append(
        Response(
            item=item,
            index=len(rows),
            kind="image",
            image_url="/media/x.png",
            image_width=640,
            image_height=480,
        )
    )
    Response.objects.bulk_create(rows)
    return item
