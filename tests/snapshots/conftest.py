from __future__ import annotations

import uuid
from typing import Any

import pytest

from annotator.models import Judge
from annotator.services.annotations import annotation_create
from tests.factories import make_item


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def judge(project: Any) -> Judge:
    return Judge.objects.create(project=project, name="gpt-judge", model_name="m-1",
                                prompt_version="v3")  # fmt: skip


def annotate(item: Any, *, author: Any = None, judge: Any = None, status: str = "submitted",
             **units: Any) -> Any:  # fmt: skip
    annotation, _ = annotation_create(
        item=item, author=author, judge=judge, client_id=uuid.uuid4(), status=status,
        units=units,
    )  # fmt: skip
    return annotation


@pytest.fixture
def labelled(project: Any, annotator_user: Any, reviewer_user: Any, judge: Judge) -> Any:
    """Two items: q1 labelled by anna (spans, steps, rubric, preference), rita and the judge;
    q2 labelled by anna only (a draft)."""
    q1 = make_item(project, "q1")
    q2 = make_item(project, "q2")
    annotate(
        q1, author=annotator_user,
        spans=[{"response": 0, "start": 0, "end": 5, "error_type": "irrelevant", "severity": 2},
               {"response": 0, "start": 29, "end": 41, "error_type": "wrong-grounding"}],
        steps=[{"response": 2, "step_index": 0, "rating": 1},
               {"response": 2, "step_index": 1, "rating": 0},
               {"response": 2, "step_index": 2, "rating": -1, "error_type": "irrelevant"}],
        rubric_scores=[{"response": 0, "criterion": "factuality", "score": 2},
                       {"response": 1, "criterion": "factuality", "score": 5}],
        preferences=[{"response_a": 0, "response_b": 1, "value": 2}],
        metadata={"labelled_responses": [0, 1]},
    )  # fmt: skip
    annotate(
        q1, author=reviewer_user,
        spans=[{"response": 0, "start": 2, "end": 8, "error_type": "irrelevant", "severity": 1}],
        preferences=[{"response_a": 0, "response_b": 1, "value": 3}],
        metadata={"labelled_responses": [0, 1]},
    )  # fmt: skip
    annotate(q1, judge=judge, spans=[{"response": 1, "start": 0, "end": 2,
                                      "error_type": "irrelevant"}])  # fmt: skip
    annotate(q2, author=annotator_user, status="draft",
             spans=[{"response": 0, "start": 0, "end": 5, "error_type": "irrelevant"}])  # fmt: skip
    return q1, q2


# The real-worker fixture of tests/integration, shared (imported, not copied) so that the
# end-to-end snapshot test runs through the same worker set-up.
from tests.integration.conftest import celery_worker  # noqa: E402, F401
