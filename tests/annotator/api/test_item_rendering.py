"""The fast item renderer and the documented serializer give identical JSON."""

from __future__ import annotations

import json

import pytest
from rest_framework.renderers import JSONRenderer

from annotator.api.serializers import (
    AnnotationOutputSerializer,
    ItemOutputSerializer,
    annotation_to_dict,
    item_to_dict,
)
from annotator.models import Item, Response
from annotator.selectors.annotations import annotation_base_queryset
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
    """The list page reads responses as rows (response_rows_by_item), not instances."""
    make_item(project, "steps", texts=("a", "b"))
    Response.objects.filter(item__external_id="steps", index=1).update(
        kind="steps", steps=["one", "two \u2028"], metadata={"t": 0.5, "k": [None]}
    )
    body = client_for(annotator_user).get(f"/api/v1/projects/{project.pk}/items/").json()
    rendered = body["results"][0]
    assert rendered["responses"][0]["text"] == item.responses.get(index=0).text
    assert rendered["created_at"].endswith("Z")
    documented = {
        i.pk: json.loads(JSONRenderer().render(ItemOutputSerializer(i).data))
        for i in item_list(project=project)
    }
    assert len(body["results"]) == 2
    for result in body["results"]:
        assert result == documented[result["id"]]
    assert body["results"][1]["responses"][1]["steps"] == ["one", "two \u2028"]


def test_annotation_to_dict_matches_annotation_output_serializer(
    project, item, annotator_user, client_for
):
    body = {
        "client_id": "0b8a4b3e-4c9f-4a4e-8a51-1f1e2d3c4b5a",
        "spans": [{"response": 0, "start": 0, "end": 5, "error_type": "irrelevant", "severity": 2}],
        "steps": [{"response": 2, "step_index": 1, "rating": -1, "error_type": "irrelevant"}],
        "regions": [
            {"response": 3, "shape": "box", "points": [[0, 0.1], [0.5, 1]],
             "error_type": "wrong-grounding"}
        ],
        "rubric_scores": [{"response": 0, "criterion": "factuality", "score": 4}],
        "preferences": [
            {"response_a": 0, "response_b": 1, "value": -2, "criterion": "fluency"},
            {"response_a": 1, "response_b": 0, "value": 0},
        ],
        "critiques": [{"response": 1, "text": "Too short."}],
        "missing_info": [
            {"response": 0, "error_type": "missing-answer", "passage_index": 0,
             "sentence_indices": [1]}
        ],
        "metadata": {"note": "x"},
    }  # fmt: skip
    created = client_for(annotator_user).post(
        f"/api/v1/projects/{project.pk}/items/{item.pk}/annotations/", body, format="json"
    )
    assert created.status_code == 201, created.json()
    annotation = annotation_base_queryset().get(pk=created.json()["id"])
    fast = json.loads(JSONRenderer().render(annotation_to_dict(annotation)))
    documented = json.loads(JSONRenderer().render(AnnotationOutputSerializer(annotation).data))
    assert fast == documented
    assert created.json() == {**documented, "updated_at": created.json()["updated_at"]}
