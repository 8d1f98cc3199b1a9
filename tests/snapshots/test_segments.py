"""core.segments: the sentence / sub-sentence segmentation the dense format and the trainer
share."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.segments import overlaps, sentence_segments, subsentence_segments


def pieces(text: str, segments: list[tuple[int, int]]) -> list[str]:
    return [text[s:e] for s, e in segments]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It was 2018. It sold well!", ["It was 2018.", "It sold well!"]),
        ("Mr. Smith met Dr. J. K. Lee. Then he left.", ["Mr. Smith met Dr. J. K. Lee.",
                                                        "Then he left."]),
        ("It costs 3.5 dollars. Really?", ["It costs 3.5 dollars.", "Really?"]),
        ('He said "stop." Then silence.', ['He said "stop."', "Then silence."]),
        ("First line\nsecond line", ["First line", "second line"]),
        ("No final stop", ["No final stop"]),
        ("   ", []),
        ("", []),
    ],
)  # fmt: skip
def test_sentence_segments(text: str, expected: list[str]) -> None:
    assert pieces(text, sentence_segments(text)) == expected


def test_subsentences_split_after_punctuation_with_five_words_each_side() -> None:
    text = "Bloom was released in August 2018 by EMI, and it topped the charts in five places."
    assert pieces(text, subsentence_segments(text)) == [
        "Bloom was released in August 2018 by EMI,",
        "and it topped the charts in five places.",
    ]
    short = "Yes, it was released in August 2018 by EMI."
    assert pieces(short, subsentence_segments(short)) == [short]


def test_offsets_are_code_points() -> None:
    text = "Ünïcödé 🎉 works. Second."
    segments = sentence_segments(text)
    assert pieces(text, segments) == ["Ünïcödé 🎉 works.", "Second."]
    assert segments[1] == (len("Ünïcödé 🎉 works. "), len(text))


def test_overlap_is_at_least_one_code_point() -> None:
    assert overlaps(0, 5, (4, 10))
    assert not overlaps(0, 4, (4, 10))
    assert not overlaps(10, 12, (4, 10))


def test_segments_module_imports_no_django() -> None:
    code = "import core.segments, core.records, sys; assert 'django' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_formats_import_no_django() -> None:
    code = (
        "import snapshots.formats, snapshots.aggregation, sys; assert 'django' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
