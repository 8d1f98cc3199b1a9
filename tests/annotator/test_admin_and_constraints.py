"""The admin renders every model; the database itself holds the unit invariants."""

from __future__ import annotations

import uuid

import pytest
from django.contrib import admin
from django.db import IntegrityError, transaction

from annotator.models import (
    Annotation,
    ErrorType,
    PreferenceJudgment,
    RegionLabel,
    SpanLabel,
    StepLabel,
)
from tests.factories import make_item, make_user

pytestmark = pytest.mark.django_db


def test_admin_changelist_and_add_render_for_every_model(client, project):
    make_item(project)
    boss = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(boss)
    registered = [m for m in admin.site._registry if m._meta.app_label == "annotator"]
    assert len(registered) >= 20
    for model in registered:
        meta = model._meta
        response = client.get(f"/admin/{meta.app_label}/{meta.model_name}/")
        assert response.status_code == 200, meta.model_name


@pytest.fixture
def annotation(project, admin_user):
    item = make_item(project)
    return Annotation.objects.create(
        project=project, item=item, author=admin_user, client_id=uuid.uuid4()
    )


def _violates(make) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_database_rejects_invalid_units(annotation):
    response = annotation.item.responses.get(index=0)
    error_type = ErrorType.objects.filter(taxonomy__project=annotation.project).first()
    _violates(
        lambda: SpanLabel.objects.create(
            annotation=annotation, response=response, start=5, end=5, error_type=error_type
        )
    )
    _violates(
        lambda: SpanLabel.objects.create(
            annotation=annotation,
            response=response,
            start=0,
            end=2,
            error_type=error_type,
            confidence=1.5,
        )
    )
    _violates(
        lambda: StepLabel.objects.create(
            annotation=annotation, response=response, step_index=0, rating=2
        )
    )
    _violates(
        lambda: RegionLabel.objects.create(
            annotation=annotation,
            response=response,
            shape="box",
            points=[],
            x_min=0,
            y_min=0,
            x_max=1.5,
            y_max=1,
            error_type=error_type,
        )
    )
    _violates(
        lambda: PreferenceJudgment.objects.create(
            annotation=annotation, response_a=response, response_b=response, value=1
        )
    )
    other = annotation.item.responses.get(index=1)
    _violates(
        lambda: PreferenceJudgment.objects.create(
            annotation=annotation, response_a=response, response_b=other, value=-4
        )
    )


def test_database_rejects_second_annotation_by_same_user(annotation):
    _violates(
        lambda: Annotation.objects.create(
            project=annotation.project,
            item=annotation.item,
            author=annotation.author,
            client_id=uuid.uuid4(),
        )
    )


def test_database_rejects_annotation_with_no_author(annotation):
    _violates(
        lambda: Annotation.objects.create(
            project=annotation.project, item=annotation.item, client_id=uuid.uuid4()
        )
    )
