"""The fast item renderer and the documented serializer give identical JSON."""

from __future__ import annotations

import json

import pytest
from rest_framework.renderers import JSONRenderer

from annotator.api.serializers import ItemOutputSerializer, item_to_dict
from annotator.models import Item
from annotator.selectors.items import item_list
from tests.factories import make_item

pytestmark = pytest.mark.django_db


def test_item_to_dict_matches_item_output_serializer(project):
    make_item(project, "emoji", texts=("\U0001f600 ok", "x"))
    Item.objects.filter(external_id="emoji").update(
        messages=[{"role": "user", "content": "hi"}], metadata={"k": [1, 2]}, is_gold=True
    )
    for item in item_list(project=project):
        fast = json.loads(JSONRenderer().render(item_to_dict(item)))
        documented = json.loads(JSONRenderer().render(ItemOutputSerializer(item).data))
        assert fast == documented
        assert set(fast) == set(ItemOutputSerializer().fields)


def test_list_endpoint_uses_the_same_shape(project, item, annotator_user, client_for):
    body = client_for(annotator_user).get(f"/api/v1/projects/{project.pk}/items/").json()
    rendered = body["results"][0]
    assert rendered["responses"][0]["text"] == item.responses.get(index=0).text
    assert rendered["created_at"].endswith("Z")
