from __future__ import annotations

import uuid
from typing import Any

import pytest

from annotator.models import Annotation
from annotator.services.annotations import annotation_create
from tests.factories import make_item, make_project, make_user


def submit(item: Any, user: Any, **units: Any) -> Annotation:
    """A submitted annotation of ``user`` on ``item`` with ``units`` (wire form)."""
    annotation, _ = annotation_create(
        item=item,
        author=user,
        client_id=uuid.uuid4(),
        status="submitted",
        units=units,
        time_spent_ms=30_000,
    )
    return annotation


def span(response: int, start: int, end: int, error_type: str = "irrelevant", **extra: Any):
    return {"response": response, "start": start, "end": end, "error_type": error_type, **extra}


@pytest.fixture
def trio(admin_user: Any, reviewer_user: Any) -> dict[str, Any]:
    """A project (overlap 3) with three annotators and a reviewer."""
    users = {name: make_user(name) for name in ("ann1", "ann2", "ann3")}
    project = make_project(
        admin=admin_user, overlap=3, rita="reviewer", **dict.fromkeys(users, "annotator")
    )
    return {"project": project, **users, "make_item": lambda eid: make_item(project, eid)}
