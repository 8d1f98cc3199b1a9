"""Sentence and sub-sentence segments with code-point offsets (Fine-Grained RLHF).

Fine-Grained RLHF (Wu et al. 2023, arXiv 2306.01693, §3 and §4.1) gives one reward per
segment: the factuality reward model scores each *sentence*, the relevance model each
*sub-sentence*, a sentence further split after ``,`` ``;`` ``!`` or ``?``. The paper's code
uses spaCy for sentences and keeps sub-sentences at least 5 words long; this module is a
dependency-free, deterministic approximation of that segmentation, shared by the ``dense``
export format and the reward-model trainer (no Django, no third-party imports).

Rules (the segmentation is part of the export contract; change it only with a new version):

- A sentence ends after ``.``, ``!``, ``?`` or ``…`` (plus any closing quotes or brackets)
  when whitespace or the end of the text follows, except after a known abbreviation
  (``Mr.``, ``e.g.``, ``U.S.`` …), a single capital letter (initials: ``J. K.``) or a
  number's decimal point; a line break also ends a sentence.
- A sub-sentence ends after a word ending in ``,`` ``;`` ``!`` or ``?`` when the
  sub-sentence so far has at least ``MIN_SUBSENTENCE_WORDS`` words and at least that many
  words remain in the sentence (the paper's minimum of 5).
- Segments are ``(start, end)`` half-open code-point offsets into the text, trimmed of
  surrounding whitespace; whitespace between segments belongs to none. A text with no
  non-space characters has no segments.

>>> sentence_segments("It was 2018. It sold well!")
[(0, 12), (13, 26)]
"""

from __future__ import annotations

import re

SEGMENTATION_VERSION = 1
MIN_SUBSENTENCE_WORDS = 5

# fmt: off
ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "cf", "al",
    "approx", "no", "fig", "ca", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec", "u.s", "u.k", "u.n", "inc", "ltd", "co", "corp", "mt", "ft",
})
# fmt: on
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)")
_WORD = re.compile(r"\S+")
_SUBSENTENCE_PUNCT = (",", ";", "!", "?")


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _is_false_end(text: str, match: re.Match[str]) -> bool:
    """A period that ends an abbreviation, an initial or a number is not a sentence end."""
    if text[match.start()] != "." or match.end() - match.start() > 1:
        return False
    word_start = match.start()
    while word_start > 0 and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start : match.start()].lower().lstrip("(\"'“‘")
    if word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
        return True
    following = text[match.end() :].lstrip()
    # "3. 5" is rare; "in 2018. The" is common: only a lower-case continuation keeps it going.
    return bool(word) and word[-1].isdigit() and following[:1].islower()


def sentence_segments(text: str) -> list[tuple[int, int]]:
    """Sentences of ``text`` as trimmed ``(start, end)`` code-point offsets."""
    segments: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        for match in _SENTENCE_END.finditer(text, line.start(), line.end()):
            if _is_false_end(text, match):
                continue
            piece = _trimmed(text, start, match.end())
            if piece is not None:
                segments.append(piece)
            start = match.end()
        piece = _trimmed(text, start, line.end())
        if piece is not None:
            segments.append(piece)
    return segments


def subsentence_segments(text: str) -> list[tuple[int, int]]:
    """Sentences split further after ``, ; ! ?`` (segments of at least 5 words each)."""
    segments: list[tuple[int, int]] = []
    for start, end in sentence_segments(text):
        words = list(_WORD.finditer(text, start, end))
        piece_start = start
        count = 0
        for index, word in enumerate(words):
            count += 1
            remaining = len(words) - index - 1
            if (
                word.group().endswith(_SUBSENTENCE_PUNCT)
                and count >= MIN_SUBSENTENCE_WORDS
                and remaining >= MIN_SUBSENTENCE_WORDS
            ):
                segments.append((piece_start, word.end()))
                piece_start = words[index + 1].start()
                count = 0
        segments.append((piece_start, end))
    return segments


def overlaps(span_start: int, span_end: int, segment: tuple[int, int]) -> bool:
    """Whether ``[span_start, span_end)`` shares at least one code point with ``segment``."""
    return span_start < segment[1] and segment[0] < span_end
