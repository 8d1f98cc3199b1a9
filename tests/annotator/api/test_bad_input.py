"""Bad input: a JSON 4xx naming the field, never a 500, and nothing stored."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import override_settings

from annotator.models import Annotation, Critique, SpanLabel
from tests.factories import make_item

pytestmark = pytest.mark.django_db


def post(client: Any, project: Any, item: Any, **units: Any) -> Any:
    body = {"client_id": str(uuid.uuid4()), **units}
    return client.post(
        f"/api/v1/projects/{project.pk}/items/{item.pk}/annotations/", body, format="json"
    )


def assert_rejected(response: Any, field: str, fragment: str = "") -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    fields = [e["field"] for e in body["errors"]]
    assert field in fields, body
    assert field in body["detail"]
    if fragment:
        assert fragment in json.dumps(body)
    assert Annotation.objects.count() == 0
    assert SpanLabel.objects.count() == 0


@pytest.fixture
def anna(annotator_user: Any, client_for: Any) -> Any:
    return client_for(annotator_user)


def span(**kw: Any) -> dict[str, Any]:
    return {"response": 0, "start": 0, "end": 4, "error_type": "irrelevant", **kw}


def test_span_past_end_of_text(project, item, anna):
    length = len(item.responses.get(index=0).text)
    response = post(anna, project, item, spans=[span(), span(start=2, end=length + 1)])
    assert_rejected(response, "spans[1].end", "past the end")


def test_span_start_not_before_end(project, item, anna):
    assert_rejected(post(anna, project, item, spans=[span(start=4, end=4)]), "spans[0].end")


def test_span_that_splits_a_character(project, anna):
    item = make_item(project, "accents", texts=("cafe\u0301 ok", "x"))
    # Offset 4 falls between "e" and its combining acute accent.
    assert_rejected(
        post(anna, project, item, spans=[span(start=0, end=4)]), "spans[0].end", "splits"
    )


def test_span_inside_zwj_sequence(project, anna):
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    item = make_item(project, "zwj", texts=(f"a {family} b", "x"))
    response = post(anna, project, item, spans=[span(start=2, end=4)])
    assert_rejected(response, "spans[0].end", "splits")


def test_span_quote_mismatch_reports_utf16_confusion(project, anna):
    item = make_item(project, "emoji", texts=("\U0001f600 smile here", "x"))
    # A UTF-16 client would say the word "smile" is at [3, 8); in code points it is [2, 7).
    response = post(anna, project, item, spans=[span(start=3, end=8, text="smile")])
    assert_rejected(response, "spans[0].text", "code points")


def test_unknown_error_type(project, item, anna):
    response = post(anna, project, item, spans=[span(error_type="made-up")])
    assert_rejected(response, "spans[0].error_type", "made-up")


def test_error_type_not_for_this_unit_kind(project, item, anna):
    response = post(anna, project, item, spans=[span(error_type="missing-answer")])
    assert_rejected(response, "spans[0].error_type", "does not apply")


def test_severity_outside_scale(project, item, anna):
    assert_rejected(post(anna, project, item, spans=[span(severity=3)]), "spans[0].severity")


def test_span_on_a_steps_response(project, item, anna):
    assert_rejected(post(anna, project, item, spans=[span(response=2)]), "spans[0].response")


def test_rubric_score_outside_levels(project, item, anna):
    scores = [{"response": 0, "criterion": "factuality", "score": 6}]
    assert_rejected(post(anna, project, item, rubric_scores=scores), "rubric_scores[0].score")


def test_unknown_rubric_criterion(project, item, anna):
    scores = [{"response": 0, "criterion": "nope", "score": 1}]
    assert_rejected(post(anna, project, item, rubric_scores=scores), "rubric_scores[0].criterion")


def test_region_outside_unit_square(project, item, anna):
    regions = [
        {
            "response": 3,
            "shape": "box",
            "points": [[0.1, 0.1], [1.2, 0.5]],
            "error_type": "wrong-grounding",
        }
    ]
    assert_rejected(post(anna, project, item, regions=regions), "regions[0].points[1].x")


def test_polygon_needs_three_points(project, item, anna):
    regions = [
        {
            "response": 3,
            "shape": "polygon",
            "points": [[0.1, 0.1], [0.2, 0.5]],
            "error_type": "wrong-grounding",
        }
    ]
    assert_rejected(post(anna, project, item, regions=regions), "regions[0].points")


def test_step_index_out_of_range(project, item, anna):
    steps = [{"response": 2, "step_index": 3, "rating": -1}]
    assert_rejected(post(anna, project, item, steps=steps), "steps[0].step_index", "3 steps")


def test_step_rating_outside_scale(project, item, anna):
    steps = [{"response": 2, "step_index": 0, "rating": 2}]
    assert_rejected(post(anna, project, item, steps=steps), "steps[0].rating")


def test_preference_outside_scale(project, item, anna):
    prefs = [{"response_a": 0, "response_b": 1, "value": 4}]
    assert_rejected(post(anna, project, item, preferences=prefs), "preferences[0].value")


def test_preference_of_a_response_with_itself(project, item, anna):
    prefs = [{"response_a": 1, "response_b": 1, "value": 1}]
    assert_rejected(post(anna, project, item, preferences=prefs), "preferences[0].response_b")


def test_missing_info_sentence_out_of_range(project, item, anna):
    missing = [
        {"response": 0, "error_type": "missing-answer", "passage_index": 0, "sentence_indices": [5]}
    ]
    assert_rejected(
        post(anna, project, item, missing_info=missing), "missing_info[0].sentence_indices"
    )


def test_all_errors_are_listed_and_nothing_is_half_applied(project, item, anna):
    response = post(
        anna,
        project,
        item,
        spans=[span(), span(error_type="x"), span(end=10_000)],
        critiques=[{"response": 0, "text": "fine"}],
    )
    assert response.status_code == 400
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["spans[1].error_type", "spans[2].end"]
    assert Critique.objects.count() == 0


def test_nul_character_is_rejected_with_its_path(project, item, anna):
    response = post(anna, project, item, critiques=[{"response": 0, "text": "bad\x00text"}])
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "critiques[0].text"
    assert Critique.objects.count() == 0


@pytest.mark.parametrize("depth", [40, 5000])
def test_deeply_nested_json_is_rejected(project, item, anna, depth):
    nested = "[" * depth + '"x"' + "]" * depth
    raw = f'{{"client_id": "{uuid.uuid4()}", "metadata": {{"deep": {nested}}}}}'
    response = anna.post(
        f"/api/v1/projects/{project.pk}/items/{item.pk}/annotations/",
        raw,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "nests deeper" in response.json()["detail"]


def test_malformed_json_names_line_and_column(project, item, anna):
    response = anna.post(
        f"/api/v1/projects/{project.pk}/items/{item.pk}/annotations/",
        '{"client_id":\n "x",, }',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "line 2" in response.json()["detail"]


def test_invalid_utf8_body(project, item, anna):
    response = anna.post(
        f"/api/v1/projects/{project.pk}/items/{item.pk}/annotations/",
        b'{"client_id": "\xff\xfe"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "UTF-8" in response.json()["detail"]


@override_settings(FINEGRAIN_MAX_JSON_BODY=1000)
def test_oversized_body_is_413_naming_the_limit(project, item, anna):
    response = post(anna, project, item, critiques=[{"response": 0, "text": "x" * 2000}])
    assert response.status_code == 413
    assert response.json()["limit"] == 1000
    assert "1000 bytes" in response.json()["detail"]
    assert Annotation.objects.count() == 0


def test_wrong_types_are_named(project, item, anna):
    response = post(anna, project, item, spans=[{"response": "first", "start": -1}])
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"spans[0].response", "spans[0].start", "spans[0].end", "spans[0].error_type"} <= fields
