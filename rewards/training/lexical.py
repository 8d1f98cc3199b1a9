"""Cheap lexical features per segment, beside the backbone's (``TrainConfig.segment_features``).

MiniLM reads 512 tokens, so a factuality model sees a few hundred passage tokens at most; a
word count against *all* the passages tells it what those tokens cannot: whether the
segment's words, numbers and names occur in the passages at all. Two more count the
segment's overlap with the question and with the segments before it (relevance,
redundancy). Every value is in ``[0, 1]``; without passages the passage columns are 0 and
``has_passages`` says so, so a model trained on both kinds of item can tell them apart.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet

from core.records import Passage

_STOPWORDS = "a an the of in on at to for and or but is are was were be been by with as from "
_STOPWORDS += "that this it its his her their he she they which who whom what when where how "
_STOPWORDS += "also not"
STOPWORDS = frozenset(_STOPWORDS.split(" "))
SEGMENT_FEATURES = (
    "novel_words",  # share of the segment's content words found in no passage
    "novel_numbers",  # the same for its numbers
    "novel_names",  # the same for its capitalised words
    "novel_bigrams",  # the same for its pairs of consecutive words (stop words included)
    "novel_count",  # how many content words no passage has, up to NOVEL_CAP, / NOVEL_CAP
    "best_sentence_support",  # most of its content words that one passage sentence holds
    "has_passages",
    "question_overlap",  # share of its content words that the question holds
    "repeated",  # share of its content words already in earlier segments
    "position",  # 0 for the first segment … 1 for the last
    # Facts recombined: each word is in the passages, but not together (appended last, so a
    # model trained on the first ten columns still scores; see ``scoring``).
    "unpaired_words",  # share of pairs of its passage words no passage sentence holds together
    "unpaired_words_by_passage",  # the same, no passage
    "unpaired_names",  # the same for pairs of its names and numbers, no sentence
    "unpaired_names_by_passage",  # the same, no passage
    "cover_sentences",  # passage sentences a greedy cover of its passage words takes, / COVER_CAP
    "best_sentence_bigrams",  # most of its word pairs that one passage sentence holds
)
NOVEL_CAP = 10
COVER_CAP = 6
PAIR_CAP = 48  # words paired per segment (48 words: 1,128 pairs), so a run-on text stays cheap
_TOKENS = re.compile(r"[A-Za-z0-9]+")


def content_words(text: str) -> set[str]:
    """Lower-cased words and numbers, stop words and single letters left out.

    >>> sorted(content_words("The Cat sat in 1999, a cat."))
    ['1999', 'cat', 'sat']
    """
    words = {w.lower() for w in _TOKENS.findall(text)}
    return {w for w in words if w not in STOPWORDS and (len(w) > 1 or w.isdigit())}


def bigrams(text: str) -> set[tuple[str, str]]:
    """
    >>> sorted(bigrams("The cat, the Cat."))
    [('cat', 'the'), ('the', 'cat')]
    """
    words = [w.lower() for w in _TOKENS.findall(text)]
    return set(itertools.pairwise(words))


def _novel(tokens: AbstractSet[object], known: AbstractSet[object]) -> float:
    return len(tokens - known) / len(tokens) if tokens else 0.0


def _covered(tokens: set[str], known: set[str]) -> float:
    return len(tokens & known) / len(tokens) if tokens else 0.0


def _index(groups: Sequence[set[str]]) -> dict[str, set[int]]:
    """Word → the groups (sentences or passages) that hold it."""
    index: dict[str, set[int]] = {}
    for n, words in enumerate(groups):
        for w in words:
            index.setdefault(w, set()).add(n)
    return index


def _unpaired(words: set[str], index: Mapping[str, set[int]]) -> float:
    """Share of the pairs of ``words`` (each in some group) that no group holds together;
    the first ``PAIR_CAP`` words in alphabetical order."""
    pairs = list(itertools.combinations(sorted(words)[:PAIR_CAP], 2))
    if not pairs:
        return 0.0
    return sum(not (index[a] & index[b]) for a, b in pairs) / len(pairs)


def _cover(words: set[str], sentences: Sequence[set[str]]) -> int:
    """How many sentences a greedy cover of ``words`` takes (at most ``COVER_CAP``)."""
    left, taken = set(words), 0
    while left and taken < COVER_CAP:
        best = max(sentences, key=lambda sentence: len(left & sentence))
        left -= best
        taken += 1
    return taken


def _recombination_columns(
    words: set[str],
    names: set[str],
    pairs: set[tuple[str, str]],
    sentences: Sequence[set[str]],
    by_sentence: Mapping[str, set[int]],
    by_passage: Mapping[str, set[int]],
    sentence_bigrams: Sequence[set[tuple[str, str]]],
) -> list[float]:
    """The six "recombined" columns of a segment's content ``words``, its ``names`` (and
    numbers) and its bigrams ``pairs``."""
    grounded = {w for w in words if w in by_sentence}
    names = names & grounded
    return [
        _unpaired(grounded, by_sentence),
        _unpaired(grounded, by_passage),
        _unpaired(names, by_sentence),
        _unpaired(names, by_passage),
        _cover(grounded, sentences) / COVER_CAP,
        max((len(pairs & b) / len(pairs) for b in sentence_bigrams), default=0.0) if pairs else 0.0,
    ]


def segment_features(
    text: str,
    segments: Sequence[tuple[int, int]],
    *,
    prompt: str = "",
    passages: Sequence[Passage] = (),
) -> list[list[float]]:
    """One row of ``SEGMENT_FEATURES`` per segment (character offsets into ``text``)."""
    groups = [[str(p.get("title", "")), *(p.get("sentences") or [])] for p in passages]
    grouped_words = [[content_words(s) for s in group] for group in groups]
    sentences = [words for group in grouped_words for words in group]
    sentence_bigrams = [bigrams(s) for group in groups for s in group]
    by_sentence = _index(sentences)
    by_passage = _index([set().union(*group) for group in grouped_words])
    known = set(by_sentence)
    known_bigrams = set().union(*sentence_bigrams)
    has_passages = float(bool(known))
    question = content_words(prompt)
    seen: set[str] = set()
    rows = []
    last = max(len(segments) - 1, 1)
    for k, (start, end) in enumerate(segments):
        segment = text[start:end]
        words = content_words(segment)
        numbers = {w for w in words if w.isdigit()}
        names = {
            w.lower() for w in _TOKENS.findall(segment) if w[0].isupper() and len(w) > 1
        } - STOPWORDS
        pairs = bigrams(segment)
        passage_columns = [0.0] * 6
        recombination = [0.0] * 6
        if known:
            passage_columns = [
                _novel(words, known),
                _novel(numbers, known),
                _novel(names, known),
                _novel(pairs, known_bigrams),
                min(len(words - known), NOVEL_CAP) / NOVEL_CAP,
                max(_covered(words, s) for s in sentences),
            ]
            recombination = _recombination_columns(
                words, names | numbers, pairs, sentences, by_sentence, by_passage, sentence_bigrams
            )
        rows.append(
            [
                *passage_columns,
                has_passages,
                _covered(words, question),
                _covered(words, seen),
                k / last,
                *recombination,
            ]
        )
        seen |= words
    return rows
