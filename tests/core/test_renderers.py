"""core.renderers.FastJSONRenderer writes what DRF's JSONRenderer writes."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict

from core.renderers import FastJSONRenderer

UTC = dt.UTC
PLUS_TWO = dt.timezone(dt.timedelta(hours=2))
DOCUMENT = {
    "created_at": dt.datetime(2026, 11, 27, 13, 5, 6, 123456, tzinfo=UTC),
    "local": dt.datetime(2026, 11, 27, 13, 5, 6, tzinfo=PLUS_TWO),
    "day": dt.date(2026, 11, 27),
    "at": dt.time(13, 5),
    "id": uuid.UUID("0b8a4b3e-4c9f-4a4e-8a51-1f1e2d3c4b5a"),
    "lazy": gettext_lazy("This field is required."),
    "nested": ReturnDict({"a": [1, None, True, False, "x"]}, serializer=None),
    "text": 'caf\u00e9 \U0001f600 \u2028 \u2029 </script> "quoted" \\ \t\n',
    7: "an int key",
    "empty": [{}, []],
}


def test_same_bytes_as_drf_without_floats():
    assert FastJSONRenderer().render(DOCUMENT) == JSONRenderer().render(DOCUMENT)


def test_line_separators_are_escaped_for_javascript():
    body = FastJSONRenderer().render({"t": "a\u2028b\u2029c"})
    assert body == b'{"t":"a\\u2028b\\u2029c"}'


@pytest.mark.parametrize("value", [0.1, 1e-7, 1.0, -2.5e300, 123456789.125])
def test_floats_parse_to_the_same_value(value):
    assert json.loads(FastJSONRenderer().render({"f": value})) == {"f": value}


def test_what_orjson_cannot_write_goes_through_drf():
    big = {"n": 2**70, "d": Decimal("1.25")}
    assert FastJSONRenderer().render(big) == JSONRenderer().render(big)


def test_indent_requests_and_none():
    indented = FastJSONRenderer().render({"a": 1}, "application/json; indent=2")
    assert indented == JSONRenderer().render({"a": 1}, "application/json; indent=2")
    assert FastJSONRenderer().render(None) == b""


def test_non_finite_floats_are_written_as_null():
    assert json.loads(FastJSONRenderer().render({"f": float("nan")})) == {"f": None}
