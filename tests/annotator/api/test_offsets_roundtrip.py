"""Span offsets are Unicode code points: whatever was marked is exactly text[start:end]."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.models import SpanLabel
from core.text import splits_character
from tests.factories import make_item

# User-perceived characters, each possibly several code points.
GRAPHEMES = [
    "a",
    "Z",
    " ",
    "\r\n",
    "\n",
    "\t",
    "é",
    "e\u0301",
    "n\u0303\u0323",
    "\U0001f600",
    "\U0001f44d\U0001f3fd",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "\U0001f1eb\U0001f1f7",
    "\u2764\ufe0f",
    "中",
    "文",
    "\U00020000",
    "ש",
    "ל",
    "ו",
    "م",
    "\u200f",
    "\u0915\u094d\u0937",
    "\U0001d54f",
]

pytestmark = pytest.mark.django_db


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    pieces=st.lists(st.sampled_from(GRAPHEMES), min_size=2, max_size=40),
    data=st.data(),
)
def test_marked_text_round_trips(project: Any, annotator_user: Any, client_for: Any, pieces, data):
    text = "".join(pieces)
    boundaries = [0]
    for piece in pieces:
        boundaries.append(boundaries[-1] + len(piece))  # code points
    start_g = data.draw(st.integers(0, len(pieces) - 1))
    end_g = data.draw(st.integers(start_g + 1, len(pieces)))
    start, end = boundaries[start_g], boundaries[end_g]
    marked = "".join(pieces[start_g:end_g])
    item = make_item(project, f"rt-{uuid.uuid4()}", texts=(text, "other"))
    client = client_for(annotator_user)
    response = client.post(
        f"/api/v1/projects/{project.pk}/items/{item.pk}/annotations/",
        {
            "client_id": str(uuid.uuid4()),
            "spans": [
                {
                    "response": 0,
                    "start": start,
                    "end": end,
                    "error_type": "irrelevant",
                    "text": marked,
                }
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    got = response.json()["spans"][0]
    stored = SpanLabel.objects.select_related("response").get(annotation_id=response.json()["id"])
    assert stored.response.text == text  # never normalised
    assert text[got["start"] : got["end"]] == marked
    assert stored.response.text[stored.start : stored.end] == marked


@given(pieces=st.lists(st.sampled_from(GRAPHEMES), min_size=1, max_size=30))
def test_grapheme_boundaries_never_count_as_splits(pieces):
    text = "".join(pieces)
    offset = 0
    for piece in pieces:
        assert not splits_character(text, offset)
        for inner in range(1, len(piece)):
            # Inside a multi-code-point character: every inner offset is a split, except
            # the RTL mark and Devanagari conjunct which are separate characters here.
            if piece in ("\u0915\u094d\u0937",):
                continue
            assert splits_character(text, offset + inner), (piece, inner)
        offset += len(piece)
