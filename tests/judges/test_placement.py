"""The quote-placement rule of judges.placement, case by case."""

from __future__ import annotations

from judges.placement import Placement, Unplaced, place_quote, place_quotes

TEXT = "The cat sat. The cat ran. The dog barked loudly at the mailman."


def test_exact_quote_is_placed_at_its_first_occurrence():
    assert place_quote(TEXT, "The cat") == Placement(0, 7, "exact")


def test_repeated_quotes_follow_the_previous_match():
    first, second = place_quotes(TEXT, ["The cat", "The cat"])
    assert (first.start, second.start) == (0, 13)


def test_out_of_order_quote_falls_back_to_the_first_occurrence_anywhere():
    later, earlier = place_quotes(TEXT, ["barked", "cat sat"])
    assert isinstance(earlier, Placement)
    assert TEXT[earlier.start : earlier.end] == "cat sat"
    assert later.start > earlier.start


def test_case_whitespace_and_typographic_quotes_are_normalised():
    text = "He said \u201cno\u201d  to\nthe   offer."
    placed = place_quote(text, 'HE SAID "no" to the offer')
    assert placed.method == "normalised"
    assert text[placed.start : placed.end] == "He said \u201cno\u201d  to\nthe   offer"


def test_a_folded_character_that_expands_maps_to_the_whole_character():
    text = "Die Straße ist lang."
    placed = place_quote(text, "STRASSE")
    assert text[placed.start : placed.end] == "Straße"


def test_fuzzy_match_needs_ratio_0_9_on_word_boundaries():
    placed = place_quote(TEXT, "The dog barkd loudly at the mailman")
    assert placed.method == "fuzzy"
    assert TEXT[placed.start : placed.end] == "The dog barked loudly at the mailman."
    assert placed.ratio >= 0.9


def test_a_quote_too_different_is_unplaced_with_the_reason():
    result = place_quote(TEXT, "A horse galloped across the field")
    assert isinstance(result, Unplaced)
    assert "ratio" in result.reason


def test_short_quotes_get_no_fuzzy_search():
    result = place_quote(TEXT, "the cow")
    assert isinstance(result, Unplaced)
    assert "normalising" in result.reason


def test_empty_quote_is_unplaced():
    assert isinstance(place_quote(TEXT, "  "), Unplaced)


def test_boundaries_never_split_a_character():
    text = "Cafe\u0301 au lait"  # e + combining acute accent
    placed = place_quote(text, "Cafe")
    assert (placed.start, placed.end) == (0, 5)


def test_surrounding_whitespace_of_a_quote_is_trimmed():
    placed = place_quote(TEXT, " sat. ")
    assert TEXT[placed.start : placed.end] == "sat."
