"""Robust parsing of untrusted model output."""

from __future__ import annotations

import pytest

from judges.parsing import OutputError, extract_json, extract_object, extract_verdict


@pytest.mark.parametrize(
    "text",
    [
        '{"errors": []}',
        'Sure!\n```json\n{"errors": []}\n```',
        'Here you go: {"errors": []} -- done',
        '```\n{"errors": []}\n```',
    ],
)
def test_json_is_found_in_common_wrappings(text):
    assert extract_object(text) == {"errors": []}


@pytest.mark.parametrize("text", ["", "no json here", '{"errors": [', "[1, 2]"])
def test_non_objects_are_refused(text):
    with pytest.raises(OutputError):
        extract_object(text)


def test_deeply_nested_json_is_refused():
    with pytest.raises(OutputError, match="nests deeper"):
        extract_json("[" * 40 + "]" * 40)


def test_nul_characters_are_refused():
    with pytest.raises(OutputError):
        extract_json('{"a": "x\\u0000y"}')


def test_verdict_takes_the_last_result_marker():
    feedback, result = extract_verdict(
        'Feedback: The format is "[RESULT] n". Good answer overall. [RESULT] 4'
    )
    assert result == "4"
    assert feedback.startswith("The format is")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Feedback: ok [RESULT] B", "B"),
        ("[RESULT]: (A)", "A"),
        ('{"feedback": "fine", "result": -2}', "-2"),
        ("Feedback: meh\n[RESULT] -3", "-3"),
    ],
)
def test_verdict_forms(text, expected):
    assert extract_verdict(text)[1] == expected


def test_missing_verdict_is_an_error():
    with pytest.raises(OutputError, match="No \\[RESULT\\]"):
        extract_verdict("I think it is good.")
