"""item_get: one item of a project with its responses, read in one query."""

from __future__ import annotations

import pytest
from django.http import Http404

from annotator.models import Item
from annotator.selectors.items import item_get
from tests.factories import make_item, make_project


@pytest.mark.django_db
def test_reads_the_item_and_its_responses_in_one_query(project, item, django_assert_num_queries):
    with django_assert_num_queries(1):
        got = item_get(project=project, item_id=item.pk)
        responses = list(got.responses.all())
        kinds = [r.kind for r in responses]
        assert all(r.item is got for r in responses)
        assert got.project is project
    assert got == item
    assert [r.index for r in responses] == list(range(len(responses)))
    assert kinds == ["text", "text", "steps", "image"]


@pytest.mark.django_db
def test_an_item_without_responses_is_found_too(project):
    bare = Item.objects.create(project=project, external_id="bare", prompt="Q?")
    got = item_get(project=project, item_id=bare.pk)
    assert got == bare
    assert list(got.responses.all()) == []


@pytest.mark.django_db
def test_another_projects_item_is_404(project, admin_user):
    other = make_project(admin=admin_user)
    foreign = make_item(other, "x")
    with pytest.raises(Http404):
        item_get(project=project, item_id=foreign.pk)
    bare = Item.objects.create(project=other, external_id="bare")
    with pytest.raises(Http404):
        item_get(project=project, item_id=bare.pk)
