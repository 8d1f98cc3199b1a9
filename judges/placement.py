"""Place a judge's quotes in the response text (Django-free).

Judges never give offsets we trust: they quote the erroneous text, and Finegrain finds the
quote. The rule, applied to each quote in the order the judge gave them, with a *cursor* at
the end of the previous placed quote (0 at first):

1. **exact** — the first occurrence of the quote at or after the cursor; else the first
   occurrence anywhere (judges sometimes list errors out of order).
2. **normalised** — the same search after normalising both sides: case folded, every run
   of whitespace one space, typographic quotes/dashes/no-break spaces as ASCII, the quote's
   own leading and trailing whitespace dropped. The match maps back to the original code
   points (a folded character that expands, like ß → ss, maps to the whole character).
3. **fuzzy** — for quotes of at least ``FUZZY_MIN_CHARS`` normalised characters in texts of
   at most ``FUZZY_MAX_TEXT`` code points: every window of the normalised text that starts
   and ends on word boundaries and whose length is within ±10% of the quote's is compared
   with ``difflib.SequenceMatcher(None, window, quote).ratio()``; the best window with
   ratio ≥ ``FUZZY_MIN_RATIO`` (0.9) wins, ties going to the first window at or after the
   cursor, then the first overall.
4. Otherwise the quote is **unplaced** and reported with the reason; it is never stored.

Placed spans are trimmed of surrounding whitespace and widened, if needed, so that neither
boundary splits a user-perceived character (core.text.splits_character).
"""

from __future__ import annotations

import bisect
import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from core.text import splits_character

FUZZY_MIN_RATIO = 0.9
FUZZY_MIN_CHARS = 12
FUZZY_MAX_TEXT = 20_000
_ASCII = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00a0": " ",
    }
)


@dataclass(frozen=True)
class Placement:
    start: int
    end: int
    method: str  # "exact" | "normalised" | "fuzzy"
    ratio: float = 1.0


@dataclass(frozen=True)
class Unplaced:
    quote: str
    reason: str


class _Normalised:
    """A normalised copy of a text and, for each of its characters, the original index."""

    def __init__(self, text: str) -> None:
        chars: list[str] = []
        origin: list[int] = []
        for i, ch in enumerate(text.translate(_ASCII)):
            if ch.isspace():
                if chars and chars[-1] == " ":
                    continue
                chars.append(" ")
                origin.append(i)
                continue
            for folded in ch.casefold():
                chars.append(folded)
                origin.append(i)
        self.text = "".join(chars)
        self.origin = origin

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        return self.origin[start], self.origin[end - 1] + 1

    def from_original(self, cursor: int) -> int:
        return bisect.bisect_left(self.origin, cursor)


def normalise_quote(quote: str) -> str:
    return _Normalised(quote).text.strip(" ")


def _find(haystack: str, needle: str, cursor: int) -> int:
    found = haystack.find(needle, cursor)
    return found if found >= 0 else haystack.find(needle)


def _word_bounds(text: str) -> tuple[list[int], list[int]]:
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == " " and i + 1 < len(text)]
    ends = [i for i, ch in enumerate(text) if ch == " "] + [len(text)]
    return starts, ends


def _fuzzy(norm: _Normalised, quote: str, cursor: int) -> tuple[int, int, float] | None:
    text = norm.text
    slack = max(1, len(quote) // 10)
    shortest, longest = len(quote) - slack, len(quote) + slack
    starts, ends = _word_bounds(text)
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(quote)  # the matcher caches facts about seq2: keep the quote there
    best: tuple[float, bool, int, int] | None = None  # (ratio, at/after cursor, start, end)
    for start in starts:
        first_end = bisect.bisect_left(ends, start + shortest)
        for end in ends[first_end:]:
            if end - start > longest:
                break
            matcher.set_seq1(text[start:end])
            if matcher.quick_ratio() < FUZZY_MIN_RATIO:
                continue
            ratio = matcher.ratio()
            if ratio < FUZZY_MIN_RATIO:
                continue
            after = start >= cursor
            if best is None or (ratio, after) > (best[0], best[1]):
                best = (ratio, after, start, end)
    if best is None:
        return None
    return best[2], best[3], best[0]


def _snap(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while start > 0 and splits_character(text, start):
        start -= 1
    while end < len(text) and splits_character(text, end):
        end += 1
    return start, end


def place_quote(text: str, quote: str, cursor: int = 0) -> Placement | Unplaced:
    """Place one quote in ``text`` by the rule in the module docstring."""
    if not quote.strip():
        return Unplaced(quote, "The quote is empty.")
    found = _find(text, quote, cursor)
    if found >= 0:
        start, end = _snap(text, found, found + len(quote))
        if start < end:
            return Placement(start, end, "exact")
    norm = _Normalised(text)
    needle = normalise_quote(quote)
    norm_cursor = norm.from_original(cursor)
    found = _find(norm.text, needle, norm_cursor)
    if needle and found >= 0:
        start, end = _snap(text, *norm.to_original(found, found + len(needle)))
        return Placement(start, end, "normalised")
    if len(needle) < FUZZY_MIN_CHARS:
        return Unplaced(quote, "Not in the text, exactly or after normalising case/whitespace.")
    if len(text) > FUZZY_MAX_TEXT:
        return Unplaced(
            quote,
            f"Not in the text exactly; texts over {FUZZY_MAX_TEXT} characters get no fuzzy search.",
        )
    match = _fuzzy(norm, needle, norm_cursor)
    if match is None:
        return Unplaced(
            quote,
            f"Not in the text exactly, normalised, or with difflib ratio ≥ {FUZZY_MIN_RATIO}.",
        )
    start, end = _snap(text, *norm.to_original(match[0], match[1]))
    return Placement(start, end, "fuzzy", round(match[2], 4))


def place_quotes(text: str, quotes: Sequence[str]) -> list[Placement | Unplaced]:
    """Place ``quotes`` in order; each search starts after the previous placed quote."""
    cursor = 0
    out: list[Placement | Unplaced] = []
    for quote in quotes:
        result = place_quote(text, quote, cursor)
        if isinstance(result, Placement):
            cursor = result.end
        out.append(result)
    return out
